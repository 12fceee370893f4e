"""Tools the assistant may call on the shop database, in the OpenAI function-calling format.

Why this shape: ``TOOL_SPECS`` is exactly what ``client.chat.completions.create(tools=...)``
takes, and ``ShopTools.call(name, arguments)`` is exactly what a model's tool call
gives back (a name and a JSON string). The same code runs whether a model or the
deterministic extractor chose the arguments.

Safety rules enforced here, not in the prompt:
- the assistant acts for one authenticated customer; another customer's order is refused;
- arguments are validated against the JSON schema before any SQL runs;
- SQL is parameterised only, so argument text is stored as text and never executed;
- every call (allowed, refused or invalid) is written to ``audit_log``.
"""

from __future__ import annotations

import calendar
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema

from ragfirst.runtime.jsonl import parse_object

ORDER_ID_PATTERN = r"^MS-[0-9]{6}$"
REASON_TYPES = {"change_of_mind": "단순 변심", "defect": "초기 불량", "wrong_or_damaged": "오배송·파손"}
# Policy values copied from data/corpus (faq-003, faq-010, faq-012, faq-029); tests/test_tools.py fails when
# the two disagree, so change both.
CHANGE_OF_MIND_DAYS = 7
DEFECT_DAYS = 14
RETURN_FEE_KRW = {"device": 10_000, "other": 6_000}
REGION_RETURN_SURCHARGE_KRW = {"mainland": 0, "jeju": 6_000, "remote": 10_000}  # round trip
PAUSE_NOTICE_DAYS = 5
PAUSES_PER_YEAR = 2
MAX_PAUSE_MONTHS = 3

_ORDER_ID = {"type": "string", "pattern": ORDER_ID_PATTERN, "description": "주문번호, 예: MS-100231"}
TOOL_SPECS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "list_orders",
        "description": "로그인한 고객의 주문 목록(주문번호, 주문일, 상태, 금액)을 최근 순으로 보여 줍니다.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    }},
    {"type": "function", "function": {
        "name": "get_order_status",
        "description": "주문 하나의 상태, 상품, 금액을 조회합니다.",
        "parameters": {"type": "object", "properties": {"order_id": _ORDER_ID},
                       "required": ["order_id"], "additionalProperties": False},
    }},
    {"type": "function", "function": {
        "name": "track_delivery",
        "description": "주문의 택배사, 송장번호, 배송 추적 이력을 조회합니다.",
        "parameters": {"type": "object", "properties": {"order_id": _ORDER_ID},
                       "required": ["order_id"], "additionalProperties": False},
    }},
    {"type": "function", "function": {
        "name": "request_refund",
        "description": "주문의 취소·반품 환불을 접수합니다. 정책(단순 변심 7일, 초기 불량 14일)을 확인합니다.",
        "parameters": {"type": "object", "properties": {
            "order_id": _ORDER_ID,
            "reason_type": {"type": "string", "enum": sorted(REASON_TYPES), "description": "change_of_mind(단순 변심), defect(초기 불량), wrong_or_damaged(오배송·파손)"},
            "reason": {"type": "string", "minLength": 1, "maxLength": 500, "description": "고객이 말한 사유(원문)"},
        }, "required": ["order_id", "reason_type", "reason"], "additionalProperties": False},
    }},
    {"type": "function", "function": {
        "name": "pause_subscription",
        "description": f"고객의 필터 정기배송을 1~{MAX_PAUSE_MONTHS}개월 일시정지합니다(연 {PAUSES_PER_YEAR}회까지).",
        "parameters": {"type": "object", "properties": {
            "months": {"type": "integer", "minimum": 1, "maximum": MAX_PAUSE_MONTHS,
                       "description": f"정지할 개월 수(1~{MAX_PAUSE_MONTHS})"},
        }, "required": ["months"], "additionalProperties": False},
    }},
]
TOOL_NAMES = tuple(spec["function"]["name"] for spec in TOOL_SPECS)
_VALIDATORS = {spec["function"]["name"]: jsonschema.Draft202012Validator(spec["function"]["parameters"]) for spec in TOOL_SPECS}


class ToolError(ValueError):
    """A tool call that cannot run as given (the caller must fix it)."""


class UnknownToolError(ToolError):
    pass


class ToolArgumentError(ToolError):
    pass


@dataclass
class ToolResult:
    tool: str
    outcome: str  # "ok" | "refused" | "not_found"
    message: str  # Korean, safe to show the customer
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def for_model(self) -> str:
        """The JSON a model receives as the tool message (no internal audit detail)."""
        return json.dumps({"ok": self.ok, "message": self.message, "data": self.data}, ensure_ascii=False)


def parse_arguments(name: str, arguments: str | dict | None) -> dict[str, Any]:
    """Decode and validate a tool call's arguments; raise a ToolError naming the field."""
    if name not in _VALIDATORS:
        raise UnknownToolError(f"알 수 없는 도구 '{name}'입니다. 사용할 수 있는 도구: {', '.join(TOOL_NAMES)}")
    if arguments is None or arguments == "":
        arguments = {}
    if isinstance(arguments, str):
        arguments = parse_object(arguments, f"{name}: arguments", ToolArgumentError)
    if not isinstance(arguments, dict):
        raise ToolArgumentError(f"{name}: arguments는 JSON 객체여야 합니다 (받은 형식: {type(arguments).__name__}).")
    errors = sorted(_VALIDATORS[name].iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(part) for part in first.path) or "(arguments)"
        raise ToolArgumentError(f"{name}: 인자 '{where}'가 스키마에 맞지 않습니다: {first.message}")
    return arguments


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _won(amount: int) -> str:
    return f"{amount:,}원"


class ShopTools:
    """The shop's tools, acting for one authenticated customer."""

    def __init__(self, db_path: Path | str, customer_id: str, today: date | None = None):
        self.db_path = Path(db_path)
        if not self.db_path.is_file():
            raise FileNotFoundError(f"{self.db_path}: 상점 DB가 없습니다. ragfirst.hybrid.shop.build_shop_db()로 먼저 만드세요.")
        self.connection = sqlite3.connect(self.db_path)
        self.connection.row_factory = sqlite3.Row
        row = self.connection.execute("SELECT customer_id FROM customers WHERE customer_id = ?", (customer_id,)).fetchone()
        if row is None:
            raise ValueError(f"customer_id '{customer_id}'인 고객이 없습니다. 인증된 고객 id를 주세요.")
        self.customer_id = customer_id
        if today is None:
            today = date.fromisoformat(self.connection.execute("SELECT value FROM shop_meta WHERE key = 'today'").fetchone()[0])
        self.today = today

    def close(self) -> None:
        self.connection.close()

    # --- the one entry point -------------------------------------------------
    def call(self, name: str, arguments: str | dict | None) -> ToolResult:
        """Validate, run and audit one tool call. Invalid calls are audited, then raised."""
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
        try:
            parsed = parse_arguments(name, arguments)
        except ToolError as error:
            self._audit(str(name), raw, "error", str(error))
            raise
        try:
            with self.connection:  # one transaction: the action and its audit row, or neither
                result, detail = getattr(self, f"_{name}")(**parsed)
                self._audit(name, raw, result.outcome, detail, commit=False)
        except sqlite3.Error as error:
            self._audit(name, raw, "error", f"database error: {error}")
            raise ToolError(f"{name}: 상점 DB 오류로 실행하지 못했습니다 ({error}). 변경 사항은 되돌렸습니다.") from error
        return result

    def _audit(self, tool: str, arguments: str, outcome: str, detail: str, commit: bool = True) -> None:
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.connection.execute(
            "INSERT INTO audit_log (at, customer_id, tool, arguments, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (at, self.customer_id, tool, arguments, outcome, detail),
        )
        if commit:
            self.connection.commit()

    def audit_rows(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.connection.execute("SELECT * FROM audit_log ORDER BY audit_id")]

    # --- helpers -------------------------------------------------------------
    def _own_order(self, order_id: str) -> tuple[sqlite3.Row | None, ToolResult | None, str]:
        """The order if it belongs to this customer; otherwise a refusal that reveals nothing."""
        row = self.connection.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        message = f"고객님 계정에서 주문번호 {order_id}에 해당하는 주문을 찾을 수 없습니다. 본인 주문만 조회·변경할 수 있습니다."
        if row is None:
            return None, ToolResult("", "not_found", message), f"order {order_id} does not exist"
        if row["customer_id"] != self.customer_id:
            return None, ToolResult("", "refused", message), f"order {order_id} belongs to another customer"
        return row, None, ""

    def _items(self, order_id: str) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            "SELECT p.name, p.kind, i.quantity, i.unit_price_krw FROM order_items i JOIN products p ON p.sku = i.sku "
            "WHERE i.order_id = ? ORDER BY p.sku", (order_id,))
        return [dict(row) for row in rows]

    # --- tools ---------------------------------------------------------------
    def _list_orders(self) -> tuple[ToolResult, str]:
        rows = self.connection.execute(
            "SELECT order_id, ordered_at, status, total_krw FROM orders WHERE customer_id = ? ORDER BY ordered_at DESC, order_id DESC",
            (self.customer_id,)).fetchall()
        orders = [dict(row) for row in rows]
        if not orders:
            return ToolResult("list_orders", "ok", "주문 내역이 없습니다.", {"orders": []}), "0 orders"
        lines = [f"- {o['order_id']} ({o['ordered_at']}) {o['status']}, {_won(o['total_krw'])}" for o in orders]
        return ToolResult("list_orders", "ok", f"주문 {len(orders)}건이 있습니다.\n" + "\n".join(lines), {"orders": orders}), f"{len(orders)} orders"

    def _get_order_status(self, order_id: str) -> tuple[ToolResult, str]:
        order, refusal, detail = self._own_order(order_id)
        if refusal:
            refusal.tool = "get_order_status"
            return refusal, detail
        items = self._items(order_id)
        names = ", ".join(f"{item['name']} {item['quantity']}개" for item in items)
        message = f"주문 {order_id}({order['ordered_at']} 주문, {names})의 현재 상태는 '{order['status']}'입니다. 결제 금액 {_won(order['total_krw'])}."
        if order["delivered_on"]:
            message += f" {order['delivered_on']}에 배송 완료되었습니다."
        return ToolResult("get_order_status", "ok", message, {**dict(order), "items": items}), f"status {order['status']}"

    def _track_delivery(self, order_id: str) -> tuple[ToolResult, str]:
        order, refusal, detail = self._own_order(order_id)
        if refusal:
            refusal.tool = "track_delivery"
            return refusal, detail
        shipment = self.connection.execute("SELECT * FROM shipments WHERE order_id = ?", (order_id,)).fetchone()
        if shipment is None:
            message = f"주문({order_id})은 '{order['status']}' 상태로 아직 출고되지 않아 송장번호가 없습니다."
            return ToolResult("track_delivery", "ok", message, {"status": order["status"], "events": []}), "not shipped"
        events = [dict(row) for row in self.connection.execute(
            "SELECT at, location, description FROM shipment_events WHERE tracking_no = ? ORDER BY at", (shipment["tracking_no"],))]
        last = events[-1]
        message = (f"주문 {order_id}: {shipment['carrier']} 송장번호 {shipment['tracking_no']}. "
                   f"최근 위치: {last['at']} {last['location']} ({last['description']}).")
        days_still = (self.today - date.fromisoformat(last["at"][:10])).days
        if order["status"] == "배송중" and days_still >= 3:
            message += f" 배송 정보가 {days_still}일째 바뀌지 않아 상담원 확인이 필요합니다(고객센터 평일 09:00~18:00)."
        data = {"carrier": shipment["carrier"], "tracking_no": shipment["tracking_no"], "status": order["status"], "events": events}
        return ToolResult("track_delivery", "ok", message, data), f"{len(events)} events"

    def _request_refund(self, order_id: str, reason_type: str, reason: str) -> tuple[ToolResult, str]:
        order, refusal, detail = self._own_order(order_id)
        if refusal:
            refusal.tool = "request_refund"
            return refusal, detail

        def refuse(message: str, why: str) -> tuple[ToolResult, str]:
            return ToolResult("request_refund", "refused", message), why

        open_request = self.connection.execute(
            "SELECT refund_id FROM refund_requests WHERE order_id = ?", (order_id,)).fetchone()
        if open_request:
            return refuse(f"주문({order_id})에는 이미 접수된 환불 요청(번호 {open_request['refund_id']})이 있습니다.", "duplicate request")
        status = order["status"]
        if status == "취소":
            return refuse(f"주문({order_id})은 이미 취소된 주문입니다.", "already cancelled")
        if status == "배송중":
            return refuse(f"주문({order_id})은 배송 중이라 취소할 수 없습니다. 받으신 뒤 {CHANGE_OF_MIND_DAYS}일 안에 반품을 신청해 주세요.", "in transit")
        if status in ("결제완료", "상품준비중"):
            kind, fee = "cancel", 0
            state = "취소완료" if status == "결제완료" else "접수"
            if status == "결제완료":
                self.connection.execute("UPDATE orders SET status = '취소' WHERE order_id = ?", (order_id,))
            message = (f"주문({order_id})을 취소했습니다. {_won(order['total_krw'])}이 결제 수단으로 환불됩니다." if status == "결제완료"
                       else f"주문({order_id})의 취소 요청을 접수했습니다. 출고 전 확인 후 취소되며, 이미 출고되었다면 반품으로 진행됩니다.")
        else:  # 배송완료: a return within the policy window
            days = (self.today - date.fromisoformat(order["delivered_on"])).days
            limit = CHANGE_OF_MIND_DAYS if reason_type == "change_of_mind" else DEFECT_DAYS
            if days > limit:
                hint = " 보증 기간 안의 고장은 A/S로 무상 수리를 받으실 수 있습니다." if reason_type == "defect" else ""
                return refuse(f"주문({order_id})은 받으신 지 {days}일이 지나 {REASON_TYPES[reason_type]} 환불 기간({limit}일)이 끝났습니다.{hint}",
                              f"window {days}>{limit} days")
            kind, state = "return", "접수"
            fee = 0
            if reason_type == "change_of_mind":
                has_device = any(item["kind"] == "device" for item in self._items(order_id))
                region = self.connection.execute("SELECT region FROM customers WHERE customer_id = ?", (self.customer_id,)).fetchone()[0]
                fee = RETURN_FEE_KRW["device" if has_device else "other"] + REGION_RETURN_SURCHARGE_KRW[region]
            message = (f"주문({order_id})의 반품 환불({REASON_TYPES[reason_type]})을 접수했습니다. 1~3영업일 안에 택배 기사님이 회수하러 방문합니다. "
                       f"예상 환불액 {_won(order['total_krw'] - fee)}" + (f"(반품 배송비 {_won(fee)} 차감)." if fee else "."))
        refund = order["total_krw"] - fee
        cursor = self.connection.execute(
            "INSERT INTO refund_requests (order_id, customer_id, kind, reason_type, reason, return_fee_krw, refund_krw, status, created_on) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (order_id, self.customer_id, kind, reason_type, reason, fee, refund, state, self.today.isoformat()))
        data = {"refund_id": cursor.lastrowid, "kind": kind, "refund_krw": refund, "return_fee_krw": fee, "status": state}
        return ToolResult("request_refund", "ok", message, data), f"refund {cursor.lastrowid} {kind}"

    def _pause_subscription(self, months: int) -> tuple[ToolResult, str]:
        row = self.connection.execute(
            "SELECT * FROM subscriptions WHERE customer_id = ? AND status != 'cancelled' ORDER BY subscription_id",
            (self.customer_id,)).fetchone()
        if row is None:
            return ToolResult("pause_subscription", "not_found", "이용 중인 정기배송이 없습니다."), "no subscription"
        if row["status"] == "paused":
            return ToolResult("pause_subscription", "refused", f"정기배송({row['subscription_id']})은 이미 {row['paused_until']}까지 일시정지 중입니다."), "already paused"
        if row["pauses_this_year"] >= PAUSES_PER_YEAR:
            return ToolResult("pause_subscription", "refused", f"일시정지는 1년에 {PAUSES_PER_YEAR}회까지 가능해 올해는 더 정지할 수 없습니다."), "yearly limit"
        next_delivery = date.fromisoformat(row["next_delivery_on"])
        ships_anyway = (next_delivery - self.today).days < PAUSE_NOTICE_DAYS
        start = add_months(next_delivery, row["cycle_months"]) if ships_anyway else next_delivery
        resume = add_months(start, months)
        new_next = next_delivery if ships_anyway else resume
        self.connection.execute(
            "UPDATE subscriptions SET status = 'paused', paused_until = ?, next_delivery_on = ?, pauses_this_year = pauses_this_year + 1 "
            "WHERE subscription_id = ?", (resume.isoformat(), new_next.isoformat(), row["subscription_id"]))
        message = f"정기배송({row['subscription_id']})을 {months}개월 일시정지했습니다. {resume.isoformat()}에 자동으로 다시 시작됩니다."
        if ships_anyway:
            message += f" 다만 배송 예정일({next_delivery.isoformat()})까지 {PAUSE_NOTICE_DAYS}일이 남지 않아 이번 회차는 예정대로 배송됩니다."
        data = {"subscription_id": row["subscription_id"], "paused_until": resume.isoformat(), "next_delivery_on": new_next.isoformat()}
        return ToolResult("pause_subscription", "ok", message, data), f"paused until {resume.isoformat()}"
