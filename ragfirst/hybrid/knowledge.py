"""The knowledge_query route: the RAG pipeline's grounded answer, as a route output with its sources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ragfirst.hybrid.output import RouteOutput, from_generation
from ragfirst.rag.answer import answer
from ragfirst.rag.errors import QuestionError
from ragfirst.rag.index import build_index
from ragfirst.rag.retrieve import Retriever

DECLINED = "rag (declined)"  # the route output's model when retrieval was too unsure to call one


def open_retriever() -> Retriever:
    """Build the course index if needed (idempotent) and open it; the caller keeps it as long as it needs it."""
    build_index()
    return Retriever.open()


def rag_answer(question: str, retriever: Retriever, generate: Callable[..., Any] | None = None,
               abstain: bool | None = None) -> RouteOutput:
    """The grounded answer (ragfirst.rag.answer) with its sources; a refused or declined question says why.

    ``abstain`` says whether the model may decline (``Backend.follows_instructions``).
    """
    try:
        result = answer(question, retriever, generate=generate, abstain=abstain)
    except QuestionError as error:  # empty, too long or not Korean: tell the customer why
        return RouteOutput(str(error), "rag (rejected)")
    note = " ".join(result.warnings)
    if result.generation is None:  # the model is not called when retrieval is unsure
        return RouteOutput(result.render(), DECLINED, note=note)
    output = from_generation(result.generation, note=note)  # a model that declined still used tokens
    output.text = result.render()
    output.sources = list(result.sources)
    return output
