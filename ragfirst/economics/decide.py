"""The seed's decision flowchart and checklists as code.

The seed's flowchart (원문 002, docs/sources.md, "결정 플로우차트") asks its questions in order and stops
at the first "Yes". Real projects often need several techniques at once (the
seed's own checklist asks "하이브리드: 복합적 요구사항으로 여러 기법 조합이 필요한가?",
and its scenario 1 answer is RAG + fine-tuning), so ``decide`` keeps asking the
remaining questions after a "Yes" and combines every technique that applies.
The answer numbers follow the seed's scenario options (``CHOICES``):
1 prompting, 2 RAG, 3 Tool Use, 4 fine-tuning, 5 hybrid (None: no technique yet).
Approach ids and Korean names are those of ``ragfirst.economics.roi`` (``APPROACH_LABELS``),
and the data threshold is ``roi_inputs.data_target(project=...)`` (the project's ``data_target``, else ``finetuning.data_target``
in data/roi/assumptions.csv), so the two modules cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ragfirst.economics.checklists import BEFORE_FINETUNING, VERDICT_PENDING, finetuning_investment, score_checklist
from ragfirst.economics.roi_inputs import (
    APPROACH_LABELS,
    HYBRID_LABEL,
    ProjectError,
    check_budget,
    check_known_fields,
    data_target,
    load_project,
    parse_number,
)
from ragfirst.runtime.config import ANSWER_KEYS_DIR, DATA_DIR


@dataclass(frozen=True)
class Node:
    """One box of the seed's flowchart; ``kind`` is start, question or outcome."""

    id: str
    label: str
    kind: str
    fill: str = "#ffffff"


NODES: dict[str, Node] = {n.id: n for n in (
    Node("A", "AI 프로젝트 시작", "start"),
    Node("B", "간단한 프롬프트로 가능?", "question"),
    Node("C", "프롬프트 엔지니어링", "outcome", "#c8e6c9"),
    Node("D", "외부 지식 필요?", "question"),
    Node("E", "RAG 시스템 구축", "outcome", "#e1f5fe"),
    Node("F", "실시간 데이터/도구 필요?", "question"),
    Node("G", "Tool Use 구현", "outcome", "#fff3e0"),
    Node("H", "매우 특화된 행동 필요?", "question"),
    Node("I", "요구사항 재검토", "outcome"),
    Node("J", "고품질 데이터 10K+ 보유?", "question"),
    Node("K", "데이터 수집 또는 다른 방법", "outcome"),
    Node("L", "비용 투자 가능?", "question"),
    Node("M", "RAG + Tool Use 조합", "outcome", "#f3e5f5"),
    Node("N", "파인튜닝 진행", "outcome", "#ffebee"),
)}
# (from, to, answer) exactly as in the seed's Mermaid source.
EDGES: tuple[tuple[str, str, str | None], ...] = (
    ("A", "B", None), ("B", "C", "Yes"), ("B", "D", "No"), ("D", "E", "Yes"), ("D", "F", "No"),
    ("F", "G", "Yes"), ("F", "H", "No"), ("H", "I", "No"), ("H", "J", "Yes"), ("J", "K", "No"),
    ("J", "L", "Yes"), ("L", "M", "No"), ("L", "N", "Yes"),
)

QUESTION_FIELDS = {
    "B": "simple_prompt_sufficient",
    "D": "needs_external_knowledge",
    "F": "needs_realtime_tools",
    "H": "needs_specialized_behavior",
}
# The seed's scenario options: number -> approach id of ragfirst.economics.roi (5: several combined).
CHOICE_APPROACHES = {1: "prompt_engineering", 2: "rag_system", 3: "tool_use", 4: "finetuning"}
CHOICES = {**{n: APPROACH_LABELS[a] for n, a in CHOICE_APPROACHES.items()}, 5: HYBRID_LABEL}
# What a "Yes" means at D and F. The seed names the questions only; these readings keep them apart:
# documents go to RAG, a live system goes to tools, and a speed requirement goes to neither.
DEFINITIONS = {
    "D": "답에 필요한 지식이 모델 밖의 **문서**(매뉴얼, FAQ, 판례, 가이드라인, 상품 설명처럼 검색해 읽을 수 있는 텍스트)에 있습니다. "
         "이때는 문서를 찾아 프롬프트에 넣는 RAG입니다.",
    "F": "답이 **살아 있는 시스템**의 지금 상태(주문·재고·가격·예약 DB, 외부 API)나 그 시스템에서 하는 행동(예약 변경, 티켓 발행)에 "
         "달려 있습니다. 같은 DB라도 질문할 때마다 값이 바뀌면 D가 아니라 F이고, 도구 호출(Tool Use)입니다.",
    "latency": "'실시간 처리', '밀리초 단위 응답' 같은 **속도 요구**는 D도 F도 아닙니다. 작은 전용 모델, 캐시, 서빙 설계의 문제입니다.",
}
# Tasks where a language model is at most one part of the system.
NON_TEXT_TASKS = {
    "vision": "영상·이미지 판독은 LLM이 아니라 검증된 비전 모델(예: CT 판독 모델)이 핵심입니다. "
              "여기서 '파인튜닝'은 LLM이 아니라 그 모델의 학습을 뜻하며, LLM은 판독문 작성·가이드라인 검색 같은 보조 역할입니다.",
    "recommendation": "개인화 추천은 구매 이력으로 학습하는 추천 모델(협업 필터링, 랭킹 모델)이 핵심입니다. "
                      "LLM은 추천 이유 설명이나 상품 정보 검색(RAG) 같은 보조 역할입니다.",
    "tabular": "표 형식 데이터의 예측은 LLM보다 전통적 머신러닝 모델이 더 싸고 정확합니다.",
}


def choice_number(approach: str) -> int:
    """The seed's option number of one approach id (``rag_system`` -> 2)."""
    return next(n for n, a in CHOICE_APPROACHES.items() if a == approach)


@dataclass(frozen=True)
class Step:
    """A question answered on the way through the flowchart."""

    node: str
    answer: str  # "Yes" | "No" | "" (start or outcome)
    reason: str


@dataclass(frozen=True)
class Decision:
    """The recommendation, its number in the seed's options, and how it was reached.

    ``techniques`` are approach ids of ``ragfirst.economics.roi`` (``rag_system``, ``tool_use``, ...).
    """

    recommendation: str
    choice_number: int | None
    techniques: tuple[str, ...]
    steps: tuple[Step, ...]
    caveats: tuple[str, ...] = field(default=())
    gate_failed: tuple[str, ...] = ()  # before_finetuning boxes answered "no" when the flowchart reached N
    gate_open: tuple[str, ...] = ()  # before_finetuning boxes left unanswered when the flowchart reached N

    @property
    def path(self) -> list[str]:
        """Node ids visited, in order (``A`` ... outcome boxes)."""
        return [step.node for step in self.steps]

    @property
    def reasons(self) -> list[str]:
        return [step.reason for step in self.steps if step.reason]

    def to_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        return {"recommendation": self.recommendation, "choice_number": self.choice_number,
                "path": self.path, "reasons": self.reasons, "caveats": list(self.caveats),
                "checklist": {"failed": list(self.gate_failed), "unanswered": list(self.gate_open)}}


def _flag(project: Mapping[str, Any], name: str) -> bool:
    value = project.get(name)
    if not isinstance(value, bool):
        raise ProjectError(f"project['{name}']={value!r}: true 또는 false가 필요합니다 "
                           f"(플로우차트 질문 '{NODES[_node_of(name)].label}'에 대한 답).")
    return value


def _node_of(field_name: str) -> str:
    return next(node for node, name in QUESTION_FIELDS.items() if name == field_name)


def decide(project: Mapping[str, Any]) -> Decision:
    """Walk the seed's flowchart for ``project``, then gate any fine-tuning with the seed's checklist.

    Needed fields: the four flowchart answers (``simple_prompt_sufficient``,
    ``needs_external_knowledge``, ``needs_realtime_tools``,
    ``needs_specialized_behavior``: true/false; D and F as in ``DEFINITIONS``),
    ``data_available`` (건) and ``budget`` (만원, up-front). Optional: the
    ``before_finetuning`` checklist answers (``prompt_optimization_tried``,
    ``rag_insufficient``, ``tool_use_insufficient``, ``has_model_ops_team``,
    ``performance_critical``), ``task_type``, ``performance_requirement`` (%) and
    ``latency_ms``, the last three used for caveats.

    Why a gate: the flowchart reaches "파인튜닝 진행" on data and budget alone, but the
    seed's own checklist says fine-tuning is considered only when every box is
    ticked. A box answered "no" removes fine-tuning and names the box; a box left
    unanswered keeps it, with a caveat to settle that box first (the seed's
    scenarios do not answer these boxes, and its scenario 1 answer keeps fine-tuning).
    """
    if not isinstance(project, Mapping):
        raise ProjectError("project: dict(필드 이름 -> 값)가 필요합니다.")
    check_known_fields(project, "project")
    answers = {node: _flag(project, name) for node, name in QUESTION_FIELDS.items()}
    for name in ("data_available", "budget"):
        if project.get(name) is None:
            raise ProjectError(f"project['{name}']가 없습니다. 기대하는 값: "
                               + ("보유한 고품질 데이터 건수" if name == "data_available" else "초기 투자 가능 예산(만원)"))
    data = parse_number(project["data_available"], "project['data_available']", "건")
    if data < 0:
        raise ProjectError(f"project['data_available']={data:g}: 0 이상의 건수가 필요합니다.")
    budget = check_budget(project["budget"])
    needed = finetuning_investment(project)
    target = data_target(project=project)

    steps = [Step("A", "", "")]
    techniques: list[str] = []
    yes_no = {True: "Yes", False: "No"}
    steps.append(Step("B", yes_no[answers["B"]],
                      "간단한 프롬프트로 충분합니다." if answers["B"] else "간단한 프롬프트만으로는 부족합니다."))
    if answers["B"]:
        steps.append(Step("C", "", "가장 싸고 빠른 프롬프트 엔지니어링부터 시작합니다."))
        return Decision(APPROACH_LABELS["prompt_engineering"], 1, ("prompt_engineering",), tuple(steps), _caveats(project))

    steps.append(Step("D", yes_no[answers["D"]], "답에 필요한 지식이 문서(매뉴얼, FAQ, 판례 등)에 있습니다." if answers["D"]
                      else "문서에서 찾아 넣을 지식은 필요 없습니다."))
    if answers["D"]:
        steps.append(Step("E", "", "문서를 검색해 답에 넣는 RAG가 필요합니다."))
        techniques.append("rag_system")
    steps.append(Step("F", yes_no[answers["F"]],
                      "살아 있는 시스템의 현재 상태(주문·재고·가격)나 행동이 필요합니다." if answers["F"]
                      else "살아 있는 시스템의 데이터나 행동은 필요 없습니다."))
    if answers["F"]:
        steps.append(Step("G", "", "도구 호출(Tool Use)로 실시간 데이터와 시스템을 연결합니다."))
        techniques.append("tool_use")
    steps.append(Step("H", yes_no[answers["H"]],
                      "매우 특화된 행동(형식, 용어, 판단)이 필요합니다." if answers["H"] else "매우 특화된 행동은 필요 없습니다."))
    gate_failed: tuple[str, ...] = ()
    gate_open: tuple[str, ...] = ()
    if answers["H"]:
        enough_data = data >= target
        steps.append(Step("J", yes_no[enough_data], f"고품질 데이터 {data:,.0f}건: 기준 {target:,.0f}건 "
                          + ("이상입니다." if enough_data else "미만입니다.")))
        if not enough_data:
            steps.append(Step("K", "", "파인튜닝하기엔 데이터가 부족합니다: 데이터를 모으면서 다른 방법을 씁니다."))
        else:
            can_invest = budget >= needed
            steps.append(Step("L", yes_no[can_invest], f"초기 투자 예산 {budget:,.0f}만원, 파인튜닝 초기 비용 {needed:,.0f}만원"
                              f"{BUDGET_NOTE if needed == finetuning_investment() else ''}: "
                              + ("투자할 수 있습니다." if can_invest else "투자하기 어렵습니다.")))
            if can_invest:
                gate = score_checklist("before_finetuning", project)
                gate_failed, gate_open = gate.unchecked, gate.unanswered
                steps.append(Step("N", "", _gate_reason(gate_failed, gate_open)))
                if not gate_failed:
                    techniques.append("finetuning")
                elif not techniques:
                    techniques += _instead_of_finetuning(gate_failed)
            else:
                steps.append(Step("M", "", f"예산이 모자라 파인튜닝 대신 {APPROACH_LABELS['rag_system']}와 "
                                  f"{APPROACH_LABELS['tool_use']}을 조합합니다."))
                techniques += [t for t in ("rag_system", "tool_use") if t not in techniques]
    elif not techniques:
        steps.append(Step("I", "", "어떤 기법도 필요하다는 답이 없습니다: 요구사항을 다시 검토합니다."))

    caveats = _caveats(project)
    if gate_open and not gate_failed:
        caveats = (f"{VERDICT_PENDING}: 파인튜닝 전 체크리스트에서 답하지 않은 항목({_box_texts(gate_open)})을 먼저 확인하세요. "
                   "예를 들어 RAG와 프롬프트로 먼저 만들어 성능을 측정한 뒤, 모자랄 때 파인튜닝을 더합니다.",) + caveats
    return Decision(*_name(techniques, steps), tuple(techniques), tuple(steps), caveats, gate_failed, gate_open)


# Said wherever question L uses the seed's cost table, so the learner sees why it is not the checklist's 500.
BUDGET_NOTE = (" (원문 체크리스트는 '500만원 이상'이라고 적었지만, 같은 원문의 비용 표는 개발 500 + 초기 학습 300 = 800만원이라 "
               "비용 표의 값을 씁니다)")


def _box_texts(ids: tuple[str, ...]) -> str:
    texts = {item.id: item.text for item in BEFORE_FINETUNING}
    return ", ".join(f"'{texts[i]}'" for i in ids)


def _gate_reason(failed: tuple[str, ...], unanswered: tuple[str, ...]) -> str:
    if failed:
        return f"플로우차트는 파인튜닝에 닿았지만 파인튜닝 전 체크리스트에서 {_box_texts(failed)}에 '아니오'라 파인튜닝은 보류합니다."
    if unanswered:
        return "데이터와 예산은 있습니다: 체크리스트의 남은 항목을 확인하는 조건으로 파인튜닝을 검토합니다."
    return "데이터와 예산이 있고 파인튜닝 전 체크리스트를 모두 충족해 파인튜닝을 진행할 수 있습니다."


def _instead_of_finetuning(failed: tuple[str, ...]) -> list[str]:
    """What to build when the checklist rules fine-tuning out and the flowchart found nothing else.

    Prompt optimisation not yet tried: that first (the checklist's first box). Otherwise the
    seed's own answer for "cannot fine-tune" (box M): RAG + Tool Use.
    """
    return ["prompt_engineering"] if "prompt_tried" in failed else ["rag_system", "tool_use"]


def _name(techniques: list[str], steps: list[Step]) -> tuple[str, int | None]:
    if not techniques:
        return ("데이터 수집 또는 다른 방법", None) if steps[-1].node == "K" else ("요구사항 재검토", None)
    if len(techniques) == 1:
        return APPROACH_LABELS[techniques[0]], choice_number(techniques[0])
    return f"{HYBRID_LABEL}: " + " + ".join(APPROACH_LABELS[t] for t in techniques), 5


def _caveats(project: Mapping[str, Any]) -> tuple[str, ...]:
    notes = []
    task = project.get("task_type", "text")
    if task != "text":
        if task not in NON_TEXT_TASKS:
            raise ProjectError(f"project['task_type']={task!r}: text, {', '.join(NON_TEXT_TASKS)} 중 하나여야 합니다.")
        notes.append(NON_TEXT_TASKS[task])
    if project.get("latency_ms") is not None:
        latency = parse_number(project["latency_ms"], "project['latency_ms']", "ms")
        notes.append(f"응답 {latency:,.0f}ms 요구는 플로우차트 D(문서)도 F(살아 있는 시스템)도 아닙니다: "
                     "작은 전용 모델, 캐시, 서빙 설계로 풉니다.")
    requirement = project.get("performance_requirement")
    if requirement is not None and parse_number(requirement, "project['performance_requirement']", "%") >= 99:
        notes.append("99% 이상의 정확도는 어떤 접근법도 보장하지 못합니다: 전문가 검토(사람의 최종 확인)와 "
                     "규제 요건(예: 의료기기 인허가)을 설계에 넣어야 합니다.")
    return tuple(notes)


def format_decision(decision: Decision) -> str:
    """Terminal text: recommendation, the path with answers, reasons and caveats."""
    choice = "-" if decision.choice_number is None else str(decision.choice_number)
    lines = [f"추천: {decision.recommendation} (선택지 번호: {choice})", "경로:"]
    for step in decision.steps:
        answer = f" → {step.answer}" if step.answer else ""
        lines.append(f"  {step.node}. {NODES[step.node].label}{answer}")
    lines.append("이유:")
    lines += [f"  - {reason}" for reason in decision.reasons]
    if decision.caveats:
        lines.append("주의:")
        lines += [f"  - {note}" for note in decision.caveats]
    return "\n".join(lines)


def run_cli(args) -> int:
    """``ragfirst decide PROJECT.yaml [--json]``."""
    decision = decide(load_project(args.project))
    print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2) if args.json else format_decision(decision))
    return 0


def load_scenarios(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The seed's scenarios and assignment projects, and the graded cases, from ``data/scenarios.yaml``."""
    import yaml

    path = Path(path) if path is not None else DATA_DIR / "scenarios.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"시나리오 파일이 없습니다: {path}")
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for number, entry in enumerate(entries, start=1):
        for key in ("id", "kind", "title", "project"):
            if key not in entry:
                raise ProjectError(f"{path.name}: {number}번째 항목에 '{key}'가 없습니다.")
    answers_file = path.parent / ANSWER_KEYS_DIR.name / "scenario_answers.yaml"
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) if answers_file.is_file() else {}
    return [_with_answer(entry, answers.get(entry["id"])) for entry in entries]


def _with_answer(entry: dict[str, Any], answer: Any) -> dict[str, Any]:
    """The entry with its answer key, when the answer key is readable.

    A seed case gets ``seed_answer`` right after ``seed`` (the seed's "권장 답변"); a graded case
    gets ``answer_key`` (``accept``: every choice the course defends, ``why``). The keys live apart
    (``data/answer_keys/``) because hidden tests use them: the grading sandbox does not mount that
    folder, so there an entry simply has no answer.
    """
    if answer is None:
        return entry
    key = "answer_key" if entry["kind"] == "graded" else "seed_answer"
    merged: dict[str, Any] = {}
    for name, value in entry.items():
        merged[name] = value
        if name == "seed":
            merged[key] = answer
    merged.setdefault(key, answer)
    return merged


def describe_scenario(entry: Mapping[str, Any]) -> str:
    """A scenario's title, the seed's facts and the course's assumptions, as lines of text."""
    lines = [entry["title"]]
    lines += [f"  원문 {key}: {values}" for key, values in entry.get("seed", {}).items()]
    lines += [f"  가정 {key}: {note}" for key, note in entry.get("assumptions", {}).items()]
    return "\n".join(lines)


def scenario(scenario_id: str, path: str | Path | None = None) -> dict[str, Any]:
    """One entry of ``data/scenarios.yaml`` by id (``legal_contract``, ``startup_chatbot``, ...)."""
    entries = load_scenarios(path)
    for entry in entries:
        if entry["id"] == scenario_id:
            return entry
    raise ProjectError(f"scenario_id={scenario_id!r}: 가능한 값: {', '.join(e['id'] for e in entries)}")
