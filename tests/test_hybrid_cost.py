"""Cost of a route mix, checked by hand."""

import pytest

from ragfirst.hybrid.cost import RouteTokens, cost_per_1000_requests, route_mix, token_prices
from ragfirst.hybrid.requests import INTENTS


def test_prices_come_from_the_table():
    assert token_prices("gpt-4o-mini") == (0.15, 0.60)
    assert token_prices("no-such-model") is None and token_prices(None) is None


def test_shipped_mix_covers_every_intent_and_sums_to_one():
    mix = route_mix()
    assert set(mix) == set(INTENTS) and sum(mix.values()) == pytest.approx(1.0)


def test_cost_per_1000_by_hand():
    tokens = {"general_chat": RouteTokens(100, 50), "knowledge_query": RouteTokens(1000, 100),
              "action_required": RouteTokens(800, 60), "highly_specialized": RouteTokens(200, 200)}
    mix = {"general_chat": 0.25, "knowledge_query": 0.25, "action_required": 0.5, "highly_specialized": 0.0}
    cost = cost_per_1000_requests(tokens, "gpt-4o-mini", mix)
    # knowledge: 250 requests × (1000×0.15 + 100×0.60)/1e6 = 250 × 0.00021 = 0.0525
    assert cost["knowledge_query"] == pytest.approx(0.0525)
    # chat: 250 × (100×0.15 + 50×0.60)/1e6 = 250 × 0.000045 = 0.01125; action: 500 × (120 + 36)/1e6 = 0.078
    assert cost["total"] == pytest.approx(0.0525 + 0.01125 + 0.078)


def test_bad_mix_and_unknown_model(tmp_path):
    bad = tmp_path / "mix.csv"
    bad.write_text("intent,share\ngeneral_chat,0.5\nknowledge_query,0.2\naction_required,0.2\nhighly_specialized,0.2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="합이 1"):
        route_mix(bad)
    bad.write_text("intent,share\nchitchat,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="mix.csv:2.*chitchat"):
        route_mix(bad)
    with pytest.raises(ValueError, match="api.nope"):
        cost_per_1000_requests({}, "nope")
