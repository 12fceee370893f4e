"""ragfirst.hybrid.address_lab: the database side of the "도구 하나 추가하기" lab."""

from __future__ import annotations

import pytest

from ragfirst.hybrid import address_lab


def decision(outcome="ok", update=None, **audit):
    row = {"tool": address_lab.TOOL, "arguments": "{}", "outcome": outcome, "detail": "", **audit}
    return {"outcome": outcome, "message": "", "update": update, "audit": row}


def test_lab_db_has_an_address_for_every_order(tmp_path):
    db = address_lab.build_lab_db(tmp_path)
    orders = address_lab.orders_view(db)
    assert len(orders) == 12 and orders["MS-100241"] == {"customer_id": "C004", "status": "상품준비중"}
    assert all(address_lab.address_of(db, order) for order in orders)
    assert address_lab.audit_rows(db) == []


def test_a_decision_is_written_with_its_audit_row_and_the_sessions_customer(tmp_path):
    db = address_lab.build_lab_db(tmp_path)
    text = "서울'); DROP TABLE orders; --"
    address_lab.apply_decision(db, "C001", decision(update={"order_id": "MS-100237", "address": text}))
    assert address_lab.address_of(db, "MS-100237") == text and len(address_lab.orders_view(db)) == 12
    [row] = address_lab.audit_rows(db)
    assert (row["customer_id"], row["tool"], row["outcome"]) == ("C001", address_lab.TOOL, "ok")


@pytest.mark.parametrize("bad, field", [
    ([], "dict"),
    ({"outcome": "ok", "message": "", "update": None}, "audit"),
    ({**decision(), "outcome": "done"}, "outcome"),
    (decision("refused", update={"order_id": "MS-100237", "address": "x"}), "update"),
    ({**decision(), "audit": {"tool": address_lab.TOOL}}, "audit"),
    ({**decision(), "audit": {**decision()["audit"], "arguments": {"order_id": "MS-100237"}}}, "arguments"),
])
def test_a_malformed_decision_is_refused_naming_the_field_and_writes_nothing(tmp_path, bad, field):
    db = address_lab.build_lab_db(tmp_path)
    with pytest.raises(ValueError, match=field):
        address_lab.apply_decision(db, "C001", bad)
    assert address_lab.audit_rows(db) == []
