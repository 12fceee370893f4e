"""The fictional company's SQLite database, built deterministically from data/shop/.

The schema (schema.sql) and the seed rows (seed.json) are data; this module only
assembles them. The build writes to a temporary file and renames it, so an error
never leaves a half-built database behind.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path

from ragfirst.runtime.config import DATA_DIR, cache_dir

SHOP_DIR = DATA_DIR / "shop"


def default_db_path() -> Path:
    return cache_dir() / "shop" / "shop.sqlite"


def load_seed(path: Path | None = None) -> dict:
    path = Path(path or SHOP_DIR / "seed.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: 상점 시드 데이터가 없습니다. 저장소의 data/shop/seed.json이 필요합니다.") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}:{error.lineno}: seed.json이 올바른 JSON이 아닙니다 ({error.msg}).") from None


def _insert_seed(connection: sqlite3.Connection, seed: dict) -> None:
    connection.executemany("INSERT INTO shop_meta VALUES (?, ?)", sorted(seed["meta"].items()))
    connection.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", seed["customers"])
    connection.executemany("INSERT INTO products VALUES (?, ?, ?, ?)", seed["products"])
    prices = {sku: price for sku, _name, _kind, price in seed["products"]}
    for order in seed["orders"]:
        subtotal = sum(prices[sku] * quantity for sku, quantity in order["items"])
        connection.execute(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            (order["order_id"], order["customer_id"], order["ordered_at"], order["status"],
             order["shipping_fee_krw"], subtotal + order["shipping_fee_krw"], order.get("delivered_on")),
        )
        connection.executemany(
            "INSERT INTO order_items VALUES (?, ?, ?, ?)",
            [(order["order_id"], sku, quantity, prices[sku]) for sku, quantity in order["items"]],
        )
    for shipment in seed["shipments"]:
        connection.execute(
            "INSERT INTO shipments VALUES (?, ?, ?, ?)",
            (shipment["order_id"], shipment["carrier"], shipment["tracking_no"], shipment["shipped_on"]),
        )
        connection.executemany(
            "INSERT INTO shipment_events VALUES (?, ?, ?, ?)",
            [(shipment["tracking_no"], at, location, text) for at, location, text in shipment["events"]],
        )
    connection.executemany("INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", seed["subscriptions"])


def build_shop_db(path: Path | str | None = None, *, seed_path: Path | None = None) -> Path:
    """(Re)build the shop database at ``path`` (default: the cache dir) and return its path.

    Rebuilding resets every refund request and audit row: the course starts each
    run from the same state so that notebook outputs reproduce.
    """
    path = Path(path) if path else default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    seed_path = Path(seed_path or SHOP_DIR / "seed.json")
    seed = load_seed(seed_path)
    schema = (SHOP_DIR / "schema.sql").read_text(encoding="utf-8")
    handle, temporary = tempfile.mkstemp(suffix=".sqlite", dir=path.parent)
    os.close(handle)
    try:
        connection = sqlite3.connect(temporary)
        try:
            connection.executescript(schema)
            with connection:
                _insert_seed(connection, seed)
        finally:
            connection.close()
        os.replace(temporary, path)
    except (KeyError, TypeError, ValueError, sqlite3.Error) as error:
        Path(temporary).unlink(missing_ok=True)
        raise ValueError(f"상점 DB를 만들지 못했습니다: 시드 데이터 오류 ({type(error).__name__}: {error}). {seed_path}를 확인하세요.") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
