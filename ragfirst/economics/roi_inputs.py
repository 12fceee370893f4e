"""The ROI template's inputs: the dated cost and assumption tables and a project, checked field by field.

Every error names the field (or file) at fault and how to fix it (:class:`ProjectError`);
the model that turns checked inputs into ROI is :mod:`ragfirst.economics.roi`.
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

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
    data_target: float  # examples fine-tuning is assumed to need (roi_inputs.data_target); no default, a NaN hid the penalty
    needs_external_knowledge: bool = False  # flowchart question D
    needs_realtime_tools: bool = False  # flowchart question F


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
        check_approach(approach, field)
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


def check_approach(approach: Any, field: str = "approach") -> str:
    if approach not in APPROACHES:
        raise ProjectError(f"{field}={approach!r}: 알 수 없는 접근법입니다. 가능한 값: {', '.join(APPROACHES)}")
    return approach


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
