"""One row per authenticated request (time, key, route, status, tokens, cost, latency, declined).

A row is written as its response's last byte goes out (a client that has its answer
finds its row), or when a streamed answer ends, and also for refused requests (429,
4xx, 503), so that the log adds up to what clients sent. Requests without a valid key
are not logged: anyone can send those, and the log must not be a way to fill the disk.

A worker writes its rows through one :class:`Writer` thread, never on the event loop:
SQLite may wait up to its busy timeout for another worker's write, and every request
of the worker would wait with it. The writer is drained when the worker shuts down.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from ragfirst.rag.evaluate import percentiles
from ragfirst.service.db import Database


@dataclass(frozen=True)
class Row:
    key_id: int
    route: str
    status: int
    latency_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    declined: bool | None = None


def write(db: Database, row: Row) -> None:
    db.connection().execute(
        "INSERT INTO requests (time, key_id, route, status, prompt_tokens, completion_tokens, cost_usd, latency_ms, declined) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            row.key_id,
            row.route,
            row.status,
            row.prompt_tokens,
            row.completion_tokens,
            row.cost_usd,
            round(row.latency_ms, 2),
            None if row.declined is None else int(row.declined),
        ),
    )


class Writer:
    """Rows written in order by one thread of its own; :meth:`close` writes what is still queued."""

    def __init__(self, db: Database):
        self.db = db
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ragfirst-requestlog")
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, row: Row) -> Future:
        """Queue ``row``; after :meth:`close` (a request cancelled at shutdown) it is written at once, here."""
        with self._lock:
            if not self._closed:
                return self._pool.submit(write, self.db, row)
        write(self.db, row)
        done: Future = Future()
        done.set_result(None)
        return done

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=True)


def stats(db: Database, key_id: int | None = None) -> dict:
    """Totals per route (all keys, or one): requests, statuses, tokens, cost, latency percentiles, declines."""
    where, args = ("WHERE key_id = ?", (key_id,)) if key_id is not None else ("", ())
    connection = db.connection()
    routes = {}
    for route_row in connection.execute(f"SELECT DISTINCT route FROM requests {where} ORDER BY route", args):
        route = route_row["route"]
        clause = f"{where} {'AND' if where else 'WHERE'} route = ?"
        rows = connection.execute(
            f"SELECT status, prompt_tokens, completion_tokens, cost_usd, latency_ms, declined FROM requests {clause}",
            (*args, route),
        ).fetchall()
        latencies = percentiles([r["latency_ms"] for r in rows], (50, 95))
        costs = [r["cost_usd"] for r in rows if r["status"] < 400]
        answered = [r for r in rows if r["declined"] is not None]
        statuses: dict[str, int] = {}
        for r in rows:
            statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
        routes[route] = {
            "requests": len(rows),
            "statuses": statuses,
            "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
            "completion_tokens": sum(r["completion_tokens"] for r in rows),
            "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 8),
            "latency_ms_p50": round(latencies["p50"], 2),
            "latency_ms_p95": round(latencies["p95"], 2),
            "declined": sum(r["declined"] == 1 for r in answered),
        }
    total = sum(r["requests"] for r in routes.values())
    return {"requests": total, "routes": routes}


def recent(db: Database, limit: int = 20, key_id: int | None = None) -> list[dict]:
    """The latest rows, newest first (for the notebook and /v1/stats)."""
    where, args = ("WHERE key_id = ?", (key_id,)) if key_id is not None else ("", ())
    rows = db.connection().execute(
        f"SELECT r.time, k.name AS key, r.route, r.status, r.prompt_tokens, r.completion_tokens, r.cost_usd, "
        f"r.latency_ms, r.declined FROM requests r JOIN keys k ON k.id = r.key_id {where.replace('key_id', 'r.key_id')} "
        f"ORDER BY r.id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [dict(r) for r in rows]

