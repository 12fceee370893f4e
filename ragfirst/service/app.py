"""The FastAPI app: routes, the chat page, health and readiness.

``create_app()`` is the factory uvicorn calls in every worker process. The index
is made to mirror the document folder and the local LLM server is started in the
background, so /health answers at once and /ready says when questions can be answered.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from sse_starlette.sse import EventSourceResponse

from ragfirst.llm import chat, local_server
from ragfirst.runtime.config import select_backend
from ragfirst.service import assistant, documents, errors, keys, ratelimit, requestlog, schemas
from ragfirst.service import settings as service_settings
from ragfirst.service.db import Database
from ragfirst.service.engine import Cancelled, Engine, checked_question
from ragfirst.service.errors import ServiceError
from ragfirst.service.limits import BodyLimit

STATIC = Path(__file__).parent / "static"
# Swagger UI as the fastapi-offline package ships it: FastAPI's own /docs loads it from a CDN, which a
# learner offline (and the tests) cannot reach, and the page stays blank.
DOCS_ASSETS = Path(importlib.util.find_spec("fastapi_offline").origin).parent / "static"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ERRORS = {status: {"model": schemas.ErrorBody} for status in (400, 401, 404, 409, 413, 415, 422, 429, 503)}


class ApiMiddleware:
    """An ASGI middleware that only looks at /v1 requests (the page, /health and /docs pass through)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        raise NotImplementedError


class RequestLog(ApiMiddleware):
    """One log row per /v1 request whose key was valid, written as its answer's last byte goes out.

    The row is written by the log's own thread (the event loop goes on serving other requests
    meanwhile) before that last byte is sent, so a client that has its answer finds its row.
    """

    async def handle(self, scope, receive, send):
        status = {"code": 500}
        state = scope.setdefault("state", {})
        state["started"] = time.perf_counter()
        logged = []

        async def log():
            if logged or "key_id" not in state or state.get("deferred"):  # a stream's row is written by its worker
                return
            logged.append(True)
            row = log_row(state, getattr(scope.get("route"), "path", scope["path"]), state.get("status", status["code"]))
            # queued before the first await, so a cancelled request keeps its row
            await asyncio.shield(asyncio.wrap_future(scope["app"].state.log_writer.submit(row)))

        async def capture(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await log()
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:  # no answer was sent: the client left and the task was cancelled, or the app failed
            await log()


def log_row(state: dict, route: str, status: int) -> requestlog.Row:
    return requestlog.Row(key_id=state["key_id"], route=route, status=status,
                          latency_ms=(time.perf_counter() - state["started"]) * 1000, **state.get("usage", {}))


def usage_of(result: dict) -> dict:
    return {"prompt_tokens": result["tokens"]["prompt"], "completion_tokens": result["tokens"]["completion"],
            "cost_usd": result["cost_usd"], "declined": result["declined"]}


class Authorize(ApiMiddleware):
    """Every /v1 request needs a valid key (401) and a token from its bucket (429).

    It runs before FastAPI reads the body, so a stranger gets 401 whatever they send,
    and the key is known to the request log even when the body is refused later.
    """

    async def handle(self, scope, receive, send):
        try:
            await run_in_threadpool(check_key, scope)
        except ServiceError as error:
            await errors.response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def check_key(scope) -> keys.Key:
    """The caller's key, after spending one request of its rate limit; sets ``state['key_id']`` for the log."""
    db: Database = scope["app"].state.db
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    header = headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else headers.get("x-api-key")
    key = keys.verify(db, secret)
    if key is None:
        raise ServiceError(401, "unauthorized", "유효한 API 키가 필요합니다. 'Authorization: Bearer <키>' 헤더를 보내 주세요 "
                           "(키는 `ragfirst keys create 이름`으로 만듭니다).", headers={"WWW-Authenticate": "Bearer"})
    state = scope.setdefault("state", {})
    state["key_id"], state["key"] = key.id, key
    decision = ratelimit.take(db, key)
    if not decision.allowed:
        raise ServiceError(429, "rate_limited", f"요청이 너무 잦습니다. {decision.retry_after}초 뒤에 다시 시도해 주세요 "
                           f"(키 '{key.name}': 분당 {key.per_minute:g}건, 한 번에 {key.burst:g}건까지).",
                           headers={"Retry-After": str(decision.retry_after)})
    return key


bearer = HTTPBearer(auto_error=False, description="`ragfirst keys create 이름`으로 만든 API 키")


def authorize(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer)) -> keys.Key:
    """The key :class:`Authorize` checked (a dependency, so /docs shows that the routes need one)."""
    return request.state.key


def _prepare(app: FastAPI) -> None:
    """Background start-up: the index mirrors the folder, then the local LLM server runs."""
    state = app.state
    try:
        state.index_report = documents.ensure(state.settings, client=state.engine.client())
        state.engine.retriever()
        state.index_ready = True
    except Exception as error:  # noqa: BLE001 - shown by /ready, with its message
        state.index_error = f"{type(error).__name__}: {error}"
        return
    if state.settings.warm_llm and select_backend().kind == "local":
        try:
            local_server.ensure_local_server()
        except Exception as error:  # noqa: BLE001 - the first question will try again
            state.llm_error = f"{type(error).__name__}: {error}"


@asynccontextmanager
async def lifespan(app: FastAPI):
    state = app.state
    state.index_ready, state.index_error, state.llm_error, state.index_report = False, None, None, None
    threading.Thread(target=_prepare, args=(app,), daemon=True, name="ragfirst-prepare").start()
    yield
    # uvicorn re-raises SIGTERM after a graceful shutdown, so atexit handlers would not run:
    # write the queued log rows and stop the local LLM server this process started here, while shutting down.
    await run_in_threadpool(state.log_writer.close)
    local_server.stop_servers_started_here()


def create_app(settings: service_settings.Settings | None = None) -> FastAPI:
    """The app for one worker process (uvicorn calls this with no argument)."""
    settings = settings or service_settings.load()
    app = FastAPI(
        title="ragfirst RAG 서비스",
        description="백엔드 서버 + 벡터DB(Chroma) + OpenAI 호환 API: 강의의 RAG 파이프라인을 HTTP로 제공합니다. "
        "모든 /v1 요청에는 'Authorization: Bearer <API 키>'가 필요합니다.",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,  # served below from the service's own copy of the assets
        redoc_url=None,  # ReDoc loads its logo from a CDN even when self-hosted: /docs is the one API page
    )
    app.state.settings = settings
    app.state.db = Database(settings.database)
    app.state.log_writer = requestlog.Writer(app.state.db)
    app.state.engine = Engine(settings)
    errors.install(app)
    # The last one added runs first: RequestLog sees every answer (413s too), Authorize refuses a
    # stranger before BodyLimit reads a byte of the body.
    app.add_middleware(BodyLimit)
    app.add_middleware(Authorize)
    app.add_middleware(RequestLog)

    def engine() -> Engine:
        if not app.state.index_ready:
            detail = app.state.index_error or "문서 색인을 준비하고 있습니다."
            raise ServiceError(503, "not_ready", f"아직 질문을 받을 수 없습니다: {detail} 잠시 뒤에 다시 시도해 주세요.",
                               headers={"Retry-After": "5"})
        return app.state.engine

    @app.post("/v1/ask", response_model=schemas.AskResponse, responses=ERRORS,
              summary="질문에 답합니다 (\"stream\": true이면 server-sent events)")
    async def ask(body: schemas.AskRequest, request: Request, key: keys.Key = Depends(authorize)):
        question = checked_question(body.question)
        service = engine()
        ticket = service.gate.admit()
        if body.stream:
            # no-cache instead of sse-starlette's no-store: Chromium reports a fully read no-store
            # fetch stream as aborted (playwright issue 42742); an answer is never cached either way
            return EventSourceResponse(_stream(service, question, body.k, ticket, request), ping=15,
                                       headers={"Cache-Control": "no-cache"})
        try:
            result = await run_in_threadpool(service.answer, question, body.k, ticket)
        finally:
            ticket.release()
        request.state.usage = usage_of(result)
        return result

    @app.post("/v1/assist", response_model=schemas.AssistResponse, responses={**ERRORS, 403: {"model": schemas.ErrorBody}},
              summary="상담 도우미: 의도를 나눠 일반 대화, 문서 답변(RAG), 주문 도구(키에 연결된 고객), 특화 모델 중 하나로 답합니다")
    async def assist(body: schemas.AssistRequest, request: Request, key: keys.Key = Depends(authorize)):
        message = checked_question(body.message, "message")
        service = engine()
        ticket = service.gate.admit()
        try:
            result = await run_in_threadpool(assistant.assist, service, message, key, ticket)
        finally:
            ticket.release()
        request.state.usage = usage_of(result)
        return result

    @app.post("/v1/search", response_model=schemas.SearchResponse, responses=ERRORS,
              summary="생성 없이 검색만 합니다 (검색 단계의 지연 시간 측정용)")
    def search(body: schemas.SearchRequest, request: Request, key: keys.Key = Depends(authorize)):
        return engine().search(body.question, body.k)

    @app.get("/v1/documents", response_model=schemas.DocumentList, responses=ERRORS, summary="색인된 문서 목록")
    def list_documents(key: keys.Key = Depends(authorize)):
        found: dict[str, dict] = {}
        for meta in engine().with_current_index(lambda retriever: retriever.meta):
            doc = found.setdefault(meta["doc_id"], {"id": meta["doc_id"], "title": meta["title"],
                                                    "category": meta.get("category", ""), "path": meta.get("path", ""), "chunks": 0})
            doc["chunks"] += 1
        docs = sorted(found.values(), key=lambda d: d["id"])
        return {"documents": docs, "count": len(docs)}

    @app.post("/v1/documents", response_model=schemas.IndexChange, responses=ERRORS,
              summary=".md/.txt 파일을 올려 색인합니다 (같은 파일을 다시 올리면 아무것도 바뀌지 않습니다)")
    async def upload_documents(request: Request, files: list[UploadFile] = File(..., description=".md 또는 .txt 파일"),
                               key: keys.Key = Depends(authorize)):
        service = engine()
        contents = [(f.filename or "", await f.read()) for f in files]
        change = await run_in_threadpool(documents.upload, settings, contents, service.client())
        return _change(change)

    @app.delete("/v1/documents/{doc_id:path}", response_model=schemas.IndexChange, responses=ERRORS, summary="문서를 지웁니다")
    def delete_document(doc_id: str, key: keys.Key = Depends(authorize)):
        service = engine()
        return _change(documents.delete(settings, doc_id, service.client()))

    @app.get("/v1/stats", responses=ERRORS, summary="이 키의 요청 기록 요약과 최근 요청")
    def stats(key: keys.Key = Depends(authorize)):
        db = app.state.db
        return {"key": key.name, **requestlog.stats(db, key.id), "recent": requestlog.recent(db, 20, key.id),
                "queue": {"running": app.state.engine.gate.running, "admitted": app.state.engine.gate.admitted}}

    @app.get("/health", summary="프로세스가 살아 있는지 (pid: 어느 워커가 답했는지)")
    def health():
        return {"status": "ok", "pid": os.getpid()}

    @app.get("/ready", summary="질문에 답할 준비가 되었는지 (색인과 LLM)")
    def ready():
        state = app.state
        backend = select_backend()
        # a local server is started at startup (warm) or on the first question (RAGFIRST_SERVICE_WARM_LLM=0)
        llm_ok = backend.kind != "local" or not state.settings.warm_llm or local_server.running_server(health_timeout=2.0) is not None
        body = {
            "ready": bool(state.index_ready and llm_ok),
            "index": "ready" if state.index_ready else (state.index_error or "building"),
            "llm": backend.kind if llm_ok else (state.llm_error or "starting"),
            "documents": getattr(state.index_report, "documents", None),
            "pid": os.getpid(),
        }
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request):
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(openapi_url=root + app.openapi_url, title=f"{app.title} - API 문서",
                                   swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
                                   swagger_favicon_url=f"{root}/docs-assets/favicon.png", oauth2_redirect_url=None)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    return app


def _change(change: documents.Change) -> dict:
    report = change.report
    return {"changed": report.changed, "documents": report.documents, "chunks": report.chunks, "added": report.added,
            "removed": report.removed, "unchanged": report.unchanged, "message": report.describe(), "affected": change.affected}


def _stream(service: Engine, question: str, k: int, ticket, request: Request):
    """Start answering in a worker thread now; return the server-sent events it produces.

    Events: ``token`` pieces, then one ``done`` (the full answer) or one ``error``.
    The worker writes the request's log row when it ends, so the row exists even
    when the client leaves before the first event, and it says how far it got.
    """
    loop = asyncio.get_running_loop()
    events: asyncio.Queue = asyncio.Queue()
    cancel = threading.Event()
    state = request.scope["state"]
    state["deferred"] = True
    streamed = [0]

    def put(kind: str, data) -> None:
        try:
            loop.call_soon_threadsafe(events.put_nowait, (kind, data))
        except RuntimeError:  # the event loop has closed (shutdown): nobody is listening
            cancel.set()

    def on_text(text: str) -> None:
        streamed[0] += 1
        put("token", {"text": text})

    def work() -> None:
        status, usage = 200, {}
        try:
            result = service.answer(question, k, ticket, on_text=on_text, cancelled=cancel.is_set)
            usage = usage_of(result)
            put("done", result)
        except (chat.GenerationCancelled, Cancelled):
            status, usage = 499, {"completion_tokens": streamed[0]}  # the client left; pieces sent so far
        except ServiceError as error:
            status = error.status
            put("error", {**error.body(), "status": error.status})
        except Exception as error:  # noqa: BLE001 - the client is told inside the stream
            status = 500
            put("error", {**errors.internal(error).body(), "status": 500})
        finally:
            ticket.release()
            put("end", None)
            state["usage"] = usage
            requestlog.write(request.app.state.db, log_row(state, request.url.path, status))  # in this worker thread

    threading.Thread(target=work, daemon=True, name="ragfirst-answer").start()

    async def relay():
        finished = False
        try:
            while True:
                kind, data = await events.get()
                if kind == "end":
                    finished = True
                    break
                yield {"event": kind, "data": json.dumps(data, ensure_ascii=False)}
        finally:
            if not finished:
                cancel.set()  # the client left: the worker stops at its next piece or while waiting

    return relay()
