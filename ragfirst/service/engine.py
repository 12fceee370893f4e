"""Answers for the HTTP routes: the course's own ``answer()`` behind a queue, streamed or not.

Nothing here re-implements the pipeline. Retrieval, the decline gate, the prompt,
citations and quotes all come from :mod:`ragfirst.rag.answer`; generation goes
through :func:`ragfirst.llm.chat.generate_stream` (the real ``openai`` client), handed
to ``answer()`` as its ``generate`` function so that the words can be passed on
while the model writes them.

The queue: a worker runs ``slots`` generations at once (a CPU model gains nothing
from more) and lets ``queue`` more wait; past that a request gets 503 with
``Retry-After`` at once instead of waiting for minutes. A client that leaves
gives its place back at the next generated piece, or while it is still waiting.
"""

from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ragfirst.llm import chat
from ragfirst.rag import store
from ragfirst.rag.answer import answer
from ragfirst.rag.commands import answer_dict
from ragfirst.rag.confidence import DEFAULT_MODEL, confidence
from ragfirst.rag.errors import IndexNotFoundError, QuestionError
from ragfirst.rag.focus import search_message
from ragfirst.rag.question import check_question
from ragfirst.rag.retrieve import Retriever
from ragfirst.service.errors import ServiceError
from ragfirst.service.settings import Settings

BUSY_RETRY_AFTER = 5
LLM_RETRY_AFTER = 10
INDEX_RETRY_AFTER = 2


class Cancelled(Exception):
    """The client left before its turn came."""


class Gate:
    """At most ``slots`` generations at once and ``queue`` waiting, per worker process."""

    def __init__(self, slots: int, queue: int):
        self.slots, self.queue = slots, queue
        self._free = threading.Semaphore(slots)
        self._lock = threading.Lock()
        self.admitted = 0  # running + waiting
        self.running = 0

    def admit(self) -> "Ticket":
        """A place in line, or 503 when the line is full (checked before any streaming starts)."""
        with self._lock:
            if self.admitted >= self.slots + self.queue:
                raise ServiceError(503, "busy", f"요청이 밀려 있습니다(대기 {self.queue}건 초과). "
                                   f"{BUSY_RETRY_AFTER}초 뒤에 다시 시도해 주세요.", headers={"Retry-After": str(BUSY_RETRY_AFTER)})
            self.admitted += 1
        return Ticket(self)


@dataclass
class Ticket:
    gate: Gate
    done: bool = False

    @contextmanager
    def slot(self, cancelled=lambda: False):
        """Wait for a generation slot (giving up when ``cancelled()``), hold it, give it back."""
        gate = self.gate
        try:
            while not gate._free.acquire(timeout=0.1):
                if cancelled():
                    raise Cancelled()
            with gate._lock:
                gate.running += 1
            try:
                yield
            finally:
                with gate._lock:
                    gate.running -= 1
                gate._free.release()
        finally:
            self.release()

    def release(self) -> None:
        if not self.done:
            self.done = True
            with self.gate._lock:
                self.gate.admitted -= 1


def checked_question(question: str, field: str = "question") -> str:
    """The question as ``check_question`` accepts it, or 422 with its Korean message naming ``field``."""
    try:
        return check_question(question)
    except QuestionError as error:
        raise ServiceError(422, "bad_question", str(error), field) from None


def llm_unavailable(error: Exception) -> ServiceError:
    """503 with Retry-After: the LLM server is down or failed mid-answer (the next request may recover)."""
    return ServiceError(503, "llm_unavailable",
                        f"언어 모델 서버에 연결할 수 없어 답하지 못했습니다. {LLM_RETRY_AFTER}초쯤 뒤에 다시 시도해 주세요. ({error})",
                        headers={"Retry-After": str(LLM_RETRY_AFTER)})


class Engine:
    """One retriever per process, reloaded when another worker (or an upload here) rebuilt the index."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.gate = Gate(settings.slots, settings.queue)
        self._client = None
        self._retriever: Retriever | None = None
        self._collection_id = None
        self._lock = threading.Lock()

    def client(self):
        if self._client is None:
            self._client = store.open_client()
        return self._client

    def retriever(self) -> Retriever:
        """The retriever for the current collection (a rebuilt index has a new collection id)."""
        collection = store.get_collection(self.client(), self.settings.collection)
        if collection.id != self._collection_id:
            with self._lock:
                if collection.id != self._collection_id:
                    self._retriever = Retriever(collection)
                    self._collection_id = collection.id
        return self._retriever

    def with_current_index(self, work):
        """``work(retriever)``, once more with the index reopened when it was replaced while being read.

        An upload in any worker builds a new index generation, points the index at it and deletes
        the old one, which a request here may still be reading: chroma then answers NotFoundError,
        or a plain ChromaError such as "Missing metadata segment" when the deletion is half done.
        A second failure in a row is a 503 to retry, not a 500.
        """
        from chromadb.errors import ChromaError

        try:
            return work(self.retriever())
        except (IndexNotFoundError, ChromaError):
            pass  # retriever() opens the generation the index points to now
        try:
            return work(self.retriever())
        except (IndexNotFoundError, ChromaError):
            raise ServiceError(503, "index_changing", "문서 색인이 바뀌는 중이라 답하지 못했습니다. "
                               f"{INDEX_RETRY_AFTER}초 뒤에 다시 시도해 주세요.",
                               headers={"Retry-After": str(INDEX_RETRY_AFTER)}) from None

    def search(self, question: str, k: int) -> dict:
        question = checked_question(question)
        started = time.perf_counter()
        # searched as /v1/ask searches, so would_decline is the decision /v1/ask would make
        result = self.with_current_index(lambda retriever: search_message(retriever, question, k=max(k, 5)))
        score = confidence(result, DEFAULT_MODEL)
        return {
            "question": question,
            "hits": [{"id": h.doc_id, "title": h.title, "score": h.score, "text": h.text} for h in result.hits[:k]],
            "confidence": round(score, 4),
            "would_decline": not DEFAULT_MODEL.answers(score) or not result.hits,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }

    def answer(self, question: str, k: int, ticket: Ticket, on_text=None, cancelled=lambda: False) -> dict:
        """Run ``answer()`` in this thread; ``on_text`` receives the words as they come."""
        started = time.perf_counter()
        first: list[float] = []

        def pass_on(piece: str) -> None:
            if not first:
                first.append(time.perf_counter())
            if on_text is not None:
                on_text(piece)

        def generate(prompt, **options):
            return chat.generate_stream(prompt, on_text=pass_on, cancelled=cancelled, **options)

        with ticket.slot(cancelled):
            try:  # chroma is read before the first word is generated (quotes use the retriever's copy): a retry repeats no text
                result = self.with_current_index(lambda retriever: answer(question, retriever, k=k, generate=generate))
            except chat.LLMUnavailableError as error:
                raise llm_unavailable(error) from None
        return self.describe(result, started, first[0] if first else None)

    @staticmethod
    def describe(result, started: float, first_piece: float | None) -> dict:
        """The JSON body of an answer (the same for a stream's final event)."""
        from ragfirst.runtime.config import select_backend

        gen = result.generation
        quotes = dict(reversed(result.quotes))  # a source's best (first) quote when it has several
        sources = [{"id": d, "title": result.titles.get(d, ""), "quote": quotes.get(d)} for d in result.sources]
        cost = getattr(gen, "cost_usd", 0.0) if gen is not None else 0.0
        backend = getattr(gen, "backend_kind", None) or select_backend().kind
        shared = answer_dict(result)  # the same view as `ragfirst ask --json`
        return {
            **{name: shared[name] for name in ("question", "answer", "text", "declined", "declined_by", "confidence", "warnings")},
            "sources": sources,
            "backend": backend,
            "model": getattr(gen, "model", None),
            "tokens": {"prompt": getattr(gen, "prompt_tokens", 0), "completion": getattr(gen, "completion_tokens", 0)},
            "cost_usd": cost,
            "cost_krw": None if cost is None else round(cost * usd_krw(), 4),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "ttft_ms": None if first_piece is None else round((first_piece - started) * 1000, 1),
        }


@functools.lru_cache(maxsize=1)
def usd_krw() -> float:
    """The dated exchange rate from data/prices.csv."""
    from ragfirst.runtime import sourced

    return sourced.value(sourced.load_prices(), "fx.usd_krw")
