"""What 1,000 requests cost when the routes are mixed as in a real support desk.

Token counts come from measured runs; prices come from data/prices.csv
(``api.<model>.input`` / ``api.<model>.output``, USD per 1M tokens); the mix of
routes comes from data/requests/route_mix.csv (a labelled course assumption).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ragfirst.hybrid.requests import INTENTS
from ragfirst.runtime.config import DATA_DIR

ROUTE_MIX_CSV = DATA_DIR / "requests" / "route_mix.csv"


def token_prices(model: str | None) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for an API ``model``, or None if the table has no row.

    Read through ``ragfirst.llm.usage.price_for``, the one (cached) reader of the price rows.
    """
    from ragfirst.llm.usage import price_for

    price = price_for(model, "openai")
    return None if price is None else (price.input_per_1m, price.output_per_1m)


def route_mix(path: Path = ROUTE_MIX_CSV) -> dict[str, float]:
    """Share of requests per intent; the shares must cover every intent and sum to 1."""
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    mix = {}
    for number, row in enumerate(rows, start=2):
        if row.get("intent") not in INTENTS:
            raise ValueError(f"{path}:{number}: intent '{row.get('intent')}'는 알 수 없습니다. {INTENTS} 중 하나를 쓰세요.")
        try:
            mix[row["intent"]] = float(row["share"])
        except (TypeError, ValueError):
            raise ValueError(f"{path}:{number}: share '{row.get('share')}'가 숫자가 아닙니다 (0~1 비율).") from None
    if set(mix) != set(INTENTS) or abs(sum(mix.values()) - 1.0) > 1e-6 or min(mix.values()) < 0:
        raise ValueError(f"{path}: 네 의도 모두의 share가 0 이상이고 합이 1이어야 합니다 (지금: {mix}).")
    return mix


@dataclass
class RouteTokens:
    """Mean tokens per request on one route, from measured runs."""

    prompt_tokens: float
    completion_tokens: float


def cost_per_1000_requests(tokens: dict[str, RouteTokens], model: str, mix: dict[str, float] | None = None) -> dict[str, float]:
    """USD for 1,000 requests at ``model``'s prices: per route (its share included) and ``total``."""
    prices = token_prices(model)
    if prices is None:
        raise ValueError(f"data/prices.csv에 api.{model}.input/output 행이 없습니다. 가격 행을 추가하거나 다른 모델을 고르세요.")
    mix = mix or route_mix()
    missing = [intent for intent in mix if intent not in tokens]
    if missing:
        raise ValueError(f"경로 {missing}의 토큰 측정값이 없습니다.")
    per_route = {intent: 1000 * share * (tokens[intent].prompt_tokens * prices[0] + tokens[intent].completion_tokens * prices[1]) / 1e6
                 for intent, share in mix.items()}
    return {**per_route, "total": sum(per_route.values())}
