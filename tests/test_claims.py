"""ragfirst.runtime.claims: statements print the same everywhere; a claim that stops holding fails loudly."""

from __future__ import annotations

import json

import pytest

from ragfirst.runtime import claims


def test_claims_hold_at_their_bounds_and_fail_just_past_them():
    assert claims.at_least("recall", 0.9, 0.9).holds and not claims.at_least("recall", 0.899, 0.9).holds
    assert claims.at_most("p50", 3.0, 3.0).holds and not claims.at_most("p50", 3.01, 3.0).holds
    assert claims.exceeds("rag", 0.5, "closed", 0.25, 0.25).holds
    assert not claims.exceeds("rag", 0.49, "closed", 0.25, 0.25).holds
    assert claims.near("mrr", 0.88, 0.87, 0.02).holds and not claims.near("mrr", 0.891, 0.87, 0.02).holds
    assert claims.near_count("맞힌 수", 116, 113, 195, 3).holds
    assert not claims.near_count("맞힌 수", 117, 113, 195, 3).holds


def test_statements_carry_the_recorded_figure_and_tolerance_but_never_the_measured_one():
    claim = claims.near("hybrid MRR", 0.8734, 0.870, 0.02)
    assert claim.statement == "hybrid MRR = 0.87 ± 0.02"
    assert claims.near_count("정답 수", 115, 113, 195, 6).statement == "정답 수 = 113/195 ± 6"
    assert claims.exceeds("a", 1, "b", 0, 0.25).statement == "a ≥ b + 0.25"


def test_check_prints_every_claim_and_raises_naming_only_the_failed_ones(capsys):
    claims.check(claims.at_least("x", 1, 0), claims.holds("참입니다", True))
    assert capsys.readouterr().out == "확인 ✓ x ≥ 0\n확인 ✓ 참입니다\n"
    with pytest.raises(claims.ClaimError) as failure:
        claims.check(claims.at_least("x", 1, 0), claims.near("mrr", 0.8, 0.87, 0.02))
    message = str(failure.value)
    assert "✗ mrr = 0.87 ± 0.02" in message and "mrr 0.8" in message and "x ≥ 0" not in message


def test_checked_figures_are_logged_for_the_spread_report(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("RAGFIRST_CLAIMS_LOG", str(log))
    claims.check(claims.exceeds("hybrid", 0.96, "bm25", 0.91))
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"claim": "hybrid ≥ bm25", "figure": "hybrid", "value": 0.96},
                    {"claim": "hybrid ≥ bm25", "figure": "bm25", "value": 0.91}]
