"""Per-key token buckets in SQLite, so that every worker process counts against the same limit.

A bucket holds up to ``burst`` requests and refills at ``per_minute / 60`` per
second. One ``BEGIN IMMEDIATE`` transaction reads, refills and spends, so two
workers can never both spend the last token.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ragfirst.service.db import Database, transaction
from ragfirst.service.keys import Key


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds until one request is allowed again (0 when allowed)
    remaining: int


def take(db: Database, key: Key, now: float | None = None) -> Decision:
    """Spend one request from ``key``'s bucket, or say how long to wait."""
    now = time.time() if now is None else now
    rate = key.per_minute / 60.0
    connection = db.connection()
    with transaction(connection):
        row = connection.execute("SELECT tokens, updated FROM buckets WHERE key_id = ?", (key.id,)).fetchone()
        tokens = key.burst if row is None else min(key.burst, row["tokens"] + max(0.0, now - row["updated"]) * rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        connection.execute(
            "INSERT INTO buckets (key_id, tokens, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(key_id) DO UPDATE SET tokens = excluded.tokens, updated = excluded.updated",
            (key.id, tokens, now),
        )
    wait = 0 if allowed else max(1, math.ceil((1.0 - tokens) / rate))
    return Decision(allowed, wait, int(tokens))
