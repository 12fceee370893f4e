"""ragfirst.llm.chat and the local server: real openai client, real loopback servers."""

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ragfirst.llm import chat, generator, http_server, local_server, protocol, server_state, usage
from ragfirst.runtime import config

# Generation on a shared 2-core machine can be slow; these tests check behaviour, not speed.
GEN = {"timeout": 600, "max_retries": 0}


# --------------------------------------------------------------------------- helpers


def process_gone(pid: int) -> bool:
    """No such process, or only a zombie waiting to be reaped."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeAPI:
    """A loopback stand-in for a remote OpenAI-compatible API (OpenAI itself is offline here).

    A streamed request gets its answer in two pieces; the first ``broken_streams`` of them
    break off after the first piece with an ``error`` event, as OpenAI's API does when it fails mid-answer.
    """

    def __init__(self, delay: float = 0.0, model: str = "gpt-4o-mini", usage=(1000, 500), broken_streams: int = 0):
        self.requests = 0
        self.broken_streams = broken_streams
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.requests += 1
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                time.sleep(delay)
                if request.get("stream"):
                    self.stream(outer.broken_streams > 0)
                    outer.broken_streams -= 1
                    return
                body = {
                    "id": "x", "object": "chat.completion", "created": 0, "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "네"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
                }
                data = json.dumps(body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def stream(self, broken: bool):
                def chunk(delta: dict, finish_reason=None, usage_counts=None) -> dict:
                    choices = [] if usage_counts else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
                    body = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": choices}
                    return {**body, "usage": usage_counts} if usage_counts else body

                events = [chunk({"role": "assistant", "content": "배송비는 "})]
                if broken:
                    events.append({"error": {"message": "The server had an error while processing your request.",
                                             "type": "server_error"}})
                else:
                    counts = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
                    events += [chunk({"content": "무료입니다."}), chunk({}, "stop"), chunk({}, usage_counts=counts), "[DONE]"]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for event in events:
                    data = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
                    self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def post_json(url: str, body: bytes, token: str = ""):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --------------------------------------------------------------------------- no model needed


def test_backend_selection_follows_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    client, backend = chat.get_client(timeout=7, max_retries=1)
    assert backend.kind == "openai"
    assert str(client.base_url).startswith("https://api.openai.com")
    assert client.timeout == 7 and client.max_retries == 1
    assert "sk-test" not in chat.describe_backend()

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    client, backend = chat.get_client()
    assert backend.kind == "compatible"
    assert str(client.base_url).rstrip("/") == "http://127.0.0.1:11434/v1"
    assert client.timeout == chat.DEFAULT_TIMEOUT and client.max_retries == chat.DEFAULT_MAX_RETRIES

    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    line = chat.describe_backend()  # must not start a server
    assert "로컬" in line and "gemma-3-270m" in line


def test_bad_timeout_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("RAGFIRST_LLM_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="RAGFIRST_LLM_TIMEOUT"):
        chat.default_timeout()


@pytest.mark.parametrize(
    ("has_bf16", "machine", "capability", "expected"),
    [
        (True, "x86_64", "AVX512", "bfloat16"),
        (True, "x86_64", "AVX2", "float32"),  # ATEN_CPU_CAPABILITY=avx2 on an AVX-512 CPU
        (True, "AMD64", "DEFAULT", "float32"),
        (False, "x86_64", "AVX512", "float32"),
        (True, "arm64", "DEFAULT", "bfloat16"),  # Apple/ARM: no AVX tiers, the bf16 check decides
        (False, "aarch64", "DEFAULT", "float32"),
    ],
)
def test_auto_dtype_needs_bf16_and_the_kernels_that_use_it(has_bf16, machine, capability, expected):
    assert generator.auto_dtype(has_bf16, machine, capability) == expected


def test_forced_avx2_kernels_resolve_to_float32_with_real_torch():
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "RAGFIRST_LLM_DTYPE": "auto"}
    code = "from ragfirst.llm.generator import resolve_dtype; print(resolve_dtype())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "float32"


def test_cost_comes_from_the_price_table():
    # data/prices.csv: gpt-4o-mini 0.15 USD in / 0.60 USD out per 1M tokens.
    cost, note = usage.estimate_cost("gpt-4o-mini", "openai", 2_000_000, 1_000_000)
    assert cost == pytest.approx(0.30 + 0.60)
    assert "openai.com" in note
    dated, _ = usage.estimate_cost("gpt-4o-mini-2024-07-18", "openai", 2_000_000, 1_000_000)
    assert dated == pytest.approx(0.90)
    assert usage.estimate_cost("gemma-3-270m", "local", 500, 500)[0] == 0
    unknown, note = usage.estimate_cost("llama3.2", "compatible", 10, 10)
    assert unknown is None and "llama3.2" in note


def test_the_default_model_is_priced_and_dated_model_names_find_it():
    # data/prices.csv: gpt-6-luna 0.10 USD in / 0.50 USD out per 1M tokens (OpenAI's model page).
    cost, note = usage.estimate_cost(config.DEFAULT_OPENAI_MODEL, "openai", 2_000_000, 1_000_000)
    assert config.DEFAULT_OPENAI_MODEL == "gpt-6-luna"
    assert cost == pytest.approx(0.20 + 0.50)
    assert "developers.openai.com" in note and "2026-09-22" in note
    assert usage.estimate_cost("gpt-6-luna-2026-09-22", "openai", 2_000_000, 1_000_000)[0] == pytest.approx(0.70)
    # embedding and fine-tuning rows are not chat models: they must not become one
    assert usage.price_for("text-embedding-3-small", "openai") is None
    assert usage.price_for("gpt-4.1-mini", "openai").input_per_1m == 0.40  # the base model, not the fine-tune


def test_request_options_for_reasoning_models_and_servers():
    messages = [{"role": "user", "content": "안녕하세요"}]
    reasoning = chat.request_options("openai", "gpt-6-luna", messages, 64, 0.0, ["\n"])
    assert reasoning == {"model": "gpt-6-luna", "messages": messages, "temperature": 0.0,
                         "max_completion_tokens": 64, "reasoning_effort": "none"}
    classic = chat.request_options("openai", "gpt-4o-mini", messages, 64, 0.0, ["\n"])
    assert classic["max_tokens"] == 64 and classic["stop"] == ["\n"] and "reasoning_effort" not in classic
    older = chat.request_options("openai", "o4-mini", messages, 64, 0.0, ["\n"])
    assert older == {"model": "o4-mini", "messages": messages, "max_completion_tokens": 64}
    assert "reasoning_effort" not in chat.request_options("openai", "gpt-5-mini", messages, 64, 0.0)
    assert chat.request_options("openai", "gpt-5.4-mini", messages, 64, 0.0)["reasoning_effort"] == "none"
    # a local or compatible server gets the classic arguments whatever the model is called
    local = chat.request_options("compatible", "gpt-6-luna", messages, 64, 0.0, None)
    assert local["max_tokens"] == 64 and "reasoning_effort" not in local and "stop" not in local


def test_usage_log_totals():
    log = usage.UsageLog()
    a = usage.Generation("a", "m", "openai", 10, 5, 0.25, 1.0)
    b = usage.Generation("b", "m", "openai", 20, 7, 0.5, 2.0)
    log.add(a, backend_kind="openai", model="m", seconds=1.0)
    log.add(b, backend_kind="openai", model="m", seconds=2.0)
    log.add(None, backend_kind="openai", model="m", seconds=0.5, error="APIConnectionError")
    totals = log.totals()
    assert totals == {"calls": 3, "failed_calls": 1, "prompt_tokens": 30, "completion_tokens": 12,
                      "seconds": 3.5, "cost_usd": 0.75}
    assert list(log.to_frame()["prompt_tokens"]) == [10, 20, 0]
    log.add(usage.Generation("c", "x", "compatible", 1, 1, None, 0.1), backend_kind="compatible", model="x", seconds=0.1)
    assert log.totals()["cost_usd"] is None  # one unknown price: no made-up total


def test_generate_rejects_bad_arguments_before_any_request():
    with pytest.raises(ValueError, match="prompt"):
        chat.generate("   ")
    with pytest.raises(ValueError, match="max_tokens"):
        chat.generate("질문", max_tokens=0)
    with pytest.raises(ValueError, match=r"messages\[0\]"):
        chat.generate([{"text": "hi"}])


def test_remote_call_records_usage_and_cost(monkeypatch):
    api = FakeAPI(model="gpt-4o-mini", usage=(1000, 500))
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", api.url)
        log = usage.UsageLog()
        result = chat.generate("안녕하세요", model="gpt-4o-mini", log=log, timeout=10, max_retries=0)
    finally:
        api.close()
    assert result.text == "네" and result.backend_kind == "compatible"
    assert (result.prompt_tokens, result.completion_tokens) == (1000, 500)
    assert result.cost_usd == pytest.approx(1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6)
    assert log.records[0]["cost_usd"] == result.cost_usd


def test_server_down_gives_a_clear_error(monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    log = usage.UsageLog()
    with pytest.raises(chat.LLMUnavailableError) as caught:
        chat.generate("질문", model="any", timeout=2, max_retries=1, log=log)
    assert url in str(caught.value) and "연결할 수 없습니다" in str(caught.value)
    assert log.totals()["failed_calls"] == 1


def test_slow_server_times_out_after_bounded_retries(monkeypatch):
    api = FakeAPI(delay=3.0)
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", api.url)
        with pytest.raises(chat.LLMUnavailableError) as caught:
            chat.generate("질문", model="gpt-4o-mini", timeout=0.3, max_retries=1)
        requests = api.requests
    finally:
        api.close()
    assert "0.3" in str(caught.value) and api.url in str(caught.value)
    assert requests == 2  # one attempt + one retry, then give up


def test_an_error_event_in_the_middle_of_a_stream_is_llm_unavailable(monkeypatch):
    api = FakeAPI(broken_streams=1)
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", api.url)
        log, pieces = usage.UsageLog(), []
        with pytest.raises(chat.LLMUnavailableError) as caught:
            chat.generate_stream("배송비는?", on_text=pieces.append, model="gpt-4o-mini", log=log, timeout=10, max_retries=0)
        assert pieces == ["배송비는 "]  # the words before the failure reached the reader, then the answer ended
        assert "쓰던 중에 오류" in str(caught.value) and api.url in str(caught.value)
        assert log.totals()["failed_calls"] == 1
        again = chat.generate_stream("배송비는?", on_text=pieces.append, model="gpt-4o-mini", log=log, timeout=10, max_retries=0)
    finally:
        api.close()
    assert again.text == "배송비는 무료입니다." and again.finish_reason == "stop" and again.completion_tokens == 500


def test_request_validation_names_the_field():
    ok = {"messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(protocol.RequestError) as caught:
        protocol.parse_chat_request({**ok, "max_tokens": "ten"}, {"m"})
    assert caught.value.param == "max_tokens"
    with pytest.raises(protocol.RequestError) as caught:
        protocol.parse_chat_request({**ok, "stop": ["a", "b", "c", "d", "e"]}, {"m"})
    assert caught.value.param == "stop"
    with pytest.raises(protocol.RequestError) as caught:
        protocol.parse_chat_request({"messages": [{"role": "robot", "content": "x"}]}, {"m"})
    assert caught.value.param == "messages[0].role"
    request = protocol.parse_chat_request(
        {"messages": [{"role": "system", "content": "문서: A"}, {"role": "user", "content": "질문: B\n답변:"}], "stop": "\n"},
        {"m"},
    )
    assert request.prompt == "문서: A\n\n질문: B\n답변:" and request.stop == ("\n",)


# --------------------------------------------------------------------------- the real local server


@pytest.fixture(scope="module")
def server():
    return local_server.ensure_local_server()


@pytest.mark.slow
def test_local_generation_through_the_openai_client(server):
    from transformers import AutoTokenizer

    from ragfirst.llm.models import converted_dir

    prompt = "문서: 환불은 구매 후 7일 이내에 가능합니다.\n질문: 환불 기간은 며칠인가요?\n답변:"
    log = usage.UsageLog()
    result = chat.generate(prompt, max_tokens=12, stop=["\n"], log=log, **GEN)
    tokenizer = AutoTokenizer.from_pretrained(converted_dir())
    assert result.backend_kind == "local" and result.model == "gemma-3-270m"
    assert result.prompt_tokens == len(tokenizer(prompt).input_ids)
    assert 1 <= result.completion_tokens <= 12
    assert "\n" not in result.text
    assert result.cost_usd == 0
    assert log.records[0]["completion_tokens"] == result.completion_tokens


@pytest.mark.slow
def test_max_tokens_and_stop_sequences(server):
    counting = "1, 2, 3, 4, 5, 6, 7, 8,"
    capped = chat.generate(counting, max_tokens=3, **GEN)
    assert capped.completion_tokens == 3 and capped.finish_reason == "length"
    stopped = chat.generate(counting, max_tokens=10, stop=[","], **GEN)
    assert "," not in stopped.text and stopped.finish_reason == "stop"
    assert stopped.text.strip() == "9"  # the count goes on


@pytest.mark.slow
def test_malformed_requests_get_400_naming_the_field(server):
    import openai

    url = f"{server.base_url}/chat/completions"
    status, body = post_json(url, json.dumps({"messages": [{"role": "user", "content": "x"}], "max_tokens": "ten"}).encode(),
                             server.token)
    assert status == 400 and body["error"]["param"] == "max_tokens" and "max_tokens" in body["error"]["message"]
    status, body = post_json(url, b"{not json", server.token)
    assert status == 400 and "JSON" in body["error"]["message"]
    client, _ = chat.get_client()
    with pytest.raises(openai.BadRequestError, match="messages"):
        client.chat.completions.create(model="gemma-3-270m", messages=[])
    with pytest.raises(openai.NotFoundError, match="gemma-3-270m"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert [m.id for m in client.models.list()] == ["gemma-3-270m"]


@pytest.mark.slow
def test_server_is_reused_across_calls_and_processes(server):
    _, first = chat.get_client()
    _, second = chat.get_client()
    current = local_server.running_server()
    assert first.base_url == second.base_url == current.base_url
    code = "from ragfirst.llm import local_server; print(local_server.ensure_local_server().pid)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert int(other.stdout.strip()) == current.pid


@pytest.mark.slow
def test_concurrent_starts_spawn_one_server_and_stop_ends_it(tmp_path, monkeypatch, server):
    # A private cache dir sharing the converted model, so the shared server is never stopped here.
    from ragfirst.llm.models import model_dir

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / model_dir().name).symlink_to(model_dir())
    monkeypatch.setenv("RAGFIRST_CACHE", str(tmp_path))
    code = "from ragfirst.llm import local_server; print(local_server.ensure_local_server(keep=True).pid)"
    starters = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        pids = {int(p.communicate(timeout=900)[0].strip()) for p in starters}
        assert len(pids) == 1
        (pid,) = pids
        assert pid != server.pid
        assert local_server.running_server().pid == pid
        # A caller holding the old URL after someone stopped the server gets a fresh one.
        _, old = chat.get_client()
        assert local_server.stop_local_server() is True
        assert process_gone(pid)
        answer = chat.generate("1, 2, 3,", backend=old, max_tokens=2, **GEN)
        assert answer.completion_tokens >= 1
        new_pid = local_server.running_server().pid
        assert new_pid != pid
        pid = new_pid
    finally:
        stopped = local_server.stop_local_server()
    assert stopped is True
    assert local_server.running_server() is None
    assert not (tmp_path / "llm_server" / "state.json").exists()
    assert process_gone(pid)
    assert local_server.stop_local_server() is False


# --------------------------------------------------------------------------- who may call the local server


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 60.0) -> tuple[int, bytes]:
    """Send exactly these bytes; the status code and the reply (status 0: closed without a reply)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
            if b"\r\n\r\n" in reply and len(reply.split(b"\r\n\r\n", 1)[1]) >= int(
                    (reply.split(b"Content-Length: ", 1)[1:] or [b"0\r"])[0].split(b"\r")[0]):
                break
    return (int(reply.split()[1]) if reply else 0), reply


def test_the_gate_parses_host_and_length_strictly():
    from ragfirst.llm import gate

    assert gate.host_name("LocalHost:8080") == "localhost" and gate.host_name("[::1]:80") == "[::1]"
    assert gate.host_name("127.0.0.1.evil.example:80") == "127.0.0.1.evil.example"
    statuses = {text: getattr(gate.body_length({"Content-Length": text} if text else {}, 100), "status", "ok")
                for text in ("", "-1", "+5", "1e3", "٣", "101", "100", "0")}
    assert statuses == {"": 411, "-1": 400, "+5": 400, "1e3": 400, "٣": 400, "101": 413, "100": "ok", "0": "ok"}


@pytest.mark.slow
def test_the_token_is_random_per_start_and_kept_owner_only(server):
    assert len(server.token) >= 32
    assert stat.S_IMODE(os.stat(server_state.state_path()).st_mode) == 0o600
    assert local_server.running_server().token == server.token


@pytest.mark.slow
@pytest.mark.parametrize("auth, host, status", [
    ("", "127.0.0.1", 401),
    ("Bearer wrong-token", "127.0.0.1", 401),
    ("Basic {token}", "127.0.0.1", 401),
    ("Bearer {token}", "attacker.example", 403),  # DNS rebinding: the browser sends the page's name
    ("Bearer {token}", "localhost.attacker.example", 403),
    ("Bearer {token}", "localhost", 200),
    ("Bearer {token}", "127.0.0.1", 200),
])
def test_requests_need_the_token_and_a_loopback_host(server, auth, host, status):
    auth_line = f"Authorization: {auth.format(token=server.token)}\n" if auth else ""
    got, reply = raw_request(server.port, f"GET /v1/models HTTP/1.1\nHost: {host}:{server.port}\n{auth_line}"
                                          "Connection: close\n")
    assert got == status, reply[:300]
    if status != 200:
        assert b"gemma" not in reply


@pytest.mark.slow
@pytest.mark.parametrize("length_line, status", [
    ("Content-Length: -1\n", 400),
    ("", 411),
    ("Transfer-Encoding: chunked\n", 411),
    (f"Content-Length: {protocol.MAX_BODY_BYTES + 1}\n", 413),
    ("Content-Length: ten\n", 400),
])
def test_content_length_is_validated_before_reading(server, length_line, status):
    head = (f"POST /v1/chat/completions HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {server.token}\n"
            f"Content-Type: application/json\n{length_line}")
    got, reply = raw_request(server.port, head, b'{"messages": []}')
    assert got == status, reply[:300]


@pytest.mark.slow
def test_the_openai_client_of_the_course_sends_the_token(server):
    client, _ = chat.get_client()
    assert client.api_key == server.token
    assert [m.id for m in client.models.list()] == ["gemma-3-270m"]


@pytest.mark.slow
def test_a_private_server_times_out_silent_clients_caps_workers_and_dies_with_its_starter(tmp_path, server):
    """Started (not kept) by a process that is then killed with SIGKILL: no atexit runs, the server still stops."""
    from ragfirst.llm.models import model_dir

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / model_dir().name).symlink_to(model_dir())
    env = {**os.environ, "RAGFIRST_CACHE": str(tmp_path), "RAGFIRST_LLM_SOCKET_TIMEOUT": "10"}  # long enough that the idle workers are still held on a busy machine
    code = ("import sys; from ragfirst.llm import local_server; s = local_server.ensure_local_server(); "
            "print(s.pid, s.port, flush=True); sys.stdin.read()")
    starter = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env=env)
    pid = port = None
    try:
        pid, port = map(int, starter.stdout.readline().split())
        silent = socket.create_connection(("127.0.0.1", port), timeout=60)
        silent.sendall(b"GET /v1/models HTTP/1.1\r\n")  # and then nothing
        assert silent.recv(100) == b""  # the server closed it after 10 s (the client would wait 60 s)
        silent.close()
        idle = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(http_server.MAX_WORKERS)]
        time.sleep(0.5)  # let the server hand each to a worker
        got, _ = raw_request(port, "GET /v1/models HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n")
        assert got == 503
        for sock in idle:
            sock.close()
        starter.kill()
        starter.wait(timeout=30)
        deadline = time.monotonic() + 60
        while not process_gone(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert process_gone(pid)
    finally:
        if starter.poll() is None:
            starter.kill()
        if pid and not process_gone(pid):
            os.kill(pid, 9)


def test_importing_the_server_module_registers_nothing_at_exit():
    code = ("import atexit, ragfirst.llm.chat, ragfirst.llm.http_server, ragfirst.llm.local_server as s; n = atexit._ncallbacks(); "
            "atexit.unregister(s.stop_servers_started_here); print(n - atexit._ncallbacks())")
    removed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert removed == "0"


def test_llm_start_help_tells_how_the_server_ends():
    help_text = subprocess.run([sys.executable, "-m", "ragfirst.cli", "llm", "--help"], capture_output=True, text=True,
                               check=True).stdout
    flat = " ".join(help_text.split())
    assert "RAGFIRST_LLM_IDLE_TIMEOUT" in flat and f"default {server_state.DEFAULT_IDLE_TIMEOUT:.0f}" in flat
    assert "ragfirst llm stop" in flat
