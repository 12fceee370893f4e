"""Deterministic tool-argument extraction for backends that cannot call functions.

The small local model (Gemma-3-270M base) has no function-calling ability, so on
that backend these rules pick the tool and fill its arguments from the message.
They feed the *same* ``ShopTools.call`` as a model's tool call would, so the
schema validation, ownership check and audit are identical on both paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ORDER_ID_RE = re.compile(r"(?i)(?<![A-Za-z0-9])ms[\s_\-]*([0-9]{6})(?![0-9])")
_PAUSE = re.compile(r"일시\s*정지|일시\s*중지|멈춰|멈추|쉬고|쉬어|쉴|건너뛰|정지|중지|스킵")
_SUBSCRIPTION = re.compile(r"정기\s*배송|구독")
_REFUND = re.compile(r"환불|반품|취소")
_DEFECT = re.compile(r"고장|불량|안\s*켜|작동\s*(?:안|을 안)|소음|이상한\s*소리|에러|오류")
_WRONG = re.compile(r"파손|깨져|깨진|찌그러|다른\s*(?:상품|제품)|오배송|잘못\s*(?:온|왔)")
_TRACK = re.compile(r"배송|택배|송장|어디|도착|출고|출발|추적|언제\s*(?:쯤\s*)?(?:와|오|받)|안\s*(?:와|옴|왔)")
_MONTHS = re.compile(r"([0-9]+|한|두|세|네|다섯|여섯)\s*(?:달|개월)")
_KOREAN_NUMBERS = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6}


@dataclass
class PlannedCall:
    """A tool name and its arguments, whoever chose them (rules or a model)."""

    name: str
    arguments: dict[str, Any] | str  # a model gives a JSON string; the rules give a dict
    call_id: str = ""
    notes: list[str] = field(default_factory=list)


def find_order_ids(text: str) -> list[str]:
    """Order numbers in a message, normalised to ``MS-123456`` (``ms100231`` counts too)."""
    seen: list[str] = []
    for match in ORDER_ID_RE.finditer(text):
        order_id = f"MS-{match.group(1)}"
        if order_id not in seen:
            seen.append(order_id)
    return seen


def _months(text: str) -> int:
    match = _MONTHS.search(text)
    if not match:
        return 1
    word = match.group(1)
    return int(word) if word.isdigit() else _KOREAN_NUMBERS[word]


def _reason_type(text: str) -> str:
    if _WRONG.search(text):
        return "wrong_or_damaged"
    if _DEFECT.search(text):
        return "defect"
    return "change_of_mind"


def extract_tool_call(text: str) -> PlannedCall:
    """Choose one tool for an action request and fill its arguments by rules.

    Without an order number an order tool cannot run, so the rules fall back to
    ``list_orders``: the customer sees their orders and can name one.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("요청 문장이 비어 있습니다. 고객 메시지를 주세요.")
    order_ids = find_order_ids(text)
    if _SUBSCRIPTION.search(text) and _PAUSE.search(text) and not order_ids:
        return PlannedCall("pause_subscription", {"months": _months(text)})
    if _REFUND.search(text):
        name = "request_refund"
    elif _TRACK.search(text):
        name = "track_delivery"
    else:
        name = "get_order_status"
    if not order_ids:
        return PlannedCall("list_orders", {}, notes=[f"{name}: 주문번호가 없어 주문 목록을 먼저 보여 줍니다."])
    notes = [f"주문번호가 {len(order_ids)}개라 첫 번째({order_ids[0]})만 처리합니다."] if len(order_ids) > 1 else []
    if name == "request_refund":
        arguments = {"order_id": order_ids[0], "reason_type": _reason_type(text), "reason": text.strip()[:500]}
    else:
        arguments = {"order_id": order_ids[0]}
    return PlannedCall(name, arguments, notes=notes)
