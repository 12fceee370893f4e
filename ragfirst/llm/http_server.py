"""The local LLM server's process: an OpenAI-compatible HTTP server on 127.0.0.1 for the wheel-shipped model.

Why our own and not ``transformers serve`` or llama-cpp-python: it needs no extra
packages or native build, starts from the safetensors cache in seconds, and does
exactly what the course needs (chat completions, usage counts, stop sequences)
with error messages a learner can read.

Started as ``python -m ragfirst.llm.http_server`` by :mod:`ragfirst.llm.local_server`.
Each start makes a random bearer token, kept in the state file (mode 0600);
requests without it, with a non-loopback ``Host`` or a bad ``Content-Length`` are
refused (:mod:`ragfirst.llm.gate`). Sockets time out and at most ``MAX_WORKERS``
requests are handled at once. The process exits when stopped, after
``RAGFIRST_LLM_IDLE_TIMEOUT`` seconds idle, or when its ``--parent-pid`` is gone.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ragfirst.llm.gate import Refusal, body_length, check_caller
from ragfirst.llm.generator import ClientGone, Generator, client_gone
from ragfirst.llm.protocol import MAX_BODY_BYTES, ChatRequest, RequestError, parse_chat_request
from ragfirst.llm.server_state import DEFAULT_IDLE_TIMEOUT, HOST, LocalServer, alive, read_state, write_state
from ragfirst.runtime import config

SOCKET_TIMEOUT = 30.0  # seconds a client may take to send its request or read the answer
MAX_WORKERS = 8  # requests handled at once; more get 503 (generation is serialised by a lock anyway)
PARENT_POLL = 1.0  # seconds between checks that the starting process is still alive


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
            result = self.server.generator.complete(request, cancelled=lambda: client_gone(self.connection))
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
                cancelled=lambda: state["gone"] or client_gone(self.connection),
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


def _watch_parent(parent: int, shutdown) -> None:
    """Stop when the process that started us is gone (a killed kernel runs no atexit)."""
    while alive(parent):
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
        write_state(me, state_file)
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
            current = read_state(state_file)
            if current is not None and current.pid == me.pid:
                state_file.unlink(missing_ok=True)
        print(f"ragfirst LLM server pid {me.pid} stopped", flush=True)
        # A generation thread may still be inside torch; normal interpreter shutdown
        # can hang or abort on it, and there is nothing left to flush.
        os._exit(0)


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
