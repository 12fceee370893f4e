"""A small OpenAI-compatible server on 127.0.0.1 for the wheel-shipped model.

Why our own and not ``transformers serve`` or llama-cpp-python: it needs no extra
packages or native build, starts from the safetensors cache in seconds, and does
exactly what the course needs (chat completions, usage counts, stop sequences)
with error messages a learner can read. Gemma-3-270M is a *base* model, so chat
messages are joined into one completion-style prompt (see :func:`messages_to_prompt`).

Lifecycle: :func:`ensure_local_server` starts it in a subprocess on a free port
(or reuses the one that is already running, found through a state file in the
cache dir plus a health check); a file lock makes concurrent starts spawn only one
process; :func:`stop_local_server` stops it. The process that started it stops it
at interpreter exit unless ``keep=True`` or ``RAGFIRST_KEEP_LLM_SERVER=1``.
An orphaned server exits by itself after ``RAGFIRST_LLM_IDLE_TIMEOUT`` seconds idle.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
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

HOST = "127.0.0.1"
MAX_TOKENS_LIMIT = 2048  # per request; keeps one request from holding the model for minutes
DEFAULT_MAX_TOKENS = 256
MAX_PROMPT_TOKENS = 8192  # far below the model's 32k, keeps CPU prefill bounded
MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = 1800.0
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

    def do_GET(self):  # noqa: N802 - stdlib name
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
        path = self.path.split("?")[0].rstrip("/")
        if path != "/v1/chat/completions":
            self._error(404, f"no route POST {path}; use /v1/chat/completions")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._error(400, "Content-Length header is not a number")
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._error(413, f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}")
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
    daemon_threads = True

    def __init__(self, address, generator: Generator):
        super().__init__(address, _Handler)
        self.generator = generator
        self.model_id = generator.model_name
        self.started = time.time()
        self.last_used = time.monotonic()

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

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"


def _write_state(server: LocalServer, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"pid": server.pid, "port": server.port, "model": server.model}), encoding="utf-8")
    os.replace(tmp, path)


def _read_state(path: Path | None = None) -> LocalServer | None:
    try:
        data = json.loads((path or state_path()).read_text(encoding="utf-8"))
        return LocalServer(int(data["pid"]), int(data["port"]), str(data["model"]))
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


def health(port: int, timeout: float = 2.0) -> dict | None:
    """The server's /health answer on this port, or None when nothing sensible answers."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) else None


def _healthy(server: LocalServer, timeout: float = 2.0) -> bool:
    """True when the process in the state file answers /health on its port (not a stranger)."""
    data = health(server.port, timeout) or {}
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
            server = _spawn(name, start_timeout)
    except Timeout:
        raise TimeoutError(
            f"로컬 LLM 서버 시작을 {start_timeout:.0f}초 동안 기다렸지만 다른 프로세스가 잠금을 놓지 않았습니다 "
            f"(waited {start_timeout:.0f} s for {server_dir() / 'start.lock'}); 로그: {log_path()}"
        ) from None
    if keep is None:
        keep = os.environ.get("RAGFIRST_KEEP_LLM_SERVER") == "1"
    if not keep:
        _started_here.add(server.pid)
    return server


def _spawn(name: str, start_timeout: float) -> LocalServer:
    state = state_path()
    state.unlink(missing_ok=True)
    command = [sys.executable, "-m", "ragfirst.llm_server", "--model", name, "--port", "0", "--state-file", str(state)]
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
    return bool((health(server.port, timeout=5) or {}).get("busy"))


@atexit.register
def stop_servers_started_here() -> None:
    """Stop the server this process started, unless another process is mid-request on it
    (then its idle timeout ends it later)."""
    if not _started_here:
        return
    server = _read_state()
    if server is not None and server.pid in _started_here and not _busy(server):
        stop_local_server()


# --------------------------------------------------------------------------- entry point


def serve(
    model: str, port: int = 0, state_file: Path | None = None, idle_timeout: float | None = None, dtype: str = "auto"
) -> None:
    """Load the model, bind 127.0.0.1:port (0 = a free port), record the state, serve until stopped."""
    config.apply_offline_defaults()
    generator = Generator(model, dtype=dtype)
    httpd = LLMHTTPServer((HOST, port), generator)
    me = LocalServer(os.getpid(), httpd.server_address[1], generator.model_name)

    def shutdown(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
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


def run_cli(args) -> int:
    """``ragfirst llm start|status|stop``; a server started here keeps running until stopped."""
    if args.action == "start":
        server = ensure_local_server(keep=True)
        print(f"로컬 LLM 서버 실행 중 (local LLM server running): pid {server.pid}, {server.base_url}, {server.model}")
        print(f"다른 셸에서 쓰려면 (to use it elsewhere): export OPENAI_BASE_URL={server.base_url} OPENAI_MODEL={server.model}")
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
    args = parser.parse_args(argv)
    serve(args.model, args.port, args.state_file, args.idle_timeout, args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
