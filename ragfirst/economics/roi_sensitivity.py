"""Which inputs move the ROI verdict: one-at-a-time sensitivity, and the performance at which the recommendation flips.

Notebook 04 draws the first as a tornado chart and uses the second to say how good
a measured RAG system must become before the template recommends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ragfirst.economics.roi import calculate_ai_approach_roi, compare_approaches, get_expected_performance, recommend
from ragfirst.economics.roi_inputs import (
    COST_ITEM_LABELS,
    VALUE_INPUT_LABELS,
    Costs,
    check_approach,
    load_assumptions,
    load_costs,
    validate_project,
    with_cost_overrides,
)


@dataclass(frozen=True)
class Sensitivity:
    """ROI when one input moves down and up, the others at their base value."""

    parameter: str  # Korean label for charts and tables
    low_label: str  # the move, e.g. "-20%"
    high_label: str  # e.g. "+20%"
    roi_low: float
    roi_high: float
    key: str = ""  # stable id: cost.<item>, value.<field>, performance

    @property
    def swing(self) -> float:
        return abs(self.roi_high - self.roi_low)


MINUS = "-"  # ASCII: NanumGothic has no U+2212, and "-20%" / "+20%" must render in charts


def sensitivity(approach: str, project_requirements: Mapping[str, Any], relative: float = 0.2,
                performance_points: float = 5.0, costs: Costs | None = None,
                assumptions: Mapping[str, float] | None = None) -> list[Sensitivity]:
    """One-at-a-time sensitivity of ROI, largest swing first (for a tornado chart).

    Every cost item and the two value inputs move by -/+``relative``; expected
    performance moves by -/+``performance_points`` (capped to 0..100).
    """
    check_approach(approach)
    base_project = dict(project_requirements)
    assumptions = load_assumptions() if assumptions is None else assumptions
    project = validate_project(base_project, assumptions)
    base_costs = load_costs() if costs is None else costs
    table = with_cost_overrides(base_costs, project.cost_overrides)

    def roi(**changes: Any) -> float:
        return calculate_ai_approach_roi(approach, {**base_project, **changes}, base_costs, assumptions)["roi_percentage"]

    down, up = f"{MINUS}{relative:.0%}", f"+{relative:.0%}"
    rows = []
    for item in table[approach]:
        def with_item(factor: float) -> float:
            overrides = {k: dict(v) for k, v in project.cost_overrides.items()}
            overrides[approach] = {**overrides.get(approach, {}), item.item: item.value * factor}
            return roi(cost_overrides=overrides)
        rows.append(Sensitivity(f"비용: {COST_ITEM_LABELS.get(item.item, item.item)}", down, up,
                                with_item(1 - relative), with_item(1 + relative), f"cost.{item.item}"))
    for name, label in VALUE_INPUT_LABELS.items():
        base = getattr(project, name)
        rows.append(Sensitivity(f"가치: {label}", down, up, roi(**{name: base * (1 - relative)}),
                                roi(**{name: base * (1 + relative)}), f"value.{name}"))
    base_perf = get_expected_performance(approach, project, assumptions)
    low, high = max(0.0, base_perf - performance_points), min(100.0, base_perf + performance_points)
    rows.append(Sensitivity("기대 성능", f"{MINUS}{base_perf - low:g}%p", f"+{high - base_perf:g}%p",
                            roi(measured_performance={**project.measured_performance, approach: low}),
                            roi(measured_performance={**project.measured_performance, approach: high}), "performance"))
    return sorted(rows, key=lambda row: (-round(row.swing, 9), row.key))


def performance_sweep(approach: str, project_requirements: Mapping[str, Any], performances: Iterable[float],
                      costs: Costs | None = None) -> list[dict[str, Any]]:
    """For each expected performance (%) of ``approach``, everything else as in the project:
    its ROI, whether it meets the requirement, and which approach the template then recommends (None: none)."""
    check_approach(approach)
    rows = []
    for performance in performances:
        measured = {**(project_requirements.get("measured_performance") or {}), approach: performance}
        results = compare_approaches({**project_requirements, "measured_performance": measured}, costs)
        mine = next(r for r in results if r["approach"] == approach)
        best = recommend(results)
        rows.append({"performance": performance, "roi_percentage": mine["roi_percentage"],
                     "meets_requirement": mine["meets_requirement"], "recommended": best["approach"] if best else None})
    return rows


def performance_to_recommend(approach: str, project_requirements: Mapping[str, Any], costs: Costs | None = None) -> float | None:
    """The lowest whole-number expected performance (%) at which the template recommends ``approach``;
    None when it never does up to 100 % (its cost or the budget rules it out)."""
    for row in performance_sweep(approach, project_requirements, range(101), costs):
        if row["recommended"] == approach:
            return float(row["performance"])
    return None
