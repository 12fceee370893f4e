"""A small OpenAI-compatible server on 127.0.0.1 for the wheel-shipped model.

Why our own and not ``transformers serve`` or llama-cpp-python: it needs no extra
packages or native build, starts from the safetensors cache in seconds, and does
exactly what the course needs (chat completions, usage counts, stop sequences)
with error messages a learner can read. Gemma-3-270M is a *base* model, so chat
messages are joined into one completion-style prompt (see :func:`messages_to_prompt`).

Lifecycle: :func:`ensure_local_server` starts it in a subprocess on a free port
(or reuses the one that is already running, found through a state file in the
cache dir plus a health check); a file lock makes concurrent starts spawn only one
process; :func:`stop_local_server` stops it. Unless ``keep=True`` or
``RAGFIRST_KEEP_LLM_SERVER=1``, the server watches the process that started it
(a notebook kernel) and stops when it is gone, even when it was killed. Any server
exits after ``RAGFIRST_LLM_IDLE_TIMEOUT`` seconds idle (default 30 minutes, 0 = never).

Access: each start makes a random bearer token, kept in the state file (mode 0600)
and sent by :mod:`ragfirst.llm`; requests without it, with a non-loopback ``Host``
or a bad ``Content-Length`` are refused (:mod:`ragfirst.llm_gate`). Sockets time
out and at most ``MAX_WORKERS`` requests are handled at once.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ragfirst import config, cpu
from ragfirst.llm_gate import Refusal, body_length, check_caller

HOST = "127.0.0.1"
MAX_TOKENS_LIMIT = 2048  # per request; keeps one request from holding the model for minutes
DEFAULT_MAX_TOKENS = 256
MAX_PROMPT_TOKENS = 8192  # far below the model's 32k, keeps CPU prefill bounded
MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = 1800.0
SOCKET_TIMEOUT = 30.0  # seconds a client may take to send its request or read the answer
MAX_WORKERS = 8  # requests handled at once; more get 503 (generation is serialised by a lock anyway)
PARENT_POLL = 1.0  # seconds between checks that the starting process is still alive
START_TIMEOUT = 600.0  # the first start converts the GGUF (~40 s idle, minutes under load)


# --------------------------------------------------------------------------- requests


class RequestError(ValueError):
    """A malformed request: answered with HTTP 400 naming the field at fault."""

    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.param = param
        self.status = status
        self.code = code


@dataclass(frozen=True)
class ChatRequest:
    """The validated subset of an OpenAI chat completion request that we honour."""

    prompt: str
    max_tokens: int
    temperature: float
    top_p: float
    stop: tuple[str, ...]
    seed: int | None
    stream: bool = False  # answer as server-sent events, one chunk per decoded piece
    include_usage: bool = False  # stream_options.include_usage: a last chunk with the token counts


def _message_text(content: object, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": "..."}]
        parts = []
        for part in content:
            if not (isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)):
                raise RequestError(
                    f"messages[{index}].content: only text parts are supported", f"messages[{index}].content"
                )
            parts.append(part["text"])
        return "".join(parts)
    raise RequestError(f"messages[{index}].content must be a string", f"messages[{index}].content")


def messages_to_prompt(messages: list[dict]) -> str:
    """Join chat messages into one completion prompt for a base model.

    Contents are joined with blank lines in order, without role labels: a base model
    continues text, so "문서: … 질문: … 답변:" sent as one user message reaches it
    unchanged. A trailing assistant message works as the start of the answer.
    """
    return "\n\n".join(message["content"] for message in messages)


def parse_chat_request(body: object, model_ids: set[str]) -> ChatRequest:
    """Validate a chat completion body; raise :class:`RequestError` naming the bad field."""
    if not isinstance(body, dict):
        raise RequestError("request body must be a JSON object", None)
    model = body.get("model")
    if model is not None and model not in model_ids:
        raise RequestError(
            f"model {model!r} is not served here; available: {', '.join(sorted(model_ids))}",
            "model",
            status=404,
            code="model_not_found",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages must be a non-empty list of {role, content} objects", "messages")
    cleaned = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestError(f"messages[{index}] must be an object with role and content", f"messages[{index}]")
        role = message.get("role")
        if role not in ("system", "developer", "user", "assistant"):
            raise RequestError(
                f"messages[{index}].role must be system, user or assistant, not {role!r}", f"messages[{index}].role"
            )
        cleaned.append({"role": role, "content": _message_text(message.get("content"), index)})
    prompt = messages_to_prompt(cleaned)
    if not prompt.strip():
        raise RequestError("messages contain no text", "messages")

    max_tokens = body.get("max_completion_tokens", body.get("max_tokens", DEFAULT_MAX_TOKENS))
    field = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        raise RequestError(f"{field} must be an integer from 1 to {MAX_TOKENS_LIMIT}, got {max_tokens!r}", field)

    temperature = body.get("temperature", 0.0)
    temperature = 0.0 if temperature is None else temperature
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
        raise RequestError(f"temperature must be a number from 0 to 2, got {temperature!r}", "temperature")
    top_p = body.get("top_p", 1.0)
    top_p = 1.0 if top_p is None else top_p
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise RequestError(f"top_p must be a number in (0, 1], got {top_p!r}", "top_p")

    stop = body.get("stop")
    if stop is None:
        stop = []
    elif isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
        raise RequestError("stop must be a non-empty string or a list of up to 4 non-empty strings", "stop")

    n = body.get("n", 1)
    if n not in (1, None):
        raise RequestError("n must be 1: this server returns one choice", "n")
    stream = body.get("stream", False)
    if stream not in (True, False, None):
        raise RequestError(f"stream must be true or false, got {stream!r}", "stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise RequestError("stream_options must be an object such as {\"include_usage\": true}", "stream_options")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RequestError(f"seed must be an integer, got {seed!r}", "seed")
    return ChatRequest(prompt, max_tokens, float(temperature), float(top_p), tuple(stop), seed, bool(stream),
                       bool(stream and options.get("include_usage")))


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length"


def _truncate_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class ClientGone(Exception):
    """The client closed the connection (it timed out): stop working for it."""


def _client_gone(sock: socket.socket) -> bool:
    """True when the peer has closed the connection (readable with zero bytes pending)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class _TextStreamer:
    """Hands decoded text to ``on_text`` as tokens arrive, never past a stop string.

    Text is decoded from all new tokens each step (at most a few hundred), so a
    Korean syllable split across tokens is held back until it is complete, and the
    last ``len(longest stop) - 1`` characters wait until no stop string can start there.
    """

    def __init__(self, tokenizer, stops: tuple[str, ...], on_text):
        self.tokenizer, self.stops, self.on_text = tokenizer, stops, on_text
        self.hold = max((len(s) for s in stops), default=1) - 1
        self.tokens: list[int] = []
        self.sent = 0
        self.prompt_seen = False

    def put(self, value) -> None:  # transformers' streamer protocol: the prompt first, then each new token
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        self.tokens.extend(value.reshape(-1).tolist())
        self._flush(final=False)

    def end(self) -> None:
        self._flush(final=True)

    def _flush(self, final: bool) -> None:
        text = self.tokenizer.decode(self.tokens, skip_special_tokens=True)
        text, stopped = _truncate_at_stop(text, self.stops)
        if not (final or stopped):
            if text.endswith("\ufffd"):  # half of a multi-byte character
                return
            text = text[: len(text) - self.hold] if self.hold else text
        if len(text) > self.sent:
            self.on_text(text[self.sent :])
            self.sent = len(text)


class Generator:
    """Holds the model; one generation at a time (a CPU cannot run two usefully)."""

    def __init__(self, model_name: str, dtype: str = "auto"):
        import torch

        from ragfirst.models import load_causal_lm

        torch.set_num_threads(cpu.threads("RAGFIRST_TORCH_THREADS"))  # see ragfirst.cpu
        self.torch = torch
        self.model_name = model_name
        self.dtype = resolve_dtype(dtype)
        self.model, self.tokenizer = load_causal_lm(model_name, dtype=getattr(torch, self.dtype))
        self.lock = threading.Lock()

    def complete(self, request: ChatRequest, cancelled=lambda: False, on_text=None) -> Completion:
        """Generate one completion; ``cancelled()`` is polled each step so that a client
        that gave up (timeout, retry) does not keep the model busy for nothing.
        ``on_text(piece)`` receives the text as it is generated (streaming)."""
        from transformers import StoppingCriteria, StoppingCriteriaList

        torch = self.torch

        class _Cancel(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                if cancelled():
                    raise ClientGone()
                return torch.zeros(input_ids.shape[0], dtype=torch.bool)

        encoded = self.tokenizer(request.prompt, return_tensors="pt")
        prompt_tokens = int(encoded.input_ids.shape[1])
        if prompt_tokens > MAX_PROMPT_TOKENS:
            raise RequestError(
                f"messages are {prompt_tokens} tokens; the local server accepts at most {MAX_PROMPT_TOKENS}",
                "messages",
                code="context_length_exceeded",
            )
        options = {
            "max_new_tokens": request.max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "stopping_criteria": StoppingCriteriaList([_Cancel()]),
        }
        if request.temperature > 0:
            options.update(do_sample=True, temperature=request.temperature, top_p=request.top_p, top_k=0)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if request.stop:
            options.update(stop_strings=list(request.stop), tokenizer=self.tokenizer)
        if on_text is not None:
            options["streamer"] = _TextStreamer(self.tokenizer, request.stop, on_text)
        with self.lock, torch.inference_mode():
            if cancelled():  # gave up while waiting for the lock
                raise ClientGone()
            if request.seed is not None:
                torch.manual_seed(request.seed)
            output = self.model.generate(**encoded, **options)
        new_tokens = output[0, prompt_tokens:].tolist()
        eos_ids = self.model.generation_config.eos_token_id
        eos_ids = set(eos_ids if isinstance(eos_ids, list) else [eos_ids])
        hit_eos = bool(new_tokens) and new_tokens[-1] in eos_ids
        if hit_eos:
            new_tokens = new_tokens[:-1]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        text, hit_stop = _truncate_at_stop(text, request.stop)
        finished = hit_eos or hit_stop or len(new_tokens) < request.max_tokens
        return Completion(text, prompt_tokens, len(new_tokens), "stop" if finished else "length")


def resolve_dtype(dtype: str = "auto") -> str:
    """``float32`` or ``bfloat16``; ``auto`` picks bfloat16 where the CPU has native bf16.

    Decoding on CPU is memory-bound (every token reads all weights, 671 MB of them the
    tied 262k-word embedding in fp32), so halving the bytes roughly halves decode time
    on CPUs with AVX512-BF16/AMX; elsewhere bf16 is emulated and slower, so fp32 stays.
    """
    dtype = (os.environ.get("RAGFIRST_LLM_DTYPE") or dtype).strip().lower()
    if dtype == "auto":
        import torch

        supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
        return "bfloat16" if supported() else "float32"
    if dtype not in ("float32", "bfloat16"):
        raise ValueError(f"RAGFIRST_LLM_DTYPE must be auto, float32 or bfloat16, not {dtype!r}")
    return dtype


# --------------------------------------------------------------------------- HTTP


class _Handler(BaseHTTPRequestHandler):
    server_version = "ragfirst-llm/1"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.timeout = self.server.socket_timeout  # set on the socket: a silent client cannot hold a thread
        super().setup()

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if os.environ.get("RAGFIRST_LLM_SERVER_LOG") == "1":
            super().log_message(format, *args)

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up; nothing to tell it
        self.server.touch()

    def _error(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        kind = "invalid_request_error" if status < 500 else "server_error"
        self._send(status, {"error": {"message": message, "type": kind, "param": param, "code": code}})

    def _refuse(self, refusal: Refusal) -> None:
        self.close_connection = True  # the unread body (if any) must not be taken for the next request
        self._error(refusal.status, refusal.message, code=refusal.code)

    def _admitted(self) -> bool:
        refusal = check_caller(self.headers, self.server.token)
        if refusal is not None:
            self._refuse(refusal)
        return refusal is None

    def do_GET(self):  # noqa: N802 - stdlib name
        if not self._admitted():
            return
        path = self.path.split("?")[0].rstrip("/")
        if path == "/health":
            generator = self.server.generator
            self._send(
                200,
                {"status": "ok", "model": self.server.model_id, "pid": os.getpid(), "dtype": generator.dtype,
                 "threads": generator.torch.get_num_threads(), "busy": generator.lock.locked()},
            )
        elif path == "/v1/models":
            created = int(self.server.started)
            model = {"id": self.server.model_id, "object": "model", "created": created, "owned_by": "ragfirst-local"}
            self._send(200, {"object": "list", "data": [model]})
        else:
            self._error(404, f"no route GET {path}; use /v1/models or /v1/chat/completions")

    def do_POST(self):  # noqa: N802 - stdlib name
        if not self._admitted():
            return
        path = self.path.split("?")[0].rstrip("/")
        if path != "/v1/chat/completions":
            self._refuse(Refusal(404, f"no route POST {path}; use /v1/chat/completions", "not_found"))
            return
        length = body_length(self.headers, MAX_BODY_BYTES)
        if isinstance(length, Refusal):
            self._refuse(length)
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            self._error(400, f"request body is not valid UTF-8 JSON: {error}")
            return
        try:
            request = parse_chat_request(body, {self.server.model_id})
            if request.stream:
                self._stream(request)
                return
            result = self.server.generator.complete(request, cancelled=lambda: _client_gone(self.connection))
        except ClientGone:
            self.close_connection = True
            return
        except RequestError as error:
            self._error(error.status, str(error), error.param, error.code)
            return
        except Exception as error:  # noqa: BLE001 - a clean 500 instead of a dropped connection
            self._error(500, f"generation failed: {type(error).__name__}: {error}")
            return
        self._send(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.server.model_id,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": result.text},
                        "finish_reason": result.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": result.prompt_tokens,
                    "completion_tokens": result.completion_tokens,
                    "total_tokens": result.prompt_tokens + result.completion_tokens,
                },
            },
        )


    def _stream(self, request: ChatRequest) -> None:
        """Server-sent events in OpenAI's chunk format; the connection closes after ``[DONE]``.

        Headers go out with the first piece of text, so a request refused before
        generation (prompt too long) still gets its plain 4xx answer. A client that
        goes away stops the generation at the next token.
        """
        chunk_id, created, model = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time()), self.server.model_id
        state = {"headers": False, "gone": False}

        def send(payload: dict | str) -> None:
            if state["gone"]:
                return
            data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
            try:
                if not state["headers"]:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                    self.send_header("Cache-Control", "no-cache")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    state["headers"] = True
                self.wfile.write(f"data: {data}\n\n".encode("utf-8"))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                state["gone"] = True

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
            return {"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [choice]}

        self.close_connection = True
        try:
            result = self.server.generator.complete(
                request,
                cancelled=lambda: state["gone"] or _client_gone(self.connection),
                on_text=lambda text: send(chunk({"role": "assistant", "content": text})),
            )
        except (RequestError, ClientGone):
            if not state["headers"]:
                raise
            return
        except Exception as error:  # noqa: BLE001 - the client is told inside the stream
            if not state["headers"]:
                raise
            send({"error": {"message": f"generation failed: {type(error).__name__}: {error}", "type": "server_error"}})
            return
        send(chunk({}, result.finish_reason))
        if request.include_usage:
            usage = {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
                     "total_tokens": result.prompt_tokens + result.completion_tokens}
            send({"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": model,
                  "choices": [], "usage": usage})
        send("[DONE]")
        self.server.touch()


class LLMHTTPServer(ThreadingHTTPServer):
    """One thread per request, at most ``max_workers`` at once; a request over that gets 503 at once."""

    daemon_threads = True

    def __init__(self, address, generator: Generator, token: str, max_workers: int = MAX_WORKERS):
        super().__init__(address, _Handler)
        self.generator = generator
        self.token = token
        self.model_id = generator.model_name
        self.started = time.time()
        self.last_used = time.monotonic()
        self._slots = threading.BoundedSemaphore(max_workers)
        self.socket_timeout = float(os.environ.get("RAGFIRST_LLM_SOCKET_TIMEOUT", SOCKET_TIMEOUT))

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def touch(self) -> None:
        self.last_used = time.monotonic()


# --------------------------------------------------------------------------- state file + process management


def server_dir() -> Path:
    path = config.cache_dir() / "llm_server"
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_path() -> Path:
    return server_dir() / "state.json"


def log_path() -> Path:
    return server_dir() / "server.log"


@dataclass(frozen=True)
class LocalServer:
    """A running local server, as recorded in the state file."""

    pid: int
    port: int
    model: str
    token: str = ""  # the bearer token; only the user who started the server can read it

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"


def _write_state(server: LocalServer, path: Path) -> None:
    """Atomically, and readable by its owner only (mode 0600 from creation: it holds the token)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = json.dumps({"pid": server.pid, "port": server.port, "model": server.model, "token": server.token})
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # an older file of that name may have had other bits
        file.write(data)
    os.replace(tmp, path)


def _read_state(path: Path | None = None) -> LocalServer | None:
    try:
        data = json.loads((path or state_path()).read_text(encoding="utf-8"))
        return LocalServer(int(data["pid"]), int(data["port"]), str(data["model"]), str(data.get("token", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _is_our_server(pid: int) -> bool | None:
    """Whether ``pid`` runs ``ragfirst.llm_server`` (None where /proc is unavailable)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False if Path("/proc/self").exists() else None
    except OSError:
        return None
    return b"ragfirst.llm_server" in cmdline


def health(port: int, timeout: float = 2.0, token: str = "") -> dict | None:
    """The server's /health answer on this port, or None when nothing sensible answers."""
    request = urllib.request.Request(f"http://{HOST}:{port}/health", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) else None


def _healthy(server: LocalServer, timeout: float = 2.0) -> bool:
    """True when the process in the state file answers /health on its port (not a stranger)."""
    data = health(server.port, timeout, server.token) or {}
    return data.get("status") == "ok" and data.get("pid") == server.pid


def _accepts_connections(port: int, timeout: float = 5.0) -> bool:
    """The kernel completes a TCP handshake for a listening socket even when the
    server process is starved of CPU, so this does not mistake "busy" for "dead"."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def running_server(health_timeout: float = 30.0) -> LocalServer | None:
    """The live local server recorded in the cache dir, or None.

    Identity comes from /proc (the pid runs ``ragfirst.llm_server``) plus a TCP
    connect; only without /proc do we ask /health, with a generous timeout, because
    a false "not running" would start a second server.
    """
    server = _read_state()
    if server is None or not _alive(server.pid):
        return None
    ours = _is_our_server(server.pid)
    if ours is False:
        return None
    if ours is True:
        return server if _accepts_connections(server.port) else None
    return server if _healthy(server, timeout=health_timeout) else None


def server_token(base_url: str | None) -> str:
    """The bearer token of the recorded local server at ``base_url`` ("" when it is not ours)."""
    server = _read_state()
    return server.token if server is not None and server.base_url == base_url else ""


_started_here: set[int] = set()


def ensure_local_server(
    model: str | None = None, *, keep: bool | None = None, start_timeout: float = START_TIMEOUT
) -> LocalServer:
    """Return the running local server, starting one if none answers.

    Safe to call from several processes at once: a file lock serialises starts and
    the state file lets the second caller reuse the first caller's server.
    """
    from filelock import FileLock, Timeout

    from ragfirst.models import DEFAULT_MODEL, model_spec

    name = model_spec(model or DEFAULT_MODEL).name
    server = running_server()
    if server is not None and server.model == name:
        return server
    try:
        with FileLock(str(server_dir() / "start.lock"), timeout=start_timeout):
            server = running_server()
            if server is not None and server.model == name:
                return server
            if server is not None:  # a different model is being served: replace it
                stop_local_server()
            if keep is None:
                keep = os.environ.get("RAGFIRST_KEEP_LLM_SERVER") == "1"
            server = _spawn(name, start_timeout, parent=None if keep else os.getpid())
            if not keep:
                _stop_at_exit(server.pid)
    except Timeout:
        raise TimeoutError(
            f"로컬 LLM 서버 시작을 {start_timeout:.0f}초 동안 기다렸지만 다른 프로세스가 잠금을 놓지 않았습니다 "
            f"(waited {start_timeout:.0f} s for {server_dir() / 'start.lock'}); 로그: {log_path()}"
        ) from None
    return server


def _stop_at_exit(pid: int) -> None:
    """Registered when this process starts a server, not on import: importing starts nothing."""
    if not _started_here:
        atexit.register(stop_servers_started_here)
    _started_here.add(pid)


def _spawn(name: str, start_timeout: float, parent: int | None) -> LocalServer:
    state = state_path()
    state.unlink(missing_ok=True)
    command = [sys.executable, "-m", "ragfirst.llm_server", "--model", name, "--port", "0", "--state-file", str(state)]
    if parent is not None:
        command += ["--parent-pid", str(parent)]
    with open(log_path(), "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a notebook must not kill the shared server
            cwd=str(config.REPO_ROOT),
        )
    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"로컬 LLM 서버가 시작 중에 종료되었습니다 (exit code {process.returncode}). "
                f"The local LLM server exited during start-up; see the log: {log_path()}\n{_log_tail()}"
            )
        server = _read_state(state)
        if server is not None and server.pid == process.pid and _healthy(server):
            return server
        time.sleep(0.2)
    _terminate(process.pid)
    raise TimeoutError(
        f"로컬 LLM 서버가 {start_timeout:.0f}초 안에 준비되지 않았습니다 "
        f"(the local LLM server was not ready within {start_timeout:.0f} s); log: {log_path()}"
    )


def _log_tail(lines: int = 15) -> str:
    try:
        return "\n".join(log_path().read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited process nobody has reaped yet (a zombie) is gone for our purposes
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    except (OSError, IndexError):
        pass
    # A zombie child of ours counts as gone: reap it.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _terminate(pid: int, grace: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while _alive(pid) and time.monotonic() < deadline + 5:
        time.sleep(0.05)


def stop_local_server() -> bool:
    """Stop the local server recorded in the cache dir. Returns True if one was stopped.

    Only a process that is a ``ragfirst.llm_server`` (checked in /proc, or by /health
    where /proc is missing) is signalled, so a stale state file never makes us kill an
    unrelated process that reused the pid.
    """
    server = _read_state()
    if server is None:
        return False
    ours = _is_our_server(server.pid)
    if ours is None:  # no /proc (macOS): fall back to asking the server who it is
        ours = _healthy(server, timeout=10.0)
    stopped = False
    if ours and _alive(server.pid):
        _terminate(server.pid)
        stopped = True
    _started_here.discard(server.pid)
    current = _read_state()
    if current is not None and current.pid == server.pid and not _alive(server.pid):
        state_path().unlink(missing_ok=True)
    return stopped


def _busy(server: LocalServer) -> bool:
    return bool((health(server.port, timeout=5, token=server.token) or {}).get("busy"))


def stop_servers_started_here() -> None:
    """Stop the server this process started, unless another process is mid-request on it
    (then its idle timeout ends it later)."""
    if not _started_here:
        return
    server = _read_state()
    if server is not None and server.pid in _started_here and not _busy(server):
        stop_local_server()


# --------------------------------------------------------------------------- entry point


def _watch_parent(parent: int, shutdown) -> None:
    """Stop when the process that started us is gone (a killed kernel runs no atexit)."""
    while _alive(parent):
        time.sleep(PARENT_POLL)
    print(f"the starting process {parent} is gone: shutting down", flush=True)
    shutdown()


def serve(
    model: str, port: int = 0, state_file: Path | None = None, idle_timeout: float | None = None, dtype: str = "auto",
    parent_pid: int | None = None,
) -> None:
    """Load the model, bind 127.0.0.1:port (0 = a free port), record the state, serve until stopped,
    idle for ``idle_timeout`` seconds, or until ``parent_pid`` exits."""
    config.apply_offline_defaults()
    generator = Generator(model, dtype=dtype)
    httpd = LLMHTTPServer((HOST, port), generator, token=secrets.token_urlsafe(32))
    me = LocalServer(os.getpid(), httpd.server_address[1], generator.model_name, httpd.token)

    def shutdown(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    if parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(parent_pid, shutdown), daemon=True).start()
    if idle_timeout is None:
        idle_timeout = float(os.environ.get("RAGFIRST_LLM_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT))
    if idle_timeout > 0:

        def watch_idle():
            while True:
                time.sleep(min(idle_timeout, 30.0))
                if time.monotonic() - httpd.last_used > idle_timeout and not generator.lock.locked():
                    print(f"idle for {idle_timeout:.0f} s: shutting down", flush=True)
                    shutdown()
                    return

        threading.Thread(target=watch_idle, daemon=True).start()
    if state_file is not None:
        _write_state(me, state_file)
    print(
        f"ragfirst LLM server pid {me.pid} serving {me.model} ({generator.dtype}, "
        f"{generator.torch.get_num_threads()} threads) at {me.base_url}",
        flush=True,
    )
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        if state_file is not None:
            current = _read_state(state_file)
            if current is not None and current.pid == me.pid:
                state_file.unlink(missing_ok=True)
        print(f"ragfirst LLM server pid {me.pid} stopped", flush=True)
        # A generation thread may still be inside torch; normal interpreter shutdown
        # can hang or abort on it, and there is nothing left to flush.
        os._exit(0)


def idle_timeout_text() -> str:
    """What ends a server started by ``ragfirst llm start``, in one line (the truth about the idle timeout)."""
    seconds = float(os.environ.get("RAGFIRST_LLM_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT))
    if seconds <= 0:
        return "'ragfirst llm stop'으로 멈출 때까지 실행됩니다 (runs until 'ragfirst llm stop'; idle timeout off)"
    return (f"'ragfirst llm stop' 또는 {seconds / 60:g}분 동안 요청이 없으면 멈춥니다 (runs until 'ragfirst llm stop' "
            f"or {seconds:g} s without requests; RAGFIRST_LLM_IDLE_TIMEOUT=0 turns the idle timeout off)")


def run_cli(args) -> int:
    """``ragfirst llm start|status|stop``; a server started here outlives this command, not its idle timeout."""
    if args.action == "start":
        server = ensure_local_server(keep=True)
        print(f"로컬 LLM 서버 실행 중 (local LLM server running): pid {server.pid}, {server.base_url}, {server.model}")
        print(idle_timeout_text())
        print("토큰은 서버 상태 파일에 있습니다 (the bearer token is in the state file, mode 0600): "
              f"{state_path()}; ragfirst.llm의 클라이언트가 자동으로 보냅니다 (the course's client sends it)")
    elif args.action == "status":
        server = running_server()
        if server is None:
            print("로컬 LLM 서버가 실행 중이 아닙니다 (no local LLM server is running)")
            return 1
        print(f"로컬 LLM 서버 실행 중 (local LLM server running): pid {server.pid}, {server.base_url}, {server.model}")
    else:
        stopped = stop_local_server()
        print("로컬 LLM 서버를 멈췄습니다 (stopped)" if stopped else "실행 중인 서버가 없습니다 (none was running)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ragfirst local OpenAI-compatible server (127.0.0.1 only)")
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state-file", type=Path, default=None)
    parser.add_argument("--idle-timeout", type=float, default=None, help="seconds idle before exiting; 0 = never")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    args = parser.parse_args(argv)
    serve(args.model, args.port, args.state_file, args.idle_timeout, args.dtype, args.parent_pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
