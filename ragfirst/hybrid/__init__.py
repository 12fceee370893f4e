"""The seed's hybrid system (ModernAISystem): intent routing between the base model, RAG, tools and a specialised model.

- ``requests``     labelled requests and the route mix
- ``intent``       the intent classifier over embeddings
- ``system``       ModernAISystem: classify, route, answer
- ``output``       what every route returns
- ``knowledge``    the knowledge route: the RAG pipeline's grounded answer
- ``tools``        the shop tools, their JSON schemas and the refund policy they enforce
- ``shop``         the company's SQLite database
- ``extract``      tool arguments by rules (the local model cannot call functions)
- ``calling``      OpenAI function calling, for models that can
- ``specialist``   notebook 03's LoRA adapter as the specialised model
- ``cost``, ``measure``, ``charts``  what it costs, how fast it is, the notebook's charts
- ``address_lab``  the "change delivery address" tool lab (exercises/address_tool)
"""
