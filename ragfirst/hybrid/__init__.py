"""The seed's hybrid system (ModernAISystem): intent routing between the base model, RAG, tools and a specialised model.

Modules, one job each: ``requests`` (labelled data), ``intent`` (classifier),
``shop`` (the company's SQLite DB), ``extract`` (rule-based tool arguments),
``calling`` (OpenAI function calling), ``system`` (routing), ``specialist``
(notebook 03's LoRA adapter as the specialised model), ``cost`` and
``measure`` (what it costs and how fast it is). The tools themselves live in
``ragfirst.hybrid.tools``.
"""
