"""The seed's two checklists (원문 002, "체크리스트") as code: what to confirm before fine-tuning, and which alternative first.

``before_finetuning`` is the gate the decision flowchart (:mod:`ragfirst.economics.decide`)
applies before it recommends fine-tuning; its budget and data boxes read the same
tables as the ROI model (:mod:`ragfirst.economics.roi_inputs`), so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ragfirst.economics.roi import initial_cost
from ragfirst.economics.roi_inputs import (
    APPROACH_LABELS,
    HYBRID_LABEL,
    ProjectError,
    check_budget,
    data_target,
    load_costs,
    parse_number,
    with_cost_overrides,
)

VERDICT_PENDING = "판단 보류"


def finetuning_investment(project: Mapping[str, Any] | None = None) -> float:
    """Up-front cost of fine-tuning in 만원, from the ROI cost table (development + initial training).

    The seed's checklist says "500만원 이상", but its own cost table adds 300 of
    initial training to the 500 of development; the table is the one source used.
    The project's ``cost_overrides`` apply, so a project priced with a managed
    fine-tuning API (``roi.finetuning_cost_override``) is asked about its own figure.
    """
    overrides = (project or {}).get("cost_overrides")
    return initial_cost(with_cost_overrides(load_costs(), overrides)["finetuning"])


@dataclass(frozen=True)
class ChecklistItem:
    """One checkbox of a seed checklist and how a project answers it."""

    id: str
    text: str  # the seed's wording (원문 002, 체크리스트)
    fields: tuple[str, ...]  # project fields the answer comes from
    rule: Callable[[Mapping[str, Any]], bool]
    note: str = ""


def _true(name: str) -> Callable[[Mapping[str, Any]], bool]:
    def rule(project: Mapping[str, Any]) -> bool:
        if not isinstance(project[name], bool):
            raise ProjectError(f"project['{name}']={project[name]!r}: true 또는 false가 필요합니다.")
        return project[name]
    return rule


BEFORE_FINETUNING: tuple[ChecklistItem, ...] = (
    ChecklistItem("prompt_tried", "프롬프트 최적화를 충분히 시도했는가?", ("prompt_optimization_tried",), _true("prompt_optimization_tried")),
    ChecklistItem("rag_not_enough", "RAG로 해결되지 않는가?", ("rag_insufficient",), _true("rag_insufficient")),
    ChecklistItem("tools_not_enough", "Tool Use로 해결되지 않는가?", ("tool_use_insufficient",), _true("tool_use_insufficient")),
    ChecklistItem("specialized", "정말로 도메인-특화 행동이 필요한가?", ("needs_specialized_behavior",), _true("needs_specialized_behavior")),
    ChecklistItem("data_10k", "고품질 데이터 10,000+ 보유하고 있는가?", ("data_available",),
                  lambda p: parse_number(p["data_available"], "project['data_available']", "건") >= data_target(project=p),
                  "기준 건수는 프로젝트의 data_target, 없으면 data/roi/assumptions.csv의 finetuning.data_target입니다 (ROI 모델과 같은 값)."),
    ChecklistItem("budget", "초기 투자비 500만원 이상 투자 가능한가?", ("budget",),
                  lambda p: check_budget(p["budget"]) >= finetuning_investment(p),
                  "원문은 500만원이지만 같은 원문의 비용 표는 개발 500 + 초기 학습 300 = 800만원이므로 비용 표의 값(플로우차트 L과 같은 값)으로 확인합니다."),
    ChecklistItem("model_ops", "지속적인 모델 관리 리소스가 있는가?", ("has_model_ops_team",), _true("has_model_ops_team")),
    ChecklistItem("critical", "성능 개선이 비즈니스에 치명적으로 중요한가?", ("performance_critical",), _true("performance_critical")),
)

ALTERNATIVES_FIRST: tuple[ChecklistItem, ...] = (
    ChecklistItem("rag", "RAG: 최신 정보나 대량 문서 기반 답변이 필요한가?", ("needs_external_knowledge",), _true("needs_external_knowledge")),
    ChecklistItem("tool_use", "Tool Use: 실시간 데이터나 외부 시스템 연동이 필요한가?", ("needs_realtime_tools",), _true("needs_realtime_tools")),
    ChecklistItem("hybrid", "하이브리드: 복합적 요구사항으로 여러 기법 조합이 필요한가?",
                  ("needs_external_knowledge", "needs_realtime_tools", "needs_specialized_behavior"),
                  lambda p: sum(bool(p[n]) for n in ("needs_external_knowledge", "needs_realtime_tools", "needs_specialized_behavior")) >= 2),
)

CHECKLISTS = {"before_finetuning": BEFORE_FINETUNING, "alternatives_first": ALTERNATIVES_FIRST}


@dataclass(frozen=True)
class ChecklistScore:
    """Which boxes a project ticks; unanswered ones name the missing project fields."""

    name: str
    checked: tuple[str, ...]
    unchecked: tuple[str, ...]
    unanswered: tuple[str, ...]
    total: int
    verdict: str
    provisional: bool = False  # True: unanswered items could still change the verdict ("판단 보류")

    @property
    def score(self) -> int:
        return len(self.checked)


def score_checklist(name: str, project: Mapping[str, Any]) -> ChecklistScore:
    """Score one of the seed's checklists (``before_finetuning`` or ``alternatives_first``).

    Fine-tuning is worth considering only when every box of ``before_finetuning``
    is ticked; any ticked box of ``alternatives_first`` points to that technique first.
    """
    if name not in CHECKLISTS:
        raise ProjectError(f"checklist={name!r}: 가능한 값: {', '.join(CHECKLISTS)}")
    checked, unchecked, unanswered = [], [], []
    for item in CHECKLISTS[name]:
        if any(project.get(f) is None for f in item.fields):
            unanswered.append(item.id)
        elif item.rule(project):
            checked.append(item.id)
        else:
            unchecked.append(item.id)
    total = len(CHECKLISTS[name])
    missing = sorted({f for item in CHECKLISTS[name] if item.id in unanswered for f in item.fields if project.get(f) is None})
    todo = f"답하지 않은 항목이 {len(unanswered)}개 남았습니다. 프로젝트에 {', '.join(missing)} 필드를 채우세요"
    # Unanswered items leave the verdict open unless the answered ones already settle it.
    if name == "before_finetuning":  # fine-tuning only when every box is ticked: one "no" settles it
        settled = bool(unchecked) or not unanswered
        if unchecked:
            verdict = f"{total}개 중 {len(checked)}개 충족: 파인튜닝보다 대안을 먼저 쓰세요."
        elif not unanswered:
            verdict = "모든 항목을 충족합니다: 파인튜닝을 검토할 만합니다."
        else:
            verdict = f"{VERDICT_PENDING}: 답한 {len(checked)}개는 모두 충족합니다. {todo}."
    else:  # any ticked box names an alternative to try first
        labels = {"rag": APPROACH_LABELS["rag_system"], "tool_use": APPROACH_LABELS["tool_use"], "hybrid": HYBRID_LABEL}
        settled = bool(checked) or not unanswered
        if checked:
            verdict = "먼저 검토할 대안: " + ", ".join(labels[c] for c in checked)
        elif not unanswered:
            verdict = "해당하는 대안이 없습니다."
        else:
            verdict = f"{VERDICT_PENDING}: 답한 항목 중 해당하는 대안은 없습니다. {todo}."
    if unanswered and settled:
        verdict += f" ({todo})"
    return ChecklistScore(name, tuple(checked), tuple(unchecked), tuple(unanswered), total, verdict, not settled)


def checklist_table(name: str, project: Mapping[str, Any]):
    """One row per checkbox: the seed's text, the project's answer (☑/☐/?), and notes."""
    import pandas as pd

    result = score_checklist(name, project)
    mark = {**{i: "☑" for i in result.checked}, **{i: "☐" for i in result.unchecked}, **{i: "?" for i in result.unanswered}}
    return pd.DataFrame([(mark[item.id], item.text, ", ".join(item.fields), item.note) for item in CHECKLISTS[name]],
                        columns=["답", "항목 (원문)", "프로젝트 필드", "메모"])
