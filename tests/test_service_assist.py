"""/v1/assist: notebook 06's hybrid assistant behind the service, its tools acting for the key's customer."""

from __future__ import annotations

import sqlite3

import pytest

from ragfirst.hybrid.system import LOGIN_NEEDED
from service_support import key, service  # noqa: F401 - pytest fixtures

pytestmark = pytest.mark.slow

TRACK = "주문번호 MS-100231 배송 어디쯤 왔어요?"  # C001's order, in transit
OTHERS_ORDER = "주문번호 MS-100240 배송 어디쯤 왔어요?"  # C002's order
KNOWLEDGE = "배송비 얼마야?"


def audit_rows(service) -> list[tuple]:
    """The shop's audit log (empty before the first /v1/assist built the shop database)."""
    path = service.database.parent / "shop.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT customer_id, tool, outcome FROM audit_log ORDER BY audit_id").fetchall()


def assist(service, secret: str, message: str) -> dict:
    with service.client(secret) as client:
        response = client.post("/v1/assist", json={"message": message})
    assert response.status_code == 200, response.text
    return response.json()


def test_order_tools_act_for_the_customer_bound_to_the_key(service):
    secret = service.new_key("shop-c001", customer="C001")
    before = len(audit_rows(service))
    body = assist(service, secret, TRACK)
    assert (body["intent"], body["route"], body["customer"]) == ("action_required", "tools", "C001")
    [call] = body["tool_calls"]
    assert (call["name"], call["arguments"]["order_id"], call["outcome"]) == ("track_delivery", "MS-100231", "ok")
    assert "MS-100231" in body["answer"]
    assert audit_rows(service)[before:] == [("C001", "track_delivery", "ok")]

    refused = assist(service, secret, OTHERS_ORDER)  # another customer's order: the tool refuses, and says so
    assert refused["tool_calls"][0]["outcome"] in ("refused", "not_found")
    assert audit_rows(service)[-1][0] == "C001"


def test_a_key_without_a_customer_gets_no_tools(service, key):
    rows = len(audit_rows(service))
    body = assist(service, key, TRACK)
    assert body["route"] == "tools" and body["answer"] == LOGIN_NEEDED and body["tool_calls"] == []
    assert body["customer"] is None
    assert len(audit_rows(service)) == rows


def test_a_key_whose_customer_left_the_shop_gets_403_and_no_tool_runs(service):
    secret = service.new_key("shop-c003", customer="C003")
    with sqlite3.connect(service.database.parent / "shop.sqlite3") as connection:
        connection.execute("DELETE FROM customers WHERE customer_id = 'C003'")
    rows = len(audit_rows(service))
    with service.client(secret) as client:
        response = client.post("/v1/assist", json={"message": TRACK})
    assert response.status_code == 403 and response.json()["error"] == "unknown_customer", response.text
    assert len(audit_rows(service)) == rows


def test_knowledge_questions_go_through_rag_and_are_logged(service, key):
    body = assist(service, key, KNOWLEDGE)
    assert (body["intent"], body["route"]) == ("knowledge_query", "rag")
    assert body["declined"] or body["sources"], body  # an answer cites the fixture corpus
    with service.client(key) as client:
        recent = client.get("/v1/stats").json()["recent"]
    assert any(row["route"] == "/v1/assist" and row["status"] == 200 for row in recent)


@pytest.mark.parametrize(("body", "field"), [({"message": ""}, "message"), ({"message": 3}, "message"),
                                             ({"question": "배송비?"}, "question")])
def test_bad_messages_get_422_naming_the_field(service, key, body, field):
    with service.client(key) as client:
        response = client.post("/v1/assist", json=body)
    assert response.status_code == 422 and response.json()["field"] == field, response.text


@pytest.mark.parametrize(("customer", "words"), [("C001; DROP TABLE keys", "고객 id"), ("C999", "고객이 없습니다")])
def test_a_malformed_or_unknown_customer_is_refused_when_the_key_is_made(service, customer, words):
    done = service.cli("keys", "create", "bad-customer", "--customer", customer)
    assert done.returncode != 0 and words in done.stderr, done.stderr
    assert "bad-customer" not in service.cli("keys", "list").stdout
