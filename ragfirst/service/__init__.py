"""The seeds' architecture as a running service: backend server + vector DB + OpenAI API.

One module per job, in the order a request meets them:

- ``settings``   where the service keeps its files and its limits (env, set by `ragfirst serve`)
- ``db``         the one SQLite file (keys, rate buckets, request log), mode 0600
- ``limits``     request body size limits, enforced before anything is parsed
- ``keys``       API keys: created once, stored only as hashes, revoked by name
- ``ratelimit``  per-key token buckets shared by every worker (429 + Retry-After)
- ``requestlog`` one row per authenticated request, and the totals behind /v1/stats
- ``errors``     every 4xx/5xx as one JSON shape with a Korean message naming the field
- ``schemas``    request and response bodies (OpenAPI at /docs)
- ``documents``  uploads and deletions, indexed by the same rules as `ragfirst index`
- ``engine``     retrieval, grounded answers, streaming, and the generation queue
- ``assistant``  /v1/assist: notebook 06's hybrid assistant, its tools acting for the key's customer
- ``app``        the FastAPI app: routes, the chat page (``static/``), /docs (Swagger UI served offline), health and readiness
- ``commands``   `ragfirst serve` and `ragfirst keys`
- ``launch``     start a service process and wait until every worker is ready (notebook 07, tests, benchmarks)
"""
