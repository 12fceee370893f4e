"""API keys in the service's SQLite file, without a running service."""

from __future__ import annotations

import sqlite3

import pytest

from ragfirst.service import keys
from ragfirst.service.db import Database

OLD_KEYS_TABLE = """CREATE TABLE keys (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE,
prefix TEXT NOT NULL, per_minute REAL NOT NULL, burst REAL NOT NULL, created TEXT NOT NULL, revoked TEXT)"""


def test_a_key_carries_its_customer_and_a_plain_key_has_none(tmp_path):
    db = Database(tmp_path / "service.sqlite3")
    bound, plain = keys.create(db, "shop", customer_id="C001"), keys.create(db, "web")
    assert keys.verify(db, bound).customer_id == "C001"
    assert keys.verify(db, plain).customer_id is None


@pytest.mark.parametrize("customer", ["", "C001; DROP TABLE keys", "x" * 33])
def test_a_malformed_customer_id_is_refused_and_no_key_is_stored(tmp_path, customer):
    db = Database(tmp_path / "service.sqlite3")
    with pytest.raises(ValueError, match="고객 id"):
        keys.create(db, "shop", customer_id=customer)
    assert keys.list_keys(db) == []


def test_a_file_from_before_customers_gets_the_column_and_keeps_its_keys(tmp_path):
    path = tmp_path / "service.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(OLD_KEYS_TABLE)
        connection.execute("INSERT INTO keys (name, hash, prefix, per_minute, burst, created) "
                           "VALUES ('old', ?, 'rf_abcde', 60, 20, '2026-11-01T00:00:00+00:00')", (keys.digest("rf_old"),))
    db = Database(path)
    assert keys.verify(db, "rf_old").customer_id is None
    keys.create(db, "new", customer_id="C002")
    assert [(k.name, k.customer_id) for k in keys.list_keys(db)] == [("new", "C002"), ("old", None)]
