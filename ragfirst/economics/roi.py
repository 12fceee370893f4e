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

import difflib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from ragfirst.economics import paradigm
from ragfirst.runtime.config import DATA_DIR
from ragfirst.runtime.sourced import sourced_rows

ROI_DIR = DATA_DIR / "roi"
COSTS_CSV = ROI_DIR / "costs.csv"
ASSUMPTIONS_CSV = ROI_DIR / "assumptions.csv"

APPROACHES = ("prompt_engineering", "rag_system", "tool_use", "finetuning")
# The one Korean name of each approach, used by roi, decide, the charts and the notebooks.
APPROACH_LABELS = {
    "prompt_engineering": "프롬프트 엔지니어링",
    "rag_system": "RAG",
    "tool_use": "도구 사용(Tool Use)",
    "finetuning": "파인튜닝",
}
HYBRID_LABEL = "하이브리드"
COST_ITEM_LABELS = {
    "development": "개발비 (일회성)",
    "initial_training": "초기 학습 (일회성)",
    "monthly_api": "API 이용료 (매월)",
    "monthly_infrastructure": "인프라 (매월)",
    "monthly_tools": "외부 도구·시스템 (매월)",
    "monthly_inference": "추론 서버 (매월)",
    "retraining": "재학습 (6개월마다)",
    "maintenance": "유지보수 (매월)",
}
VALUE_INPUT_LABELS = {
    "monthly_volume": "월 문의 건수",
    "cost_per_manual_handling": "건당 사람 처리 비용",
}
# Cost items billed per token: what ``api_cost_override`` recomputes from data/prices.csv.
API_COST_ITEMS = {"prompt_engineering": "monthly_api", "rag_system": "monthly_api", "tool_use": "monthly_api"}
COST_COLUMNS = ("approach", "item", "value", "unit", "period", "source", "date", "note")
PERIODS = ("one-off", "monthly", "every 6 months")
COMPLEXITIES = ("low", "medium", "high")
HORIZON_MONTHS = 36
# A budget this large in 만원 (100억원) is almost surely a figure typed in 원.
MAX_BUDGET_MANWON = 1_000_000


class ProjectError(ValueError):
    """A project or cost input is wrong; the message names the field and the fix.

    The table loaders raise :class:`ragfirst.runtime.sourced.DataFileError` for the table's
    shape (columns, empty cells, source, date) and this for a value the ROI model
    cannot use (unknown approach or period, a number that is not one).
    """


@dataclass(frozen=True)
class CostItem:
    """One line of the cost table, in 만원."""

    approach: str
    item: str
    value: float
    period: str
    source: str = ""
    note: str = ""

    def total(self, months: int) -> float:
        """What this item costs over the first ``months`` months."""
        if self.period == "one-off":
            return self.value if months >= 1 else 0.0
        if self.period == "monthly":
            return self.value * months
        return self.value * (months // 6)

    def in_month(self, month: int) -> float:
        """What this item costs in month ``month`` (1-based)."""
        return self.total(month) - self.total(month - 1)


Costs = Mapping[str, tuple[CostItem, ...]]


def parse_number(value: Any, field: str, unit: str) -> float:
    """``value`` as a finite float, or a ProjectError naming ``field`` and ``unit``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).replace(",", ""))
        except ValueError:
            raise ProjectError(f"{field}={value!r}: 숫자가 아닙니다. {unit} 단위의 숫자로 적어 주세요.") from None
    value = float(value)
    if not math.isfinite(value):
        raise ProjectError(f"{field}={value!r}: 유한한 숫자({unit})가 필요합니다.")
    return value


def load_costs(path: Path = COSTS_CSV) -> dict[str, tuple[CostItem, ...]]:
    """Read the cost table; every row must have a known approach, period and a value >= 0 만원."""
    table: dict[str, list[CostItem]] = {}
    for where, row in sourced_rows(path, COST_COLUMNS, ("approach", "item")):
        if row.get("unit") != "만원":
            raise ProjectError(f"{where}: unit={row.get('unit')!r}, 비용은 만원 단위여야 합니다.")
        table.setdefault(row["approach"], []).append(
            _checked_item(
                CostItem(row["approach"], row["item"], row["value"], row["period"], row["source"], row["note"]),
                where,
            )
        )
    return {name: tuple(items) for name, items in table.items()}


def _checked_item(item: CostItem, where: str) -> CostItem:
    if item.approach not in APPROACHES:
        raise ProjectError(f"{where}: approach={item.approach!r}는 알 수 없는 접근법입니다. 가능한 값: {', '.join(APPROACHES)}")
    if item.period not in PERIODS:
        raise ProjectError(f"{where}: period={item.period!r}, 가능한 값: {', '.join(PERIODS)}")
    value = parse_number(item.value, where, "만원")
    if value < 0:
        raise ProjectError(f"{where}: 비용 {value:g}만원은 음수입니다. 0 이상의 만원 금액을 적어 주세요.")
    return replace(item, value=value)


def required_assumptions() -> tuple[str, ...]:
    """The rows the performance and value models read; a missing one stops loading with its name."""
    return (tuple(f"performance.{a}.{c}" for a in APPROACHES for c in COMPLEXITIES)
            + ("finetuning.data_target", "finetuning.data_penalty", "gap.external_knowledge", "gap.realtime_tools",
               "value.shortfall_penalty"))


ASSUMPTION_COLUMNS = ("item", "value", "unit", "source", "date", "note")


def load_assumptions(path: Path = ASSUMPTIONS_CSV) -> dict[str, float]:
    """The model parameters by name (``performance.rag_system.medium`` -> 85.0).

    A missing file, a missing column, a value that is not a number, an empty
    source or a date that is not YYYY-MM-DD stops here with the file, line and
    column at fault, so a typo cannot quietly change every ROI.
    """
    table: dict[str, float] = {}
    for where, row in sourced_rows(path, ASSUMPTION_COLUMNS):
        name = row["item"].strip()
        if name in table:
            raise ProjectError(f"{where}: item={name!r}가 중복됩니다. 한 항목은 한 줄에만 적어 주세요.")
        table[name] = parse_number(row["value"].strip(), f"{where}: value", row["unit"].strip() or "단위")
    missing = [name for name in required_assumptions() if name not in table]
    if missing:
        raise ProjectError(f"{Path(path).name}: 필요한 행이 없습니다: {', '.join(missing)}. data/roi/assumptions.csv를 복원해 주세요.")
    return table


def data_target(assumptions: Mapping[str, float] | None = None, project: Mapping[str, Any] | None = None) -> float:
    """Quality examples fine-tuning is assumed to need: the project's ``data_target`` if it sets one, else the table's.

    The table's ``finetuning.data_target`` is the seed's 10K; published evidence starts far
    lower (``evidence.*`` rows: LIMA's 1,000 curated examples, OpenAI's guide's 50), so it is an
    assumption a project may change, and the ROI model, the flowchart and the checklist all read it here.
    """
    if project is not None and project.get("data_target") is not None:
        target = parse_number(project["data_target"], "project_requirements['data_target']", "건")
        if target <= 0:
            raise ProjectError(f"project_requirements['data_target']={target:g}: 1 이상의 건수가 필요합니다.")
        return target
    assumptions = load_assumptions() if assumptions is None else assumptions
    return assumptions["finetuning.data_target"]


def with_cost_overrides(costs: Costs, overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, tuple[CostItem, ...]]:
    """A copy of ``costs`` with some item values replaced: ``{"rag_system": {"monthly_api": 120}}``.

    Only existing items can be changed (their period stays that of the table),
    so a typo cannot silently add a cost.
    """
    result = {name: tuple(items) for name, items in costs.items()}
    for approach, changes in (overrides or {}).items():
        if approach not in result:
            raise ProjectError(f"cost_overrides.{approach}: 알 수 없는 접근법입니다. 가능한 값: {', '.join(APPROACHES)}")
        if not isinstance(changes, Mapping):
            raise ProjectError(f"cost_overrides.{approach}: 항목 이름과 만원 금액의 표(dict)가 필요합니다.")
        items = {item.item: item for item in result[approach]}
        for name, value in changes.items():
            field = f"cost_overrides.{approach}.{name}"
            if name not in items:
                raise ProjectError(f"{field}: 알 수 없는 비용 항목입니다. 가능한 값: {', '.join(items)}")
            items[name] = _checked_item(replace(items[name], value=value), field)
        result[approach] = tuple(items.values())
    return result


def calculate_cost(items: tuple[CostItem, ...], months: int) -> float:
    """Total cost in 만원 over the first ``months`` months."""
    return sum(item.total(months) for item in items)


def calculate_annual_cost(items: tuple[CostItem, ...]) -> float:
    """The seed's 12-month total, one-off costs included."""
    return calculate_cost(items, 12)


def initial_cost(items: tuple[CostItem, ...]) -> float:
    """The one-off part: what must be invested before the system runs."""
    return sum(item.value for item in items if item.period == "one-off")


@dataclass(frozen=True)
class Project:
    """A validated project: the seed's five fields plus the value model's inputs."""

    domain: str
    complexity: str
    data_available: int
    performance_requirement: float
    budget: float  # 만원, up-front investment available
    monthly_volume: float  # cases per month
    cost_per_manual_handling: float  # 만원 per case handled by a person
    measured_performance: Mapping[str, float]
    cost_overrides: Mapping[str, Mapping[str, Any]]
    needs_external_knowledge: bool = False  # flowchart question D
    needs_realtime_tools: bool = False  # flowchart question F
    data_target: float = math.nan  # examples fine-tuning is assumed to need; validate_project sets it (roi.data_target)


REQUIRED_FIELDS = {
    "domain": "텍스트 (예: customer_service)",
    "complexity": "low / medium / high",
    "data_available": "보유한 고품질 데이터 건수 (예: 5000)",
    "performance_requirement": "필요한 정확도 % (0~100, 예: 85)",
    "budget": "초기 투자 가능 예산, 만원 (예: 2000 = 2,000만원)",
}
# Every other field a project file may carry: read by roi, by ragfirst.economics.decide (flowchart and
# checklists) or just a title. A key outside this list is almost surely a typo.
OPTIONAL_FIELDS = {
    "name": "프로젝트 이름 (텍스트)",
    "monthly_volume": "월 처리 건수 (건/월)",
    "cost_per_manual_handling": "사람이 한 건을 처리하는 비용 (만원/건)",
    "measured_performance": "직접 측정한 성능 {접근법: %}",
    "data_target": "파인튜닝에 필요하다고 보는 고품질 데이터 건수 (없으면 data/roi/assumptions.csv의 finetuning.data_target)",
    "cost_overrides": "비용 항목 변경 {접근법: {항목: 만원}}",
    "needs_external_knowledge": "플로우차트 D: 외부 지식 필요? (true/false)",
    "needs_realtime_tools": "플로우차트 F: 실시간 데이터/도구 필요? (true/false)",
    "simple_prompt_sufficient": "플로우차트 B: 간단한 프롬프트로 가능? (true/false)",
    "needs_specialized_behavior": "플로우차트 H: 매우 특화된 행동 필요? (true/false)",
    "task_type": "text / vision / recommendation / tabular",
    "latency_ms": "응답 지연 요구 (밀리초). 플로우차트 D/F가 아니라 서빙 설계의 문제라 주의로만 씁니다",
    "performance_critical": "체크리스트: 성능 개선이 비즈니스에 치명적인가? (true/false)",
    "prompt_optimization_tried": "체크리스트: 프롬프트 최적화를 충분히 시도했는가? (true/false)",
    "rag_insufficient": "체크리스트: RAG로 해결되지 않는가? (true/false)",
    "tool_use_insufficient": "체크리스트: Tool Use로 해결되지 않는가? (true/false)",
    "has_model_ops_team": "체크리스트: 지속적인 모델 관리 리소스가 있는가? (true/false)",
}
PROJECT_FIELDS = {**REQUIRED_FIELDS, **OPTIONAL_FIELDS}


def check_known_fields(project: Mapping[str, Any], where: str = "project_requirements") -> None:
    """Reject keys no module reads (``monthly_volumne``), naming the closest allowed one and listing all."""
    unknown = [key for key in project if key not in PROJECT_FIELDS]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), list(PROJECT_FIELDS), n=1)
            hints.append(f"'{key}'" + (f" (혹시 '{close[0]}'?)" if close else ""))
        raise ProjectError(f"{where}: 알 수 없는 필드 {', '.join(hints)}. 가능한 필드: {', '.join(PROJECT_FIELDS)}")


def validate_project(project: Mapping[str, Any], assumptions: Mapping[str, float] | None = None) -> Project:
    """Check a project dict (the seed's fields) and fill domain defaults; errors name the field."""
    if not isinstance(project, Mapping):
        raise ProjectError("project_requirements: dict(필드 이름 -> 값)가 필요합니다.")
    check_known_fields(project)
    assumptions = load_assumptions() if assumptions is None else assumptions
    for field, expected in REQUIRED_FIELDS.items():
        if project.get(field) is None:
            raise ProjectError(f"project_requirements['{field}']가 없습니다. 기대하는 값: {expected}")
    domain = str(project["domain"]).strip()
    complexity = str(project["complexity"]).strip().lower()
    if complexity not in COMPLEXITIES:
        raise ProjectError(f"project_requirements['complexity']={project['complexity']!r}: low / medium / high 중 하나여야 합니다.")
    data = parse_number(project["data_available"], "project_requirements['data_available']", "건")
    if data < 0 or data != int(data):
        raise ProjectError(f"project_requirements['data_available']={project['data_available']!r}: 0 이상의 정수(건)가 필요합니다.")
    requirement = parse_number(project["performance_requirement"], "project_requirements['performance_requirement']", "%")
    if not 1 <= requirement <= 100:  # below 1 is almost surely a fraction (0.85 for 85%)
        raise ProjectError(
            f"project_requirements['performance_requirement']={requirement:g}: 1~100 사이의 %가 필요합니다 "
            "(0.85가 아니라 85처럼 적어 주세요)."
        )
    budget = check_budget(project["budget"])
    volume = _domain_default(project, assumptions, domain, "monthly_volume", "건/월")
    handling = _domain_default(project, assumptions, domain, "cost_per_manual_handling", "만원/건")
    measured = {}
    for approach, value in (project.get("measured_performance") or {}).items():
        field = f"measured_performance.{approach}"
        _check_approach(approach, field)
        measured[approach] = parse_number(value, field, "%")
        if not 0 <= measured[approach] <= 100:
            raise ProjectError(f"{field}={value!r}: 0~100 사이의 %가 필요합니다.")
    flags = {}
    for name in ("needs_external_knowledge", "needs_realtime_tools"):
        flags[name] = project.get(name, False)
        if not isinstance(flags[name], bool):
            raise ProjectError(f"project_requirements['{name}']={flags[name]!r}: true 또는 false가 필요합니다.")
    return Project(domain, complexity, int(data), requirement, budget, volume, handling, measured,
                   dict(project.get("cost_overrides") or {}), **flags, data_target=data_target(assumptions, project))


def check_budget(value: Any) -> float:
    field = "project_requirements['budget']"
    budget = parse_number(value, field, "만원")
    if budget < 0:
        raise ProjectError(f"{field}={budget:g}: 예산은 0 이상의 만원 금액이어야 합니다.")
    if budget >= MAX_BUDGET_MANWON:
        raise ProjectError(
            f"{field}={budget:,.0f}: 예산은 만원 단위입니다. 이 값은 원 단위로 보입니다 "
            f"({budget:,.0f}원 = {budget / 10_000:,.0f}만원). budget: {budget / 10_000:g} 처럼 만원으로 적어 주세요."
        )
    return budget


def _domain_default(project: Mapping[str, Any], assumptions: Mapping[str, float], domain: str, name: str, unit: str) -> float:
    if project.get(name) is not None:
        value = parse_number(project[name], f"project_requirements['{name}']", unit)
    else:
        key = f"domain.{domain}.{name}"
        if key not in assumptions:
            known = sorted({k.split(".")[1] for k in assumptions if k.startswith("domain.")})
            raise ProjectError(
                f"project_requirements['{name}']가 없고 도메인 '{domain}'의 기본값도 없습니다. "
                f"{name}({unit})을 직접 적거나 기본값이 있는 도메인({', '.join(known)})을 쓰세요."
            )
        value = assumptions[key]
    if value < 0:
        raise ProjectError(f"project_requirements['{name}']={value:g}: 0 이상의 값({unit})이 필요합니다.")
    return value


def _check_approach(approach: Any, field: str = "approach") -> str:
    if approach not in APPROACHES:
        raise ProjectError(f"{field}={approach!r}: 알 수 없는 접근법입니다. 가능한 값: {', '.join(APPROACHES)}")
    return approach


def get_expected_performance(approach: str, project: Project, assumptions: Mapping[str, float] | None = None) -> float:
    """Expected share of cases handled acceptably (%), from the assumption table or your measurement."""
    _check_approach(approach)
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
    payback_month (None: not within 36 months), meets_requirement, within_budget.
    """
    _check_approach(approach)
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
    items = with_cost_overrides(load_costs() if costs is None else costs, project.cost_overrides)[_check_approach(approach)]
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
                 output_tokens_per_request: float = 300) -> paradigm.FaqBotWorkload:
    """The project's monthly volume as notebook 01's FAQ-bot workload (30 days a month, same tokens per request).

    One workload definition for both notebooks: only the volume comes from the
    project (``monthly_volume``, or the domain default), so 1,000 inquiries a
    month is 1,000 / 30 requests a day.
    """
    project = validate_project(project_requirements)
    return paradigm.FaqBotWorkload(requests_per_day=project.monthly_volume / DAYS_PER_MONTH, days_per_month=DAYS_PER_MONTH,
                                   input_tokens_per_request=input_tokens_per_request,
                                   output_tokens_per_request=output_tokens_per_request)


def api_cost_override(workload: paradigm.FaqBotWorkload, prices, model: str,
                      approaches: tuple[str, ...] = tuple(API_COST_ITEMS)) -> dict[str, dict[str, float]]:
    """``cost_overrides`` that replace the per-token API lines with today's prices for ``workload`` (만원/month).

    Uses ``paradigm.api_monthly_cost_usd`` and ``paradigm.usd_to_manwon`` (prices
    and the exchange rate from ``data/prices.csv``), so notebooks 01 and 04 share
    one calculation. Every approach gets the same workload: tool use that calls
    the model twice per request would pay about twice this.
    """
    monthly = paradigm.usd_to_manwon(paradigm.api_monthly_cost_usd(workload, prices, model), prices)
    overrides = {}
    for approach in approaches:
        if _check_approach(approach) not in API_COST_ITEMS:
            raise ProjectError(f"approach={approach!r}: 토큰 요금으로 계산하는 API 항목이 없습니다. 가능한 값: {', '.join(API_COST_ITEMS)}")
        overrides[approach] = {API_COST_ITEMS[approach]: monthly}
    return overrides


def api_cost_table(workload: paradigm.FaqBotWorkload, prices, model: str, costs: Costs | None = None):
    """The seed's API lines next to the same lines at today's token prices, per month and per request (원)."""
    import pandas as pd

    table = load_costs() if costs is None else costs
    repriced = api_cost_override(workload, prices, model)
    requests = workload.requests_per_month
    rows = []
    for approach, item_name in API_COST_ITEMS.items():
        seed = next(item.value for item in table[approach] if item.item == item_name)
        now = repriced[approach][item_name]
        rows.append((APPROACH_LABELS[approach], item_name, seed, seed * paradigm.WON_PER_MANWON / requests,
                     now, now * paradigm.WON_PER_MANWON / requests))
    return pd.DataFrame(rows, columns=["이름", "항목", "원문(만원/월)", "원문(원/건)", f"{model}(만원/월)", f"{model}(원/건)"]
                        ).set_index("이름").round(2)


# --- fine-tuning's lines from managed fine-tuning prices ----------------------------------

# The lines of the seed's fine-tuning row that a managed fine-tuning API bills per token; the
# rest (development, maintenance) is people's time and stays the seed's (or your) figure.
FINETUNING_TOKEN_ITEMS = ("initial_training", "monthly_inference", "retraining")


def finetuning_cost_override(workload: paradigm.FaqBotWorkload, prices, plan: paradigm.FineTunePlan | None = None,
                             model: str = "gpt-4.1-mini") -> dict[str, dict[str, float]]:
    """``cost_overrides`` that price fine-tuning's training, retraining and inference as a managed API (만원).

    One training run (``paradigm.managed_training_usd``) for ``initial_training`` and for each
    ``retraining``, and a month of calls to the fine-tuned model (``paradigm.managed_serving_usd``)
    for ``monthly_inference``: the seed's 300만원 training and 150만원 a month of hosting assumed
    rented GPUs, which a managed API replaces. Same workload and exchange rate as ``api_cost_override``.
    """
    plan = paradigm.FineTunePlan() if plan is None else plan
    run = paradigm.usd_to_manwon(paradigm.managed_training_usd(plan, prices, model), prices)
    serving = paradigm.usd_to_manwon(paradigm.managed_serving_usd(plan, workload, prices, model), prices)
    return {"finetuning": {"initial_training": run, "monthly_inference": serving, "retraining": run}}


def finetuning_cost_table(workload: paradigm.FaqBotWorkload, prices, plan: paradigm.FineTunePlan | None = None,
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


# --- sensitivity ---------------------------------------------------------------------


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
    _check_approach(approach)
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


def load_project(path: str | Path) -> dict[str, Any]:
    """A project from a YAML (.yaml/.yml) or JSON (.json) file, as a plain dict."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"프로젝트 파일이 없습니다: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as error:  # yaml and json raise different types
        raise ProjectError(f"{path}: YAML/JSON으로 읽을 수 없습니다 ({error}).") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: 최상위가 필드 이름 -> 값의 표(mapping)여야 합니다.")
    return data


def format_comparison(results: list[dict[str, Any]]) -> str:
    """A plain-text comparison table for the terminal, with the recommendation."""
    header = f"{'approach':<20}{'annual_cost':>12}{'3y_cost':>10}{'perf%':>7}{'value/yr':>10}{'ROI%':>9}{'payback':>9}  feasible"
    lines = ["(금액: 만원, value/yr: 연간 비즈니스 가치, payback: 손익분기 개월)", header]
    for r in results:
        payback = "-" if r["payback_month"] is None else f"{r['payback_month']}m"
        feasible = "yes" if r["meets_requirement"] and r["within_budget"] else (
            "no: " + ", ".join(w for w, ok in (("performance", r["meets_requirement"]), ("budget", r["within_budget"])) if not ok))
        lines.append(f"{r['approach']:<20}{r['annual_cost']:>12,.0f}{r['total_cost_3y']:>10,.0f}"
                     f"{r['expected_performance']:>7.1f}{r['business_value']:>10,.0f}{r['roi_percentage']:>9.1f}{payback:>9}  {feasible}")
    best = recommend(results)
    lines.append(f"추천: {best['approach']} ({APPROACH_LABELS[best['approach']]}, ROI {best['roi_percentage']:.1f}%)"
                 if best else "추천: 요구 성능과 예산을 함께 만족하는 접근법이 없습니다 (요구사항이나 예산을 재검토하세요)")
    return "\n".join(lines)


def comparison_table(results: list[dict[str, Any]]):
    """The results as a pandas DataFrame with Korean column names, rounded for reading."""
    import pandas as pd

    frame = pd.DataFrame(results)
    frame.insert(1, "label", frame["approach"].map(APPROACH_LABELS))
    frame = frame.rename(columns={
        "approach": "접근법", "label": "이름", "annual_cost": "연간 비용(만원)", "expected_performance": "기대 성능(%)",
        "business_value": "연간 가치(만원)", "roi_percentage": "ROI(%)", "initial_cost": "초기 비용(만원)",
        "total_cost_3y": "3년 총비용(만원)", "payback_month": "손익분기(개월)", "meets_requirement": "요구 성능 충족",
        "within_budget": "예산 내",
    })
    frame["손익분기(개월)"] = frame["손익분기(개월)"].astype("Int64")
    return frame.round(1)


def cost_table_rows(project_requirements: Mapping[str, Any], costs: Costs | None = None) -> list[dict[str, Any]]:
    """The cost table as used for this project: overrides applied, changed rows say so and keep the seed's value."""
    project = validate_project(project_requirements)
    base = load_costs() if costs is None else costs
    used = with_cost_overrides(base, project.cost_overrides)
    rows = []
    for approach, items in used.items():
        originals = {item.item: item for item in base[approach]}
        for item in items:
            row = {"approach": item.approach, "item": item.item, "value": item.value, "period": item.period,
                   "source": item.source, "note": item.note, "seed_value": originals[item.item].value}
            if item.value != originals[item.item].value:
                row["source"] = "프로젝트 cost_overrides"
                row["note"] = f"원문 값 {originals[item.item].value:g}만원을 프로젝트 파일에서 바꿈"
            rows.append(row)
    return rows


def export_comparison(results: list[dict[str, Any]], project_requirements: Mapping[str, Any],
                      directory: str | Path | None = None, stem: str = "roi_comparison") -> tuple[Path, Path]:
    """Write the comparison to CSV (UTF-8 with BOM, opens in Excel) and to an .xlsx with the inputs.

    The "비용표" sheet is the cost table the results were computed with: the
    project's ``cost_overrides`` applied, each changed row marked with the seed's value.
    Files go to ``cache_dir()/roi`` unless ``directory`` is given, never into the repo.
    Both are written to temporary names first so a failure leaves nothing half-written.
    """
    import pandas as pd

    from ragfirst.runtime.config import cache_dir

    cost_rows = cost_table_rows(project_requirements)
    for result in results:  # the cost sheet must be the table these results came from
        expected = calculate_ai_approach_roi(result["approach"], project_requirements)["annual_cost"]
        if not math.isclose(result["annual_cost"], expected, abs_tol=1e-6):
            raise ProjectError(f"results[{result['approach']}]: annual_cost {result['annual_cost']:g}만원이 project_requirements로 "
                               f"계산한 {expected:g}만원과 다릅니다. 같은 프로젝트(cost_overrides 포함)로 계산한 결과를 넘겨 주세요.")
    folder = Path(directory) if directory is not None else cache_dir() / "roi"
    folder.mkdir(parents=True, exist_ok=True)
    table = comparison_table(results)
    inputs = pd.DataFrame(
        [(k, json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in project_requirements.items()],
        columns=["field", "value"],
    )
    csv_path, xlsx_path = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    tmp_csv, tmp_xlsx = folder / f".{stem}.csv.tmp", folder / f".{stem}.xlsx.tmp"
    try:
        table.to_csv(tmp_csv, index=False, encoding="utf-8-sig")
        with pd.ExcelWriter(tmp_xlsx, engine="openpyxl") as writer:
            table.to_excel(writer, sheet_name="비교", index=False)
            inputs.to_excel(writer, sheet_name="입력", index=False)
            pd.DataFrame(cost_rows).to_excel(writer, sheet_name="비용표", index=False)
        tmp_csv.replace(csv_path)
        tmp_xlsx.replace(xlsx_path)
    finally:
        tmp_csv.unlink(missing_ok=True)
        tmp_xlsx.unlink(missing_ok=True)
    return csv_path, xlsx_path


def run_cli(args) -> int:
    """``ragfirst roi PROJECT.yaml [--json]``."""
    project = load_project(args.project)
    results = compare_approaches(project)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(format_comparison(results))
    return 0
