"""API keys: shown once at creation, stored only as a SHA-256 hash, revoked by name.

A key is 32 random bytes, so a fast hash is enough (there is nothing to brute-force
as there would be with a password); the lookup is by hash, so the stored value never
has to be compared with a secret. The first characters are kept as a ``prefix`` so
that a list of keys can be told apart without revealing them.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from ragfirst.service.db import Database, transaction

PREFIX = "rf_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CUSTOMER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
DEFAULT_PER_MINUTE = 60.0
DEFAULT_BURST = 20.0


@dataclass(frozen=True)
class Key:
    """A stored key (never the secret itself)."""

    id: int
    name: str
    prefix: str
    per_minute: float
    burst: float
    created: str
    revoked: str | None
    customer_id: str | None = None  # the shop customer /v1/assist acts for (None: no order tools)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _row(row) -> Key:
    return Key(row["id"], row["name"], row["prefix"], row["per_minute"], row["burst"], row["created"], row["revoked"],
               row["customer_id"])


def create(db: Database, name: str, per_minute: float = DEFAULT_PER_MINUTE, burst: float = DEFAULT_BURST,
           customer_id: str | None = None) -> str:
    """Store a new key named ``name`` and return the secret (the only time it exists in clear).

    ``customer_id`` binds the key to one shop customer: the key is how the customer's own
    backend (after its login) proves who /v1/assist acts for, so the body cannot name someone else.
    """
    if not NAME_PATTERN.match(name or ""):
        raise ValueError(f"키 이름 {name!r}는 영문·숫자로 시작하고 영문, 숫자, '.', '_', '-'만 쓸 수 있습니다 (64자 이하).")
    if not (math.isfinite(per_minute) and math.isfinite(burst) and per_minute > 0 and burst >= 1):
        raise ValueError("분당 요청 수(--per-minute)는 0보다 커야 하고 버스트(--burst)는 1 이상이어야 합니다.")
    if customer_id is not None and not CUSTOMER_PATTERN.match(customer_id):
        raise ValueError(f"고객 id {customer_id!r}는 영문·숫자·'_'·'-' 1~32자여야 합니다 (예: C001).")
    secret = PREFIX + secrets.token_urlsafe(32)
    connection = db.connection()
    with transaction(connection):
        existing = connection.execute("SELECT revoked FROM keys WHERE name = ?", (name,)).fetchone()
        if existing is not None and existing["revoked"] is None:
            raise ValueError(f"키 '{name}'가 이미 있습니다. 다른 이름을 쓰거나 `ragfirst keys revoke {name}` 후 다시 만드세요.")
        if existing is not None:  # a revoked name can be reused; its log rows keep pointing at the same id
            connection.execute(
                "UPDATE keys SET hash = ?, prefix = ?, per_minute = ?, burst = ?, created = ?, revoked = NULL, customer_id = ? "
                "WHERE name = ?",
                (digest(secret), secret[:8], per_minute, burst, _now(), customer_id, name),
            )
            connection.execute("DELETE FROM buckets WHERE key_id = (SELECT id FROM keys WHERE name = ?)", (name,))
        else:
            connection.execute(
                "INSERT INTO keys (name, hash, prefix, per_minute, burst, created, customer_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, digest(secret), secret[:8], per_minute, burst, _now(), customer_id),
            )
    return secret


def verify(db: Database, secret: str | None) -> Key | None:
    """The live key for ``secret``, or None (unknown, malformed or revoked)."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 128:
        return None
    row = db.connection().execute(
        "SELECT * FROM keys WHERE hash = ? AND revoked IS NULL", (digest(secret),)
    ).fetchone()
    return _row(row) if row else None


def list_keys(db: Database) -> list[Key]:
    return [_row(r) for r in db.connection().execute("SELECT * FROM keys ORDER BY name")]


def revoke(db: Database, name: str) -> bool:
    """Revoke the key named ``name``; False if there is no live key by that name."""
    cursor = db.connection().execute(
        "UPDATE keys SET revoked = ? WHERE name = ? AND revoked IS NULL", (_now(), name)
    )
    return cursor.rowcount == 1
