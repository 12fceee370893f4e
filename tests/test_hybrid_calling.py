"""The function-calling path with real `openai` objects.

Parsing is checked on ``openai.types.chat.ChatCompletion`` objects; the full
round trip uses the real ``openai`` client against a tiny HTTP server on
127.0.0.1 that answers like the Chat Completions API (no network).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletion

from hybrid_support import trained_classifier
from ragfirst.runtime.config import DATA_DIR, Backend
from ragfirst.hybrid.calling import parse_tool_calls, run_tools_with_model
from ragfirst.hybrid.system import ModernAISystem
from ragfirst.hybrid.shop import build_shop_db
from ragfirst.hybrid.tools import TOOL_SPECS, ShopTools, ToolError


def completion(message, usage=(100, 20)):
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "tool_calls" if message.get("tool_calls") else "stop", "message": message}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}}


def tool_call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def test_parse_tool_calls_from_a_chat_completion():
    parsed = ChatCompletion.model_validate(completion({"role": "assistant", "content": None, "tool_calls": [
        tool_call("call_1", "track_delivery", '{"order_id": "MS-100231"}'),
        tool_call("call_2", "list_orders", "{}"),
    ]}))
    calls = parse_tool_calls(parsed.choices[0].message)
    assert [(c.call_id, c.name, c.arguments) for c in calls] == [
        ("call_1", "track_delivery", '{"order_id": "MS-100231"}'), ("call_2", "list_orders", "{}")]


def test_a_plain_answer_has_no_tool_calls():
    parsed = ChatCompletion.model_validate(completion({"role": "assistant", "content": "안녕하세요"}))
    assert parse_tool_calls(parsed.choices[0].message) == []


def test_a_non_function_tool_call_is_rejected():
    parsed = ChatCompletion.model_validate(completion({"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "custom", "custom": {"name": "x", "input": "y"}}]}))
    with pytest.raises(ToolError, match="function"):
        parse_tool_calls(parsed.choices[0].message)


class ScriptedChatServer:
    """Answers POST /v1/chat/completions with the next scripted body and records requests."""

    def __init__(self, bodies):
        self.bodies, self.requests = list(bodies), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                outer.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                payload = json.dumps(outer.bodies.pop(0)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client = OpenAI(base_url=f"http://127.0.0.1:{self.server.server_port}/v1", api_key="test", timeout=10, max_retries=0)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def tools(tmp_path):
    return ShopTools(build_shop_db(tmp_path / "shop.sqlite"), "C001")


def run(tools, first_message, final_text="처리했습니다."):
    server = ScriptedChatServer([completion(first_message, (300, 30)), completion({"role": "assistant", "content": final_text}, (400, 50))])
    try:
        return run_tools_with_model(server.client, "gpt-4o-mini", "주문 확인해 주세요", tools), server.requests
    finally:
        server.close()


def test_round_trip_sends_tools_runs_the_call_and_returns_the_result(tools):
    outcome, requests = run(tools, {"role": "assistant", "content": None,
                                    "tool_calls": [tool_call("call_7", "get_order_status", '{"order_id": "MS-100234"}')]})
    assert requests[0]["tools"] == TOOL_SPECS and requests[0]["tool_choice"] == "auto"
    tool_message = requests[1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_7"
    assert json.loads(tool_message["content"])["data"]["total_krw"] == 248_000
    assert outcome.text == "처리했습니다." and (outcome.prompt_tokens, outcome.completion_tokens) == (700, 80)
    assert tools.audit_rows()[-1]["tool"] == "get_order_status"


def test_model_asking_for_another_customers_order_is_refused(tools):
    outcome, requests = run(tools, {"role": "assistant", "content": None,
                                    "tool_calls": [tool_call("c1", "request_refund", '{"order_id": "MS-100240", "reason_type": "defect", "reason": "x"}')]})
    assert outcome.results[0].outcome == "refused"
    assert json.loads(requests[1]["messages"][-1]["content"])["ok"] is False


@pytest.mark.parametrize("name, arguments, fragment", [
    ("drop_database", "{}", "알 수 없는 도구"),
    ("track_delivery", '{"order_id": ', "JSON"),
])
def test_unknown_tool_or_malformed_arguments_become_a_clear_tool_error(tools, name, arguments, fragment):
    outcome, requests = run(tools, {"role": "assistant", "content": None, "tool_calls": [tool_call("c1", name, arguments)]})
    assert fragment in outcome.results[0]
    sent = json.loads(requests[1]["messages"][-1]["content"])
    assert sent["ok"] is False and fragment in sent["error"]
    assert tools.audit_rows()[-1]["outcome"] == "error"


def test_no_tool_call_means_one_request_only(tools):
    server = ScriptedChatServer([completion({"role": "assistant", "content": "주문번호를 알려 주세요."})])
    try:
        outcome = run_tools_with_model(server.client, "gpt-4o-mini", "환불", tools)
    finally:
        server.close()
    assert outcome.text == "주문번호를 알려 주세요." and outcome.calls == [] and len(server.requests) == 1


def test_assistant_on_an_api_backend_lets_the_model_pick_the_tool(tools):
    """The action route of ModernAISystem on an API backend goes through tools=[...], not the rules."""
    import csv

    server = ScriptedChatServer([
        completion({"role": "assistant", "content": None,
                    "tool_calls": [tool_call("call_1", "track_delivery", '{"order_id": "MS-100231"}')]}, (300, 30)),
        completion({"role": "assistant", "content": "MS-100231은 배송 중입니다."}, (400, 50)),
    ])
    backend = Backend("compatible", f"http://127.0.0.1:{server.server.server_port}/v1", "gpt-4o-mini", "test")
    try:
        assistant = ModernAISystem(trained_classifier("logistic"), tools, backend=backend)
        assert assistant.can_call_tools
        response = assistant.handle_request("MS-100231 택배 어디쯤이에요?")
    finally:
        server.close()
    assert (response.route, response.model) == ("tools", "gpt-4o-mini")
    assert response.tool_calls == [{"name": "track_delivery", "arguments": '{"order_id": "MS-100231"}', "by": "model"}]
    assert server.requests[0]["tools"] == TOOL_SPECS and response.text == "MS-100231은 배송 중입니다."
    with open(DATA_DIR / "prices.csv", encoding="utf-8") as handle:
        price = {row["item"]: float(row["value"]) for row in csv.DictReader(handle)}
    expected = (700 * price["api.gpt-4o-mini.input"] + 80 * price["api.gpt-4o-mini.output"]) / 1e6
    assert response.cost_usd == pytest.approx(expected)
    assert tools.audit_rows()[-1]["tool"] == "track_delivery"
