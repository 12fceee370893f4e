"""Faults a running service must survive: its LLM server killed or failing mid-answer, a client that leaves
mid-stream, a request log that has to wait for SQLite's write lock."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import httpx
import pytest

from ragfirst.llm import local_server
from service_support import key, service, sse_events, start_service  # noqa: F401 - pytest fixtures
from test_llm import FakeAPI

pytestmark = pytest.mark.slow

QUESTION = "30,000원 넘게 사면 배송비 무료예요?"
LONG_ANSWER = "필터 교체 방법 알려주세요"
WAIT = 300.0


def wait_until(check, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}")


def llm_busy(port: int, token: str) -> bool:
    return bool((local_server.health(port, timeout=5, token=token) or {}).get("busy"))


def rows_for(service, name: str) -> list[tuple]:
    with sqlite3.connect(service.database) as db:
        return db.execute("SELECT r.route, r.status, r.completion_tokens FROM requests r JOIN keys k ON k.id = r.key_id "
                          "WHERE k.name = ? ORDER BY r.id", (name,)).fetchall()


def ask_while_generating(service, secret: str) -> tuple[threading.Thread, dict, tuple]:
    """Ask in a thread (its answer lands in the dict as "ask") and return once the model writes for it."""
    pid, port, token = server = service.llm_server()
    answers: dict = {}

    def ask():
        with service.client(secret) as client:
            answers["ask"] = client.post("/v1/ask", json={"question": QUESTION})

    asking = threading.Thread(target=ask)
    asking.start()
    wait_until(lambda: llm_busy(port, token), "the model to start generating for the request")
    return asking, answers, server


def test_llm_server_killed_during_a_request_gives_503_and_the_next_request_recovers(service):
    secret = service.new_key("fault-kill")
    asking, answers, (pid, _, _) = ask_while_generating(service, secret)
    os.kill(pid, signal.SIGKILL)
    asking.join(WAIT)
    killed = answers["ask"]
    assert killed.status_code == 503, killed.text
    assert killed.json()["error"] == "llm_unavailable" and "언어 모델 서버" in killed.json()["message"]
    assert int(killed.headers["retry-after"]) > 0

    # streamed: the words already sent cannot be taken back, so the stream ends with an error event
    pid, port, token = service.llm_server() or (None, None, None)
    with service.client(secret) as client:
        recovered = client.post("/v1/ask", json={"question": QUESTION})  # starts a new LLM server
        assert recovered.status_code == 200 and recovered.json()["declined"] is False and recovered.json()["text"]
        new_pid, *_ = service.llm_server()
        assert new_pid != pid
        events = []
        with client.stream("POST", "/v1/ask", json={"question": QUESTION, "stream": True}) as response:
            for event, data in sse_events(response):
                events.append((event, data))
                if event == "token" and len(events) == 1:
                    os.kill(new_pid, signal.SIGKILL)
        assert events[0][0] == "token" and events[-1][0] == "error"
        assert events[-1][1]["status"] == 503 and "언어 모델 서버" in events[-1][1]["message"]
        assert "done" not in [e for e, _ in events]
        again = client.post("/v1/ask", json={"question": QUESTION})
        assert again.status_code == 200 and again.json()["text"]
    statuses = [status for _, status, _ in rows_for(service, "fault-kill")]
    assert statuses == [503, 200, 503, 200]  # every request is in the log, failures included


def test_an_error_from_the_llm_in_the_middle_of_an_answer_gives_503_and_the_next_request_recovers(tmp_path):
    api = FakeAPI(broken_streams=2)  # a remote OpenAI-compatible API whose next two answers break off with an error event
    running = start_service(tmp_path, OPENAI_BASE_URL=api.url, OPENAI_MODEL="gpt-4o-mini")
    try:
        secret = running.new_key("fault-midstream")
        with running.client(secret) as client:
            broken = client.post("/v1/ask", json={"question": QUESTION})
            assert broken.status_code == 503, broken.text
            assert broken.json()["error"] == "llm_unavailable" and "쓰던 중에 오류" in broken.json()["message"]
            assert int(broken.headers["retry-after"]) > 0
            with client.stream("POST", "/v1/ask", json={"question": QUESTION, "stream": True}) as response:
                events = list(sse_events(response))
            assert [event for event, _ in events] == ["token", "error"]  # the words so far, then the same 503 body
            assert events[-1][1] == {**broken.json(), "status": 503}
            recovered = client.post("/v1/ask", json={"question": QUESTION})
            assert recovered.status_code == 200 and recovered.json()["text"], recovered.text
        rows = wait_until(lambda: len(rows_for(running, "fault-midstream")) == 3 and rows_for(running, "fault-midstream"),
                          "the three log rows")
        assert [status for _, status, _ in rows] == [503, 503, 200]
    finally:
        running.stop()
        api.close()


def test_a_client_leaving_mid_stream_frees_its_worker(service):
    secret = service.new_key("fault-leave")
    with service.client(secret) as client:
        full = [e for e, _ in sse_events_of(client, LONG_ANSWER)]
        pieces = full.count("token")
        assert full[-1] == "done" and pieces >= 8, "the probe question needs an answer of several pieces"
        with client.stream("POST", "/v1/ask", json={"question": LONG_ANSWER, "stream": True}) as response:
            for event, _ in sse_events(response):
                assert event == "token"
                break  # leave after the first words
        stats = lambda: client.get("/v1/stats").json()  # noqa: E731
        wait_until(lambda: stats()["queue"] == {"running": 0, "admitted": 0}, "the worker to give its place back")
        asked = wait_until(lambda: [row for row in rows_for(service, "fault-leave") if row[0] == "/v1/ask"][1:],
                           "the stream's log row")
        assert asked[0][1] == 499  # logged as "client closed the request"
        assert asked[0][2] < pieces  # it stopped before the model would have finished
        after = client.post("/v1/ask", json={"question": QUESTION})
        assert after.status_code == 200 and after.json()["text"]


def sse_events_of(client, question: str) -> list[tuple[str, dict]]:
    with client.stream("POST", "/v1/ask", json={"question": question, "stream": True}) as response:
        return list(sse_events(response))


def test_a_log_row_waiting_for_sqlite_holds_up_no_other_request(service):
    asking, answers, (_, port, token) = ask_while_generating(service, service.new_key("fault-log-lock"))  # key checked
    other = sqlite3.connect(service.database, timeout=30, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock: the answer's log row has to wait for it
        wait_until(lambda: not llm_busy(port, token), "the model to finish")
        deadline = time.monotonic() + 3  # meanwhile the answer reaches its log row and waits there
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                health = httpx.get(f"{service.url}/health", timeout=10)
            except httpx.TimeoutException:
                pytest.fail("/health waited for the request log's write: the row is written on the event loop")
            assert health.status_code == 200 and time.monotonic() - started < 2
            time.sleep(0.2)
        assert "ask" not in answers  # its answer goes out once its row is written
    finally:
        other.execute("COMMIT")
        other.close()
    asking.join(WAIT)
    assert answers["ask"].status_code == 200, answers["ask"].text
    assert [status for _, status, _ in rows_for(service, "fault-log-lock")] == [200]  # no waiting: it was written first
