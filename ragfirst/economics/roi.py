"""The seed's ROI template made real: costs, expected performance, business value, ROI.

The seed (원문 002, docs/sources.md, "ROI 계산 템플릿") calls three helpers it never defines. Here they
are explicit models whose every number lives in a data file with its source:

* ``data/roi/costs.csv``: the seed's cost table (만원), each item with a period.
  Its amounts are illustrative: ``api_cost_override`` rebuilds the API lines
  from today's per-token prices (``data/prices.csv``) for one workload.
* ``data/roi/assumptions.csv``: expected performance by approach and complexity,
  the fine-tuning data penalty, the value model and per-domain defaults.

Models (all amounts in 만원):

* cost over ``m`` months = one-off items + ``m`` x monthly items
  + ``m // 6`` x six-monthly items (charged in months 6, 12, 18, ...).
* expected performance (%) = table[approach][complexity]
  - ``gap.external_knowledge`` if the project needs outside knowledge and the
    approach has no retrieval (all but RAG)
  - ``gap.realtime_tools`` if it needs live data/tools and the approach has none
    (all but Tool Use)
  - for fine-tuning ``data_penalty x (1 - data_available / data_target)`` when
    data is short. ``measured_performance`` in the project replaces all of this
    with your own measurement.
* business value per year = 12 x monthly_volume x cost_per_manual_handling
  x performance/100 x requirement factor, where the factor is 1 when the
  requirement is met and loses ``shortfall_penalty`` per missing point (floor 0).
* ROI % = (business value - annual cost) / annual cost x 100 (the seed's formula;
  annual cost = first 12 months, one-off costs included).
* budget = what can be invested up front: an approach is within budget when its
  one-off cost fits. Running costs are what ROI weighs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ragfirst.economics.costs import (
    FaqBotWorkload,
    FineTunePlan,
    api_monthly_cost_usd,
    managed_serving_usd,
    managed_training_usd,
)
from ragfirst.economics.money import WON_PER_MANWON, usd_to_manwon
from ragfirst.economics.roi_inputs import (
    API_COST_ITEMS,
    APPROACH_LABELS,
    APPROACHES,
    COST_ITEM_LABELS,
    HORIZON_MONTHS,
    CostItem,
    Costs,
    Project,
    ProjectError,
    check_approach,
    load_assumptions,
    load_costs,
    validate_project,
    with_cost_overrides,
)


def calculate_cost(items: tuple[CostItem, ...], months: int) -> float:
    """Total cost in 만원 over the first ``months`` months."""
    return sum(item.total(months) for item in items)


def calculate_annual_cost(items: tuple[CostItem, ...]) -> float:
    """The seed's 12-month total, one-off costs included."""
    return calculate_cost(items, 12)


def initial_cost(items: tuple[CostItem, ...]) -> float:
    """The one-off part: what must be invested before the system runs."""
    return sum(item.value for item in items if item.period == "one-off")


def get_expected_performance(approach: str, project: Project, assumptions: Mapping[str, float] | None = None) -> float:
    """Expected share of cases handled acceptably (%), from the assumption table or your measurement."""
    check_approach(approach)
    if approach in project.measured_performance:
        return project.measured_performance[approach]
    assumptions = load_assumptions() if assumptions is None else assumptions
    performance = assumptions[f"performance.{approach}.{project.complexity}"]
    if project.needs_external_knowledge and approach != "rag_system":
        performance -= assumptions["gap.external_knowledge"]
    if project.needs_realtime_tools and approach != "tool_use":
        performance -= assumptions["gap.realtime_tools"]
    if approach == "finetuning":
        missing_share = max(0.0, 1 - project.data_available / project.data_target)
        performance -= assumptions["finetuning.data_penalty"] * missing_share
    return max(0.0, performance)


def requirement_factor(performance: float, project: Project, assumptions: Mapping[str, float] | None = None) -> float:
    """Share of the value kept: 1 when the requirement is met, minus ``value.shortfall_penalty`` per missing point."""
    assumptions = load_assumptions() if assumptions is None else assumptions
    shortfall = max(0.0, project.performance_requirement - performance)
    return max(0.0, 1 - assumptions["value.shortfall_penalty"] * shortfall)


def estimate_business_value(performance: float, project: Project, assumptions: Mapping[str, float] | None = None) -> float:
    """Manual handling cost avoided per year (만원), discounted when the requirement is missed."""
    factor = requirement_factor(performance, project, assumptions)
    return 12 * project.monthly_volume * project.cost_per_manual_handling * performance / 100 * factor


def payback_month(items: tuple[CostItem, ...], annual_value: float, horizon: int = HORIZON_MONTHS) -> int | None:
    """First month whose cumulative value covers cumulative cost (value from month 1), else None."""
    for month in range(1, horizon + 1):
        if annual_value / 12 * month >= calculate_cost(items, month):
            return month
    return None


def calculate_ai_approach_roi(
    approach: str,
    project_requirements: Mapping[str, Any],
    costs: Costs | None = None,
    assumptions: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The seed's function: one approach's annual cost, performance, value and ROI.

    Returns the seed's keys (approach, annual_cost, expected_performance,
    business_value, roi_percentage) plus initial_cost, total_cost_3y,
    payback_month (None: not within 36 months), meets_requirement, within_budget, and
    performance_basis ("measured" when the project gives ``measured_performance`` for it, else "assumed").
    """
    check_approach(approach)
    assumptions = load_assumptions() if assumptions is None else assumptions
    project = validate_project(project_requirements, assumptions)
    table = with_cost_overrides(load_costs() if costs is None else costs, project.cost_overrides)
    items = table[approach]
    annual_cost = calculate_annual_cost(items)
    if annual_cost <= 0:
        raise ProjectError(f"{approach}: 연간 비용이 0만원이라 ROI를 계산할 수 없습니다. 비용 항목(만원)을 확인해 주세요.")
    performance = get_expected_performance(approach, project, assumptions)
    value = estimate_business_value(performance, project, assumptions)
    return {
        "approach": approach,
        "annual_cost": annual_cost,
        "expected_performance": performance,
        "business_value": value,
        "roi_percentage": (value - annual_cost) / annual_cost * 100,
        "initial_cost": initial_cost(items),
        "total_cost_3y": calculate_cost(items, HORIZON_MONTHS),
        "payback_month": payback_month(items, value),
        "meets_requirement": performance >= project.performance_requirement,
        "within_budget": initial_cost(items) <= project.budget,
        "performance_basis": "measured" if approach in project.measured_performance else "assumed",
    }


def compare_approaches(project_requirements: Mapping[str, Any], costs: Costs | None = None) -> list[dict[str, Any]]:
    """``calculate_ai_approach_roi`` for the four approaches, in the seed's order."""
    return [calculate_ai_approach_roi(approach, project_requirements, costs) for approach in APPROACHES]


def recommend(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Best ROI among approaches that meet the requirement and fit the budget (None if none does).

    The seed takes ``max`` over all results; that can pick a cheap approach that
    misses the requirement, so infeasible ones are left out first.
    """
    feasible = [r for r in results if r["meets_requirement"] and r["within_budget"]]
    return max(feasible, key=lambda r: r["roi_percentage"]) if feasible else None


def cumulative_costs(approach: str, project_requirements: Mapping[str, Any], months: int = HORIZON_MONTHS,
                     costs: Costs | None = None) -> list[float]:
    """Cumulative cost (만원) at the end of months 1..months, overrides applied."""
    project = validate_project(project_requirements)
    items = with_cost_overrides(load_costs() if costs is None else costs, project.cost_overrides)[check_approach(approach)]
    return [calculate_cost(items, month) for month in range(1, months + 1)]


@dataclass(frozen=True)
class BreakEven:
    """One approach month by month (months 1..n, 만원): what the break-even chart draws."""

    approach: str
    months: tuple[int, ...]
    cumulative_cost: tuple[float, ...]
    cumulative_value: tuple[float, ...]
    payback_month: int | None

    @property
    def net(self) -> tuple[float, ...]:
        """Cumulative value minus cumulative cost; it first reaches 0 at ``payback_month``."""
        return tuple(v - c for v, c in zip(self.cumulative_value, self.cumulative_cost))


def break_even(project_requirements: Mapping[str, Any], months: int = HORIZON_MONTHS,
               costs: Costs | None = None) -> list[BreakEven]:
    """Cumulative cost, value and net per approach (value accrues evenly from month 1), in the seed's order."""
    rows = []
    for result in compare_approaches(project_requirements, costs):
        cost = cumulative_costs(result["approach"], project_requirements, months, costs)
        value = [result["business_value"] / 12 * month for month in range(1, months + 1)]
        payback = result["payback_month"] if result["payback_month"] is not None and result["payback_month"] <= months else None
        rows.append(BreakEven(result["approach"], tuple(range(1, months + 1)), tuple(cost), tuple(value), payback))
    return rows


@dataclass(frozen=True)
class RoiBreakdown:
    """The terms of one approach's value and ROI, for showing the formula with its numbers."""

    approach: str
    monthly_volume: float
    cost_per_manual_handling: float
    performance: float
    performance_requirement: float
    factor: float
    business_value: float
    annual_cost: float
    roi_percentage: float

    def explain(self) -> str:
        """The value formula and the seed's ROI formula with this project's numbers (Korean)."""
        met = "요구 충족" if self.performance >= self.performance_requirement else (
            f"요구 {self.performance_requirement:g}%에 {self.performance_requirement - self.performance:g}점 모자람")
        return (f"연간 가치 = 12 × {self.monthly_volume:,.0f}건 × {self.cost_per_manual_handling:g}만원 × "
                f"{self.performance / 100:.2f} × 계수 {self.factor:.2f} ({met}) = {self.business_value:,.0f}만원\n"
                f"ROI = ({self.business_value:,.0f} - {self.annual_cost:,.0f}) / {self.annual_cost:,.0f} × 100 "
                f"= {self.roi_percentage:.1f}%")


def explain_roi(approach: str, project_requirements: Mapping[str, Any], costs: Costs | None = None,
                assumptions: Mapping[str, float] | None = None) -> RoiBreakdown:
    """``calculate_ai_approach_roi`` with the terms of its value formula, for a notebook to print."""
    assumptions = load_assumptions() if assumptions is None else assumptions
    project = validate_project(project_requirements, assumptions)
    result = calculate_ai_approach_roi(approach, project_requirements, costs, assumptions)
    return RoiBreakdown(approach, project.monthly_volume, project.cost_per_manual_handling, result["expected_performance"],
                        project.performance_requirement, requirement_factor(result["expected_performance"], project, assumptions),
                        result["business_value"], result["annual_cost"], result["roi_percentage"])


def performance_table(project_requirements: Mapping[str, Any], assumptions: Mapping[str, float] | None = None):
    """Per approach: the table value for the project's complexity, the points deducted and the expected performance."""
    import pandas as pd

    assumptions = load_assumptions() if assumptions is None else assumptions
    project = validate_project(project_requirements, assumptions)
    rows = []
    for approach in APPROACHES:
        table_value = assumptions[f"performance.{approach}.{project.complexity}"]
        expected = get_expected_performance(approach, project, assumptions)
        measured = approach in project.measured_performance
        rows.append((APPROACH_LABELS[approach], table_value, None if measured else table_value - expected, expected,
                     "측정값" if measured else "가정 표"))
    return pd.DataFrame(rows, columns=["이름", "표 값(%)", "감점(%p)", "기대 성능(%)", "근거"]).round(1)


# --- the API line from per-token prices -----------------------------------------------

DAYS_PER_MONTH = 30


def api_workload(project_requirements: Mapping[str, Any], input_tokens_per_request: float = 1500,
                 output_tokens_per_request: float = 300) -> FaqBotWorkload:
    """The project's monthly volume as notebook 01's FAQ-bot workload (30 days a month, same tokens per request).

    One workload definition for both notebooks: only the volume comes from the
    project (``monthly_volume``, or the domain default), so 1,000 inquiries a
    month is 1,000 / 30 requests a day.
    """
    project = validate_project(project_requirements)
    return FaqBotWorkload(requests_per_day=project.monthly_volume / DAYS_PER_MONTH, days_per_month=DAYS_PER_MONTH,
                                   input_tokens_per_request=input_tokens_per_request,
                                   output_tokens_per_request=output_tokens_per_request)


def api_cost_override(workload: FaqBotWorkload, prices, model: str,
                      approaches: tuple[str, ...] = tuple(API_COST_ITEMS)) -> dict[str, dict[str, float]]:
    """``cost_overrides`` that replace the per-token API lines with today's prices for ``workload`` (만원/month).

    Uses ``api_monthly_cost_usd`` and ``usd_to_manwon`` (prices
    and the exchange rate from ``data/prices.csv``), so notebooks 01 and 04 share
    one calculation. Every approach gets the same workload: tool use that calls
    the model twice per request would pay about twice this.
    """
    monthly = usd_to_manwon(api_monthly_cost_usd(workload, prices, model), prices)
    overrides = {}
    for approach in approaches:
        if check_approach(approach) not in API_COST_ITEMS:
            raise ProjectError(f"approach={approach!r}: 토큰 요금으로 계산하는 API 항목이 없습니다. 가능한 값: {', '.join(API_COST_ITEMS)}")
        overrides[approach] = {API_COST_ITEMS[approach]: monthly}
    return overrides


def api_cost_table(workload: FaqBotWorkload, prices, model: str, costs: Costs | None = None):
    """The seed's API lines next to the same lines at today's token prices, per month and per request (원)."""
    import pandas as pd

    table = load_costs() if costs is None else costs
    repriced = api_cost_override(workload, prices, model)
    requests = workload.requests_per_month
    rows = []
    for approach, item_name in API_COST_ITEMS.items():
        seed = next(item.value for item in table[approach] if item.item == item_name)
        now = repriced[approach][item_name]
        rows.append((APPROACH_LABELS[approach], item_name, seed, seed * WON_PER_MANWON / requests,
                     now, now * WON_PER_MANWON / requests))
    return pd.DataFrame(rows, columns=["이름", "항목", "원문(만원/월)", "원문(원/건)", f"{model}(만원/월)", f"{model}(원/건)"]
                        ).set_index("이름").round(2)


# --- fine-tuning's lines from managed fine-tuning prices ----------------------------------

# The lines of the seed's fine-tuning row that a managed fine-tuning API bills per token; the
# rest (development, maintenance) is people's time and stays the seed's (or your) figure.
FINETUNING_TOKEN_ITEMS = ("initial_training", "monthly_inference", "retraining")


def finetuning_cost_override(workload: FaqBotWorkload, prices, plan: FineTunePlan | None = None,
                             model: str = "gpt-4.1-mini") -> dict[str, dict[str, float]]:
    """``cost_overrides`` that price fine-tuning's training, retraining and inference as a managed API (만원).

    One training run (``managed_training_usd``) for ``initial_training`` and for each
    ``retraining``, and a month of calls to the fine-tuned model (``managed_serving_usd``)
    for ``monthly_inference``: the seed's 300만원 training and 150만원 a month of hosting assumed
    rented GPUs, which a managed API replaces. Same workload and exchange rate as ``api_cost_override``.
    """
    plan = FineTunePlan() if plan is None else plan
    run = usd_to_manwon(managed_training_usd(plan, prices, model), prices)
    serving = usd_to_manwon(managed_serving_usd(plan, workload, prices, model), prices)
    return {"finetuning": {"initial_training": run, "monthly_inference": serving, "retraining": run}}


def finetuning_cost_table(workload: FaqBotWorkload, prices, plan: FineTunePlan | None = None,
                          model: str = "gpt-4.1-mini", costs: Costs | None = None):
    """Every line of the seed's fine-tuning costs next to the managed-API figure, and where each number comes from."""
    import pandas as pd

    table = load_costs() if costs is None else costs
    repriced = finetuning_cost_override(workload, prices, plan, model)["finetuning"]
    rows = []
    for item in table["finetuning"]:
        priced = item.item in repriced
        rows.append((COST_ITEM_LABELS.get(item.item, item.item), item.value, repriced.get(item.item, item.value),
                     f"토큰 가격으로 계산 (prices.csv ft.{model}.*)" if priced else "원문 값 (사람의 시간, 가정)"))
    return pd.DataFrame(rows, columns=["항목", "원문(만원)", "관리형 API(만원)", "근거"]).set_index("항목").round(2)
