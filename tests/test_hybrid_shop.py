"""Building the shop database: deterministic, and never half-written."""

import json
import sqlite3

import pytest

from ragfirst.hybrid.shop import SHOP_DIR, build_shop_db
from ragfirst.hybrid.tools import ShopTools


def dump(path):
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def test_build_is_deterministic_and_resets_state(tmp_path):
    first = build_shop_db(tmp_path / "a.sqlite")
    ShopTools(first, "C001").call("request_refund", {"order_id": "MS-100233", "reason_type": "defect", "reason": "x"})
    second = build_shop_db(tmp_path / "b.sqlite")
    assert dump(first) != dump(second)
    assert dump(build_shop_db(first)) == dump(second)


def test_seed_rows_arrive(tmp_path):
    path = build_shop_db(tmp_path / "shop.sqlite")
    with sqlite3.connect(path) as connection:
        counts = {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("customers", "products", "orders", "shipments", "subscriptions", "audit_log")}
    seed = json.loads((SHOP_DIR / "seed.json").read_text(encoding="utf-8"))
    assert counts == {"customers": len(seed["customers"]), "products": len(seed["products"]), "orders": len(seed["orders"]),
                      "shipments": len(seed["shipments"]), "subscriptions": len(seed["subscriptions"]), "audit_log": 0}


def test_a_bad_seed_leaves_the_existing_database_untouched(tmp_path):
    path = build_shop_db(tmp_path / "shop.sqlite")
    before = dump(path)
    seed = json.loads((SHOP_DIR / "seed.json").read_text(encoding="utf-8"))
    seed["orders"][0]["status"] = "분실"  # violates the CHECK constraint
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="CHECK constraint.*bad.json"):
        build_shop_db(path, seed_path=bad)
    assert dump(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "shop.sqlite"]


def test_broken_seed_json_names_the_file(tmp_path):
    bad = tmp_path / "seed.json"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ValueError, match="seed.json:1"):
        build_shop_db(tmp_path / "shop.sqlite", seed_path=bad)
