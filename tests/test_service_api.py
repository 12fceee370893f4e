"""The HTTP service end to end: a real `ragfirst serve`, real HTTP, the real local model.

Model-derived numbers are checked by invariants only (tokens counted, cost from the
price table, a quote taken from the cited document), never by value or by time.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat

import httpx
import pytest

from rag_fixtures import DOCS
from ragfirst.llm import local_server
from service_support import key, service, sse_events  # noqa: F401 - pytest fixtures

pytestmark = pytest.mark.slow

ANSWERABLE = "30,000원 넘게 사면 배송비 무료예요?"
UNANSWERABLE = "회사 주차장은 몇 층에 있나요?"
NEW_DOC = """---
id: t-battery
title: 배터리 보증 기간
category: A/S·보증
---

무선 청소기 배터리는 구매일로부터 18개월 동안 무상으로 교체해 드립니다.
"""


def has_hangul(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)


def document_ids(client) -> list[str]:
    response = client.get("/v1/documents")
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["documents"]]


# --------------------------------------------------------------------------- keys and auth


def test_keys_are_stored_only_as_hashes_in_a_private_file(service):
    secret = service.new_key("hash-check")
    assert stat.S_IMODE(os.stat(service.database).st_mode) == 0o600
    assert secret.encode() not in service.database.read_bytes()
    wal = service.database.with_name(service.database.name + "-wal")
    assert not wal.exists() or secret.encode() not in wal.read_bytes()
    listed = service.cli("keys", "list").stdout
    assert "hash-check" in listed and secret not in listed and secret[:8] in listed
    with service.client(secret) as client:
        assert client.get("/v1/documents").status_code == 200
    assert service.cli("keys", "revoke", "hash-check").returncode == 0
    with service.client(secret) as client:
        assert client.get("/v1/documents").status_code == 401
    again = service.cli("keys", "revoke", "hash-check")
    assert again.returncode == 2 and "hash-check" in again.stderr


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer rf_not-a-real-key"}, {"Authorization": "Basic abc"},
                                     {"X-API-Key": "wrong"}])
def test_requests_without_a_valid_key_get_401(service, headers):
    for method, path, body in [("POST", "/v1/ask", b'{"question": "x"}'), ("POST", "/v1/ask", b"{not json"),
                               ("GET", "/v1/documents", None), ("DELETE", "/v1/documents/t-ship", None),
                               ("GET", "/v1/stats", None)]:
        response = httpx.request(method, service.url + path, content=body, headers=headers, timeout=30)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert has_hangul(response.json()["message"])


def test_x_api_key_header_works_too(service, key):
    assert httpx.get(f"{service.url}/v1/documents", headers={"X-API-Key": key}, timeout=30).status_code == 200


def test_rate_limit_answers_429_with_retry_after_and_logs_it(service):
    secret = service.new_key("slow-client", per_minute=1, burst=2)
    with service.client(secret) as client:
        statuses = [client.get("/v1/documents").status_code for _ in range(2)]
        limited = client.get("/v1/documents")
    assert statuses == [200, 200]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "rate_limited" and has_hangul(limited.json()["message"])
    with sqlite3.connect(service.database) as db:
        rows = db.execute("SELECT r.status FROM requests r JOIN keys k ON k.id = r.key_id WHERE k.name = 'slow-client' "
                          "ORDER BY r.id").fetchall()
    assert [r[0] for r in rows] == [200, 200, 429]


# --------------------------------------------------------------------------- limits and bad input


def test_request_size_limits(service, key):
    with service.client(key) as client:
        huge = client.post("/v1/ask", content=b'{"question": "' + "가".encode() * 20000 + b'"}',
                           headers={"Content-Type": "application/json"})
        assert huge.status_code == 413 and huge.json()["error"] == "too_large" and has_hangul(huge.json()["message"])
        upload = client.post("/v1/documents", files={"files": ("big.md", b"a" * (5 * 1024 * 1024), "text/markdown")})
        assert upload.status_code == 413
        long = client.post("/v1/ask", json={"question": "배송" * 600})
        assert long.status_code == 422 and long.json()["field"] == "question" and "너무 깁니다" in long.json()["message"]
        many = client.post("/v1/documents", files=[("files", (f"d{i}.md", b"# a\n\nb", "text/markdown")) for i in range(21)])
        assert many.status_code == 413 and many.json()["error"] == "too_many_files"


def test_a_stranger_gets_401_for_a_huge_body_and_a_keyed_413_is_logged(service):
    huge = b'{"question": "' + b"a" * 200_000 + b'"}'
    stranger = httpx.post(f"{service.url}/v1/ask", content=huge, headers={"Content-Type": "application/json"}, timeout=30)
    assert stranger.status_code == 401  # the key is checked before the body is read
    secret = service.new_key("big-body")
    with service.client(secret) as client:
        assert client.post("/v1/ask", content=huge, headers={"Content-Type": "application/json"}).status_code == 413
    with sqlite3.connect(service.database) as db:
        rows = db.execute("SELECT r.status FROM requests r JOIN keys k ON k.id = r.key_id WHERE k.name = 'big-body'").fetchall()
    assert rows == [(413,)]


def test_a_key_with_an_infinite_rate_is_refused(service):
    done = service.cli("keys", "create", "unbounded", "--burst", "inf")
    assert done.returncode != 0 and "--burst" in done.stderr


@pytest.mark.parametrize(
    "body, status, field, words",
    [
        ({"question": ""}, 422, "question", "비어 있습니다"),
        ({"question": "   "}, 422, "question", "비어 있습니다"),
        ({"question": "How much is shipping?"}, 422, "question", "한국어로"),
        ({"question": 123}, 422, "question", "문자열"),
        ({"question": ["배송비"]}, 422, "question", "문자열"),
        ({}, 422, "question", "필드가 없습니다"),
        ({"qustion": "배송비는?"}, 422, "qustion", "알 수 없는 필드"),
        ({"question": "배송비는?", "stream": "yes"}, 422, "stream", "true 또는 false"),
        ({"question": "배송비는?", "k": 50}, 422, "k", "범위"),
        ("not an object", 422, None, "JSON 객체"),
    ],
)
def test_bad_input_gets_a_korean_message_naming_the_field(service, key, body, status, field, words):
    with service.client(key) as client:
        response = client.post("/v1/ask", json=body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["field"] == field and words in payload["message"] and has_hangul(payload["message"])


def test_malformed_json_is_400(service, key):
    with service.client(key) as client:
        response = client.post("/v1/ask", content=b'{"question": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.json()["message"]


# --------------------------------------------------------------------------- documents


def test_upload_is_idempotent_and_delete_removes(service, key):
    with service.client(key) as client:
        before = document_ids(client)
        first = client.post("/v1/documents", files={"files": ("battery.md", NEW_DOC.encode(), "text/markdown")})
        assert first.status_code == 200, first.text
        assert first.json()["changed"] and first.json()["added"] >= 1 and first.json()["affected"] == ["t-battery"]
        again = client.post("/v1/documents", files={"files": ("battery.md", NEW_DOC.encode(), "text/markdown")})
        assert again.status_code == 200 and again.json()["changed"] is False
        assert again.json()["chunks"] == first.json()["chunks"]
        assert document_ids(client) == sorted(before + ["t-battery"])
        found = client.post("/v1/search", json={"question": "배터리 보증은 몇 개월인가요?", "k": 1}).json()
        assert found["hits"][0]["id"] == "t-battery"
        gone = client.delete("/v1/documents/t-battery")
        assert gone.status_code == 200 and gone.json()["removed"] >= 1
        assert document_ids(client) == before
        missing = client.delete("/v1/documents/t-battery")
        assert missing.status_code == 404 and missing.json()["field"] == "id" and has_hangul(missing.json()["message"])


def test_an_upload_failing_midway_leaves_the_index_as_it_was(service, key):
    files_on_disk = lambda: sorted(p.name for p in (service.database.parent / "documents").rglob("*.md"))  # noqa: E731
    with service.client(key) as client:
        before = document_ids(client)
        probe = client.post("/v1/search", json={"question": "배터리 보증은 몇 개월인가요?"}).json()["hits"]
        disk = files_on_disk()
        # the first file is fine, the second is not UTF-8: neither is indexed
        bad = client.post("/v1/documents", files=[("files", ("battery.md", NEW_DOC.encode(), "text/markdown")),
                                                  ("files", ("broken.md", "# 제목\n\n본문".encode("cp949"), "text/markdown"))])
        assert bad.status_code == 422 and "broken.md" in bad.json()["message"] and "UTF-8" in bad.json()["message"]
        # an id that is already taken by another file
        clash = NEW_DOC.replace("t-battery", "t-ship")
        taken = client.post("/v1/documents", files={"files": ("clash.md", clash.encode(), "text/markdown")})
        assert taken.status_code == 422 and "t-ship" in taken.json()["message"]
        # wrong type and names that try to leave the folder
        pdf = client.post("/v1/documents", files={"files": ("manual.pdf", b"%PDF-1.7", "application/pdf")})
        assert pdf.status_code == 415 and ".md" in pdf.json()["message"]
        for name in ("../escape.md", "/etc/escape.md", ".hidden.md", "a/b.md", "README.md"):
            refused = client.post("/v1/documents", files={"files": (name, NEW_DOC.encode(), "text/markdown")})
            assert refused.status_code == 422, (name, refused.text)
        empty = client.post("/v1/documents", files={"files": ("empty.md", b"", "text/markdown")})
        assert empty.status_code == 422 and "빈 파일" in empty.json()["message"]
        # a client that disconnects halfway through its upload body
        host, port = service.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as raw:
            raw.sendall(f"POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                        "Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n--XX\r\n".encode())
        assert document_ids(client) == before
        assert client.post("/v1/search", json={"question": "배터리 보증은 몇 개월인가요?"}).json()["hits"] == probe
        assert files_on_disk() == disk
    assert not list((service.database.parent.parent).rglob("escape.md"))


# --------------------------------------------------------------------------- answers


def test_answer_has_sources_with_titles_quotes_tokens_and_cost(service, key):
    with service.client(key) as client:
        body = client.post("/v1/ask", json={"question": ANSWERABLE}).json()
    assert body["declined"] is False and body["text"]
    assert body["backend"] == "local" and body["model"]
    assert body["sources"], body
    titles = {doc.split("title: ")[1].split("\n")[0] for doc in DOCS.values()}
    for source in body["sources"]:
        assert source["title"] in titles
    quoted = [s for s in body["sources"] if s["quote"]]
    assert quoted and any(quoted[0]["quote"] in doc for doc in DOCS.values())  # quoted verbatim from a document
    assert body["tokens"]["prompt"] > 0 and body["tokens"]["completion"] >= 1
    assert body["cost_usd"] == 0 and body["cost_krw"] == 0  # data/prices.csv: the local server has no per-token fee
    assert body["latency_ms"] > 0


def test_unanswerable_question_declines_without_calling_the_model(service, key):
    with service.client(key) as client:
        body = client.post("/v1/ask", json={"question": UNANSWERABLE}).json()
    assert body["declined"] is True and body["declined_by"] == "retrieval"
    assert body["sources"] == [] and body["tokens"] == {"prompt": 0, "completion": 0}
    assert "문서에서 찾을 수 없습니다" in body["answer"]


def test_stream_sends_words_before_the_model_has_finished(service, key):
    pid_port = service.llm_server()
    assert pid_port, "the service should have started its LLM server"
    events, busy_at_first_word = [], None
    with service.client(key) as client, client.stream("POST", "/v1/ask", json={"question": ANSWERABLE, "stream": True}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for event, data in sse_events(response):
            if event == "token" and busy_at_first_word is None:
                busy_at_first_word = local_server.health(pid_port[1], timeout=30, token=pid_port[2])["busy"]
            events.append((event, data))
    kinds = [e for e, _ in events]
    assert kinds[-1] == "done" and kinds.count("done") == 1 and "error" not in kinds
    assert kinds.count("token") >= 2 and kinds[0] == "token"
    assert busy_at_first_word is True  # the first words arrived while the model was still generating
    done = events[-1][1]
    streamed = "".join(d["text"] for e, d in events if e == "token")
    assert done["text"] and done["text"] in streamed
    assert done["ttft_ms"] is not None and done["ttft_ms"] <= done["latency_ms"]
    assert done["tokens"]["completion"] >= kinds.count("token") - 1 >= 1


def test_stats_count_what_this_key_sent(service):
    secret = service.new_key("stats-check")
    with service.client(secret) as client:
        client.post("/v1/ask", json={"question": UNANSWERABLE})
        client.post("/v1/ask", json={"question": ""})
        client.get("/v1/documents")
        stats = client.get("/v1/stats").json()
    assert stats["key"] == "stats-check"
    assert stats["routes"]["/v1/ask"]["statuses"] == {"200": 1, "422": 1}
    assert stats["routes"]["/v1/ask"]["declined"] == 1
    assert stats["routes"]["/v1/documents"]["requests"] == 1
    assert stats["requests"] == 3  # the stats request itself is logged after its answer
    assert {"time", "route", "status", "prompt_tokens", "completion_tokens", "cost_usd", "latency_ms", "declined"} <= set(stats["recent"][0])


def test_health_ready_docs_and_page(service):
    assert httpx.get(f"{service.url}/health", timeout=30).json() == {"status": "ok", "pid": service.process.pid}
    ready = httpx.get(f"{service.url}/ready", timeout=30).json()
    assert ready["ready"] is True and ready["documents"] == len(DOCS)
    schema = httpx.get(f"{service.url}/openapi.json", timeout=30).json()
    assert {"/v1/ask", "/v1/documents", "/v1/stats", "/v1/search"} <= set(schema["paths"])
    assert httpx.get(f"{service.url}/docs", timeout=30).status_code == 200
    page = httpx.get(f"{service.url}/", timeout=30)
    assert page.status_code == 200 and "질문하기" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{service.url}/nowhere", timeout=30).json()["error"] == "not_found"


def test_serve_binds_loopback_by_default():
    from ragfirst.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_several_workers_need_a_shared_chroma_server(tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "RAGFIRST_CHROMA_URL"}
    env["RAGFIRST_SERVICE_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ragfirst.cli", "serve", "--workers", "2"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "RAGFIRST_CHROMA_URL" in done.stderr
