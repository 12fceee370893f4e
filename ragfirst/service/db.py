"""The service's one SQLite file: API key hashes (and the customer a key acts for), rate buckets and the request log.

One file shared by every worker process: WAL mode lets readers run beside the one
writer, and ``busy_timeout`` makes a worker wait for the lock instead of failing.
The file is created with mode 0600 because it names every client and what they asked for.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    per_minute REAL NOT NULL,
    burst REAL NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT,
    customer_id TEXT
);
CREATE TABLE IF NOT EXISTS buckets (
    key_id INTEGER PRIMARY KEY REFERENCES keys(id),
    tokens REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    key_id INTEGER NOT NULL REFERENCES keys(id),
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    latency_ms REAL NOT NULL,
    declined INTEGER
);
CREATE INDEX IF NOT EXISTS requests_key ON requests(key_id);
"""


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it (SQLite would use the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the schema in place (autocommit; use :func:`transaction` to group writes)."""
    if not path.exists():
        _create_private(path)
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.executescript(SCHEMA)
    _add_missing_columns(connection)
    for suffix in ("-wal", "-shm"):  # WAL side files hold the same data
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.chmod(side, 0o600)
    return connection


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    """Files made before a column existed get it (``CREATE TABLE IF NOT EXISTS`` leaves old tables as they were)."""
    columns = {row["name"] for row in connection.execute("PRAGMA table_info(keys)")}
    if "customer_id" not in columns:
        try:
            connection.execute("ALTER TABLE keys ADD COLUMN customer_id TEXT")
        except sqlite3.OperationalError as error:  # another worker added it first
            if "duplicate column" not in str(error):
                raise


@contextmanager
def transaction(connection: sqlite3.Connection):
    """``BEGIN IMMEDIATE`` … ``COMMIT``: takes the write lock first, so read-modify-write is atomic across processes."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class Database:
    """One connection per thread to the service's SQLite file (sqlite3 connections are not shared)."""

    def __init__(self, path: Path):
        import threading

        self.path = Path(path)
        self._local = threading.local()
        connect(self.path).close()  # create the file and schema now, 0600

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = connect(self.path)
        return connection
