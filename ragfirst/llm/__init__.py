"""Text generation: the real ``openai`` client, and the local OpenAI-compatible server it falls back to.

- ``chat``          every generation: backend choice, timeouts, retries, streaming
- ``usage``         token prices and the per-process usage log
- ``models``        the wheel-shipped model, converted once into the cache
- ``local_server``  find, start and stop the local server (``ragfirst llm``)
- ``server_state``  where a running server is recorded, and whether it lives
- ``http_server``   the server process: HTTP, limits, lifecycle
- ``protocol``      the chat-completions request it accepts, checked
- ``generator``     the model behind it, one request at a time
- ``gate``          who may call it: bearer token, loopback Host, Content-Length
"""
