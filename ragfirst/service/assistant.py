"""/v1/assist: notebook 06's hybrid assistant (ModernAISystem) behind the service.

Each worker trains the intent router once, the first time a message arrives (some
seconds of embedding on 2 cores), so /ready does not wait for a route few clients
use. The shop database lives in the service folder and keeps its refunds and audit
rows across restarts. The tools act for the customer bound to the API key
(`ragfirst keys create NAME --customer C001`), never for one named in the body: the
key is how the shop's own backend, after its login, vouches for the customer.
"""

from __future__ import annotations

import fcntl
import functools
import threading
import time
from pathlib import Path

from ragfirst.hybrid.intent import IntentClassifier
from ragfirst.hybrid.knowledge import DECLINED
from ragfirst.hybrid.requests import training_requests
from ragfirst.hybrid.shop import build_shop_db
from ragfirst.hybrid.system import ModernAISystem, load_specialized_model
from ragfirst.hybrid.tools import ShopTools
from ragfirst.llm.chat import LLMUnavailableError
from ragfirst.service.engine import Engine, Ticket, llm_unavailable, usd_krw
from ragfirst.service.errors import ServiceError
from ragfirst.service.keys import Key

_router: list[IntentClassifier] = []
_router_lock = threading.Lock()


def router() -> IntentClassifier:
    """The worker's intent router (trained on train + realistic_dev, as in notebook 06)."""
    with _router_lock:
        if not _router:
            _router.append(IntentClassifier.fit(training_requests()))
        return _router[0]


# The specialised model (notebook 03's adapter) is loaded once per worker, not once per request.
specialist = functools.lru_cache(maxsize=1)(load_specialized_model)


def shop_database(directory: Path) -> Path:
    """The service's shop database, built from data/shop the first time (one worker builds, the others wait)."""
    path = directory / "shop.sqlite3"
    with open(directory / "shop.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            build_shop_db(path)
    return path


def assist(engine: Engine, message: str, key: Key, ticket: Ticket) -> dict:
    """Route ``message`` as notebook 06's assistant does, in a generation slot, and describe the reply for JSON."""
    started = time.perf_counter()
    with ticket.slot():
        try:  # only the knowledge route reads chroma, so a retry after a replaced index repeats no tool call
            reply = engine.with_current_index(lambda retriever: reply_to(message, key, engine.settings.directory, retriever))
        except LLMUnavailableError as error:
            raise llm_unavailable(error) from None
    return {
        "message": message,
        "intent": reply.intent,
        "route": reply.route,
        "intent_confidence": round(reply.confidence, 4),
        "answer": reply.text,
        "model": reply.model,
        "sources": reply.sources,
        "tool_calls": reply.tool_calls,
        "note": reply.note,
        "customer": key.customer_id,
        "declined": reply.model == DECLINED,
        "tokens": {"prompt": reply.prompt_tokens, "completion": reply.completion_tokens},
        "cost_usd": reply.cost_usd,
        "cost_krw": round(reply.cost_usd * usd_krw(), 4),
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def customer_tools(directory: Path, customer_id: str) -> ShopTools:
    """The shop's tools acting for ``customer_id``, or 403 when the shop has no such customer."""
    try:
        return ShopTools(shop_database(directory), customer_id)
    except ValueError:
        raise ServiceError(403, "unknown_customer", f"이 키에 연결된 고객 '{customer_id}'가 상점 DB에 없습니다. "
                           "`ragfirst keys create 이름 --customer 고객id`로 있는 고객에게 연결한 키를 만드세요.") from None


def reply_to(message: str, key: Key, directory: Path, retriever):
    tools = customer_tools(directory, key.customer_id) if key.customer_id else None
    try:
        return ModernAISystem(router(), tools, retriever=retriever, specialized_loader=specialist).handle_request(message)
    finally:
        if tools is not None:
            tools.close()
