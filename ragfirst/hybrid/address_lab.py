"""The "도구 하나 추가하기" lab: a tool that changes the delivery address of an unshipped order.

The learner writes the tool's JSON schema and its decision as a function of plain
data: validation, customer scoping, the shipped-order rule and the audit row.
``apply_decision`` writes that decision with parameterised SQL in one transaction.
Why this split: the grader calls the learner's function in the sandbox but keeps the
database on its own side, so a hidden test reads the real rows, never the learner's
report of them.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from ragfirst.hybrid.shop import build_shop_db

TOOL = "change_delivery_address"
CHANGEABLE_STATUSES = ("결제완료", "상품준비중")  # not yet handed to the carrier
OUTCOMES = ("ok", "refused", "not_found", "error")
ADDRESS_MAX = 200


def build_lab_db(folder: Path | str | None = None) -> Path:
    """A fresh shop database with one delivery address per order (synthetic).

    Without ``folder``: a temporary folder removed when Python exits (the grader builds one per submission).
    """
    if folder is None:
        folder = tempfile.mkdtemp(prefix="address-lab-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = build_shop_db(Path(folder) / "address_lab.sqlite")
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE delivery_addresses (order_id TEXT PRIMARY KEY REFERENCES orders(order_id), "
                           "address TEXT NOT NULL)")
        orders = [row[0] for row in connection.execute("SELECT order_id FROM orders ORDER BY order_id")]
        connection.executemany("INSERT INTO delivery_addresses VALUES (?, ?)",
                               [(o, f"서울특별시 중구 세종대로 {n} (가상 주소)") for n, o in enumerate(orders, start=1)])
    connection.close()
    return path


def orders_view(db_path: Path | str) -> dict[str, dict[str, str]]:
    """Every order's owner and status: what the tool may look at, as plain data."""
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute("SELECT order_id, customer_id, status FROM orders").fetchall()
    connection.close()
    return {order: {"customer_id": customer, "status": status} for order, customer, status in rows}


def address_of(db_path: Path | str, order_id: str) -> str | None:
    with sqlite3.connect(db_path) as connection:
        row = connection.execute("SELECT address FROM delivery_addresses WHERE order_id = ?", (order_id,)).fetchone()
    connection.close()
    return None if row is None else row[0]


def audit_rows(db_path: Path | str) -> list[dict[str, Any]]:
    with sqlite3.connect(db_path) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(row) for row in connection.execute("SELECT * FROM audit_log ORDER BY audit_id")]
    connection.close()
    return rows


def check_decision(decision: Any) -> dict[str, Any]:
    """The learner's decision, checked for shape; errors name the field to fix."""
    if not isinstance(decision, dict):
        raise ValueError(f"결정은 dict여야 합니다 (받은 형식: {type(decision).__name__}).")
    for key in ("outcome", "message", "update", "audit"):
        if key not in decision:
            raise ValueError(f"결정에 '{key}' 키가 없습니다. 필요한 키: outcome, message, update, audit")
    if decision["outcome"] not in OUTCOMES:
        raise ValueError(f"decision['outcome']={decision['outcome']!r}: {', '.join(OUTCOMES)} 중 하나여야 합니다.")
    update = decision["update"]
    if update is not None and (not isinstance(update, dict) or set(update) != {"order_id", "address"}):
        raise ValueError("decision['update']는 None 또는 {'order_id': ..., 'address': ...}여야 합니다.")
    if update is not None and decision["outcome"] != "ok":
        raise ValueError("decision['update']는 outcome이 'ok'일 때만 줄 수 있습니다.")
    audit = decision["audit"]
    if not isinstance(audit, dict) or set(audit) != {"tool", "arguments", "outcome", "detail"}:
        raise ValueError("decision['audit']는 {'tool', 'arguments', 'outcome', 'detail'} 네 키의 dict여야 합니다.")
    if not all(isinstance(audit[key], str) for key in audit):
        raise ValueError("decision['audit']의 값은 모두 문자열이어야 합니다 (arguments는 받은 그대로의 JSON 문자열).")
    return decision


def apply_decision(db_path: Path | str, customer_id: str, decision: Any) -> None:
    """Write the decision: the address change (if any) and its audit row, together or not at all.

    The customer on the audit row is the session's, never the decision's: the tool acts for
    the authenticated customer only.
    """
    decision = check_decision(decision)
    audit = decision["audit"]
    with sqlite3.connect(db_path) as connection:
        if decision["update"] is not None:
            connection.execute("UPDATE delivery_addresses SET address = ? WHERE order_id = ?",
                               (decision["update"]["address"], decision["update"]["order_id"]))
        connection.execute(
            "INSERT INTO audit_log (at, customer_id, tool, arguments, outcome, detail) "
            "VALUES (datetime('now'), ?, ?, ?, ?, ?)",
            (customer_id, audit["tool"], audit["arguments"], audit["outcome"], audit["detail"]))
    connection.close()



def run_tool(tool: Any, db_path: Path | str, customer_id: str, arguments: Any) -> dict[str, Any]:
    """Call the learner's ``tool(customer_id, arguments, orders)`` on the current orders, write its decision, return it."""
    decision = tool(customer_id, arguments, orders_view(db_path))
    apply_decision(db_path, customer_id, decision)
    return decision
