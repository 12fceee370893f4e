"""What generations used and cost: token prices from data/prices.csv and the per-process usage log.

Prices are read through the one reader of the dated price table (:mod:`ragfirst.runtime.sourced`);
a model without a price row gets no invented cost (``cost_usd`` None, with a note saying why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

from ragfirst.runtime.sourced import load_prices


@dataclass(frozen=True)
class Price:
    input_per_1m: float
    output_per_1m: float
    source: str
    date: str


@lru_cache(maxsize=1)
def _token_prices() -> dict[str, Price]:
    """Models with both an input and an output price in data/prices.csv, read by the one prices reader."""
    prices = load_prices()
    table = {}
    for item, row in prices.items():
        if not (item.startswith("api.") and item.endswith(".input")):
            continue
        model = item[len("api."):-len(".input")]
        output = prices.get(f"api.{model}.output")
        if output is None:
            continue
        for side in (row, output):
            if side.unit != "per 1M tokens" or side.currency != "USD":
                raise ValueError(f"data/prices.csv: row {side.item} must be in USD per 1M tokens, got {side.unit!r}")
        table[model] = Price(row.value, output.value, row.source, row.date.isoformat())
    return table


def price_for(model: str | None, backend_kind: str) -> Price | None:
    """The price of ``model`` from data/prices.csv (``local`` for the local server), or None.

    A dated OpenAI model name (``gpt-4o-mini-2024-07-18``) falls back to its base name.
    """
    table = _token_prices()
    if backend_kind == "local":
        return table.get("local")
    if not model:
        return None
    if model in table:
        return table[model]
    parts = model.split("-")
    if len(parts) > 3 and all(p.isdigit() for p in parts[-3:]):  # YYYY-MM-DD suffix
        return table.get("-".join(parts[:-3]))
    return None


def estimate_cost(model: str | None, backend_kind: str, prompt_tokens: int, completion_tokens: int):
    """``(cost_usd or None, note)``; never invents a price for an unknown model."""
    price = price_for(model, backend_kind)
    if price is None:
        return None, f"data/prices.csv에 {model!r}의 가격이 없습니다 (no price row api.{model}.input/output)"
    cost = (prompt_tokens * price.input_per_1m + completion_tokens * price.output_per_1m) / 1_000_000
    return cost, f"{price.source} ({price.date})"


@dataclass(frozen=True)
class Generation:
    """One completed generation and what it cost."""

    text: str
    model: str
    backend_kind: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    seconds: float
    finish_reason: str | None = None
    cost_note: str = ""


@dataclass
class UsageLog:
    """Every generation of this process, for cost and latency tables."""

    records: list[dict] = field(default_factory=list)

    def add(self, generation: Generation | None, *, backend_kind: str, model: str | None, seconds: float, error: str = "") -> None:
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "backend_kind": backend_kind,
            "model": generation.model if generation else model,
            "prompt_tokens": generation.prompt_tokens if generation else 0,
            "completion_tokens": generation.completion_tokens if generation else 0,
            "cost_usd": generation.cost_usd if generation else 0.0,
            "seconds": round(seconds, 4),
            "error": error,
        }
        self.records.append(record)

    def to_frame(self):
        import pandas as pd

        columns = ["time", "backend_kind", "model", "prompt_tokens", "completion_tokens", "cost_usd", "seconds", "error"]
        return pd.DataFrame(self.records, columns=columns)

    def totals(self) -> dict:
        """Calls, failures, tokens, seconds and cost; cost is None if any call had no known price."""
        ok = [r for r in self.records if not r["error"]]
        costs = [r["cost_usd"] for r in ok]
        return {
            "calls": len(self.records),
            "failed_calls": len(self.records) - len(ok),
            "prompt_tokens": sum(r["prompt_tokens"] for r in ok),
            "completion_tokens": sum(r["completion_tokens"] for r in ok),
            "seconds": round(sum(r["seconds"] for r in self.records), 4),
            "cost_usd": None if any(c is None for c in costs) else sum(costs),
        }

    def clear(self) -> None:
        self.records.clear()


usage_log = UsageLog()
