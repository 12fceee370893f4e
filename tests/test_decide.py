"""ragfirst.economics.decide: the seed's flowchart, checklists and scenarios."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragfirst import cli
from ragfirst.diagrams import flowchart
from ragfirst.economics import checklists, decide, roi_inputs
from ragfirst.runtime.config import DATA_DIR, REPO_ROOT

NOTHING = {
    "simple_prompt_sufficient": False,
    "needs_external_knowledge": False,
    "needs_realtime_tools": False,
    "needs_specialized_behavior": False,
    "data_available": 0,
    "budget": 0,
}


def project(**changes):
    return {**NOTHING, **changes}


def scenario_project(scenario_id):
    return decide.scenario(scenario_id)["project"]


# The seed's recommended answers (002, "권장 답변"): scenario 1 -> 5 (RAG + 파인튜닝), scenario 2 -> 2 (RAG).
def test_seed_scenario_1_legal_contracts_is_hybrid_rag_plus_finetuning():
    decision = decide.decide(scenario_project("legal_contract"))
    assert decision.choice_number == 5
    assert set(decision.techniques) == {"rag_system", "finetuning"}
    assert decision.recommendation == "하이브리드: RAG + 파인튜닝"
    assert decision.path == ["A", "B", "D", "E", "F", "H", "J", "L", "N"]


def test_seed_scenario_2_startup_chatbot_is_rag():
    decision = decide.decide(scenario_project("startup_chatbot"))
    assert decision.choice_number == 2
    assert decision.recommendation == "RAG"
    assert decision.path == ["A", "B", "D", "E", "F", "H"]


@pytest.mark.parametrize("changes, choice, last, recommendation", [
    ({"simple_prompt_sufficient": True, "needs_external_knowledge": True}, 1, "C", "프롬프트 엔지니어링"),
    ({"needs_realtime_tools": True}, 3, "H", "도구 사용(Tool Use)"),
    ({"needs_specialized_behavior": True, "data_available": 10_000, "budget": 800}, 4, "N", "파인튜닝"),
    ({"needs_specialized_behavior": True, "data_available": 9_999, "budget": 5000}, None, "K", "데이터 수집 또는 다른 방법"),
    ({"needs_specialized_behavior": True, "data_available": 20_000, "budget": 799}, 5, "M", "하이브리드: RAG + 도구 사용(Tool Use)"),
    ({}, None, "I", "요구사항 재검토"),
])
def test_each_branch_of_the_flowchart(changes, choice, last, recommendation):
    decision = decide.decide(project(**changes))
    assert (decision.choice_number, decision.path[-1], decision.recommendation) == (choice, last, recommendation)


def test_recommendations_use_the_roi_modules_labels():
    assert decide.CHOICES == {1: "프롬프트 엔지니어링", 2: "RAG", 3: "도구 사용(Tool Use)", 4: "파인튜닝", 5: "하이브리드"}
    for number, approach in decide.CHOICE_APPROACHES.items():
        assert decide.CHOICES[number] == roi_inputs.APPROACH_LABELS[approach]
        assert decide.choice_number(approach) == number


def test_data_threshold_is_read_from_the_assumptions_table(monkeypatch):
    specialised = project(needs_specialized_behavior=True, data_available=5_000, budget=5_000)
    assert decide.decide(specialised).path[-1] == "K"  # 5,000 < 10,000 in data/roi/assumptions.csv
    table = roi_inputs.load_assumptions()
    monkeypatch.setattr(roi_inputs, "load_assumptions", lambda *a, **k: {**table, "finetuning.data_target": 2_000})
    assert decide.decide(specialised).path[-1] == "N"
    assert "data_10k" in checklists.score_checklist("before_finetuning", specialised).checked
    assert not hasattr(decide, "DATA_TARGET")


def test_the_finetuning_threshold_is_the_cost_tables_up_front_cost():
    assert checklists.finetuning_investment() == 500 + 300  # development + initial_training in data/roi/costs.csv


def test_a_managed_fine_tuning_price_moves_the_budget_question():
    """Question L reads the project's own cost table: with training re-priced, 600만원 can invest."""
    managed = {"cost_overrides": {"finetuning": {"initial_training": 1.26}}}
    assert checklists.finetuning_investment(managed) == pytest.approx(501.26)
    asked = project(needs_specialized_behavior=True, data_available=10_000, budget=600)
    assert decide.decide(asked).path[-2:] == ["L", "M"]  # seed's table: 800만원 needed, cannot invest
    assert decide.decide({**asked, **managed}).path[-2:] == ["L", "N"]  # managed API: fine-tuning fits the budget
    assert decide.decide({**asked, **managed, "budget": 300}).path[-2:] == ["L", "M"]  # development alone is 500


def test_missing_data_keeps_rag_and_says_why():
    decision = decide.decide(project(needs_external_knowledge=True, needs_specialized_behavior=True, data_available=2000))
    assert decision.choice_number == 2 and decision.path[-1] == "K"
    assert any("데이터" in reason and "부족" in reason for reason in decision.reasons)


FLAGS = st.fixed_dictionaries({
    "simple_prompt_sufficient": st.booleans(),
    "needs_external_knowledge": st.booleans(),
    "needs_realtime_tools": st.booleans(),
    "needs_specialized_behavior": st.booleans(),
    "data_available": st.integers(0, 30_000),
    "budget": st.integers(0, 3_000),
})


@settings(max_examples=200, deadline=None, database=None)
@given(flags=FLAGS)
def test_path_only_follows_edges_of_the_seed_flowchart(flags):
    decision = decide.decide(flags)
    edges = {(a, b) for a, b, _ in decide.EDGES}
    assert decision.path[0] == "A"
    for source, target in zip(decision.path, decision.path[1:]):
        # an outcome box is left only to keep asking for hybrids: back to the next question down the chart
        assert (source, target) in edges or decide.NODES[source].kind == "outcome"
    assert decision.choice_number in {None, 1, 2, 3, 4, 5}
    assert (decision.choice_number == 5) == (len(decision.techniques) >= 2)


@settings(max_examples=200, deadline=None, database=None)
@given(flags=FLAGS, more=st.integers(0, 10_000))
def test_more_budget_never_removes_a_technique(flags, more):
    before = decide.decide(flags)
    after = decide.decide({**flags, "budget": flags["budget"] + more})
    if "finetuning" in before.techniques:
        assert "finetuning" in after.techniques


@pytest.mark.parametrize("field", sorted(decide.QUESTION_FIELDS.values()) + ["data_available", "budget"])
def test_missing_fields_are_named(field):
    with pytest.raises(roi_inputs.ProjectError, match=field):
        decide.decide({k: v for k, v in NOTHING.items() if k != field})


def test_non_boolean_answer_and_budget_in_won_are_rejected():
    with pytest.raises(roi_inputs.ProjectError, match="needs_realtime_tools.*true 또는 false"):
        decide.decide(project(needs_realtime_tools="no"))
    with pytest.raises(roi_inputs.ProjectError, match="budget.*만원"):
        decide.decide(project(budget=30_000_000))
    with pytest.raises(roi_inputs.ProjectError, match="task_type"):
        decide.decide(project(task_type="audio"))
    with pytest.raises(roi_inputs.ProjectError, match="needs_realtime_tool'.*혹시 'needs_realtime_tools'"):
        decide.decide({**project(), "needs_realtime_tool": True})


def test_assignment_projects_are_flagged_as_more_than_an_llm():
    medical = decide.decide(scenario_project("medical_diagnosis"))
    assert medical.choice_number == 5
    assert medical.recommendation == "하이브리드: RAG + 파인튜닝"  # '실시간 처리' is speed, not a tool
    assert any("비전 모델" in note for note in medical.caveats)
    assert any("99%" in note for note in medical.caveats)
    assert any("1,000ms" in note and "D" in note and "F" in note for note in medical.caveats)
    shopping = decide.decide(scenario_project("shopping_recommendation"))
    assert shopping.recommendation == "하이브리드: RAG + 도구 사용(Tool Use)"
    assert any("추천 모델" in note for note in shopping.caveats)


# --- the pre-fine-tuning checklist as a gate -----------------------------------------

GATE_YES = {"prompt_optimization_tried": True, "rag_insufficient": True, "tool_use_insufficient": True,
            "has_model_ops_team": True, "performance_critical": True}
SPECIALISED = project(needs_specialized_behavior=True, data_available=20_000, budget=5_000)


def test_seed_scenario_1_keeps_finetuning_but_says_which_boxes_are_open():
    decision = decide.decide(scenario_project("legal_contract"))
    assert decision.gate_failed == ()
    assert set(decision.gate_open) == {"prompt_tried", "rag_not_enough", "tools_not_enough", "model_ops"}
    assert decision.caveats[0].startswith("판단 보류") and "RAG로 해결되지 않는가?" in decision.caveats[0]
    settled = decide.decide({**scenario_project("legal_contract"), **GATE_YES})
    assert settled.choice_number == 5 and not any(c.startswith("판단 보류") for c in settled.caveats)


@pytest.mark.parametrize("base, answers, choice, techniques, failed", [
    # scenario 1, but RAG has not been shown to fall short: RAG first, fine-tuning after measuring
    ("legal", {"rag_insufficient": False}, 2, ("rag_system",), ("rag_not_enough",)),
    # nobody can keep a model running: the seed's scenario 1 without fine-tuning
    ("legal", {"has_model_ops_team": False}, 2, ("rag_system",), ("model_ops",)),
    # specialised behaviour only, prompting never optimised: the checklist's first box comes first
    ("specialised", {"prompt_optimization_tried": False}, 1, ("prompt_engineering",), ("prompt_tried",)),
    # specialised behaviour only, accuracy is nice to have: the seed's "cannot fine-tune" box M
    ("specialised", {"performance_critical": False}, 5, ("rag_system", "tool_use"), ("critical",)),
    ("specialised", {}, 4, ("finetuning",), ()),
])
def test_a_no_in_the_pre_finetuning_checklist_removes_finetuning_and_names_the_box(base, answers, choice, techniques, failed):
    start = scenario_project("legal_contract") if base == "legal" else SPECIALISED
    decision = decide.decide({**start, **GATE_YES, **answers})
    assert (decision.choice_number, decision.techniques, decision.gate_failed) == (choice, techniques, failed)
    assert decision.path[-1] == "N"  # the flowchart still reached 파인튜닝 진행; the gate is applied after
    texts = {item.id: item.text for item in checklists.BEFORE_FINETUNING}
    for box in failed:
        assert texts[box] in decision.steps[-1].reason and "보류" in decision.steps[-1].reason


def test_the_budget_question_says_why_it_is_not_the_checklists_500():
    decision = decide.decide(scenario_project("legal_contract"))
    budget_step = next(step for step in decision.steps if step.node == "L")
    assert "500만원" in budget_step.reason and "800만원" in budget_step.reason
    assert decide.decide({**SPECIALISED, **GATE_YES, "budget": 799}).path[-1] == "M"
    assert decide.decide({**SPECIALISED, **GATE_YES, "budget": 800}).techniques == ("finetuning",)


def test_d_is_documents_f_is_a_live_system_and_latency_is_neither():
    assert "문서" in decide.DEFINITIONS["D"] and "주문" in decide.DEFINITIONS["F"]
    assert "D도 F도 아닙니다" in decide.DEFINITIONS["latency"]
    fast = decide.decide(project(needs_external_knowledge=True, latency_ms=50))
    assert fast.techniques == ("rag_system",) and any("50ms" in note for note in fast.caveats)
    with pytest.raises(roi_inputs.ProjectError, match="latency_ms"):
        decide.decide(project(latency_ms="빠르게"))


def test_cli_json_keeps_choice_number_and_reports_the_checklist(tmp_path, capsys):
    path = _write(tmp_path, {**scenario_project("legal_contract"), "rag_insufficient": False})
    assert cli.main(["decide", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["choice_number"] == 2 and out["checklist"]["failed"] == ["rag_not_enough"]


def test_describe_scenario_lists_seed_facts_and_assumptions():
    text = decide.describe_scenario(decide.scenario("legal_contract"))
    lines = text.splitlines()
    assert lines[0] == "법무팀 계약서 분석 AI"
    assert any(line.startswith("  원문 requirements:") for line in lines)
    assert any(line.startswith("  가정 budget:") for line in lines)


def test_scenarios_file_has_the_seeds_four_cases_and_four_parallel_graded_ones():
    entries = decide.load_scenarios()
    assert [e["id"] for e in entries if e["kind"] != "graded"] == [
        "legal_contract", "startup_chatbot", "medical_diagnosis", "shopping_recommendation"]
    graded = {e["id"]: e for e in entries if e["kind"] == "graded"}
    assert sorted(e["parallel_to"] for e in graded.values()) == sorted(
        ["legal_contract", "startup_chatbot", "medical_diagnosis", "shopping_recommendation"])
    assert all("answer_key" in e and "seed_answer" not in e for e in graded.values())
    with pytest.raises(roi_inputs.ProjectError, match="scenario_id"):
        decide.scenario("nope")


@pytest.mark.parametrize("case", ["tax_review", "yoga_chatbot", "defect_inspection", "bookstore_recommendation"])
def test_graded_cases_accept_decides_answer_and_follow_their_seed_case(case):
    """The answer key of a graded case holds decide's answer, and decide reasons as on the parallel seed case."""
    entry = decide.scenario(case)
    twin = decide.decide(scenario_project(entry["parallel_to"]))
    decision = decide.decide(entry["project"])
    assert decision.choice_number in entry["answer_key"]["accept"]
    assert (decision.techniques, decision.path) == (twin.techniques, twin.path)


def test_rag_first_on_the_tax_case_is_what_the_checklist_gives_when_rag_is_not_yet_shown_short():
    project = scenario_project("tax_review")
    assert decide.decide(project).choice_number == 5
    assert decide.decide({**project, "rag_insufficient": False}).choice_number == 2
    assert decide.scenario("tax_review")["answer_key"]["accept"] == [5, 2]


# --- checklists ---------------------------------------------------------------------

ALL_YES = {
    "prompt_optimization_tried": True, "rag_insufficient": True, "tool_use_insufficient": True,
    "needs_specialized_behavior": True, "data_available": 10_000, "budget": 800, "has_model_ops_team": True,
    "performance_critical": True,
}


def test_before_finetuning_checklist_scores():
    full = checklists.score_checklist("before_finetuning", ALL_YES)
    assert (full.score, full.total, full.unanswered) == (8, 8, ())
    assert "파인튜닝을 검토할 만" in full.verdict
    short = checklists.score_checklist("before_finetuning", {**ALL_YES, "budget": 799, "data_available": 9_999})
    assert short.score == 6 and set(short.unchecked) == {"budget", "data_10k"}
    assert "대안" in short.verdict and not short.provisional


def test_checklist_with_unanswered_items_is_pending_unless_already_decided():
    legal = checklists.score_checklist("before_finetuning", scenario_project("legal_contract"))
    assert set(legal.checked) == {"specialized", "data_10k", "budget", "critical"}
    assert set(legal.unanswered) == {"prompt_tried", "rag_not_enough", "tools_not_enough", "model_ops"}
    # every answered box is ticked, four are open: no verdict yet
    assert legal.provisional and legal.verdict.startswith("판단 보류")
    assert "has_model_ops_team" in legal.verdict and "대안을 먼저" not in legal.verdict
    # one answered "no" already rules fine-tuning out, whatever the open items say
    decided = checklists.score_checklist("before_finetuning", {**scenario_project("legal_contract"), "budget": 100})
    assert not decided.provisional and "대안을 먼저" in decided.verdict and "has_model_ops_team" in decided.verdict
    nothing = checklists.score_checklist("alternatives_first", {"needs_external_knowledge": False})
    assert nothing.provisional and nothing.verdict.startswith("판단 보류")


def test_data_checklist_item_parses_numbers_like_roi():
    answers = {**ALL_YES, "data_available": "10,000"}
    assert "data_10k" in checklists.score_checklist("before_finetuning", answers).checked
    with pytest.raises(roi_inputs.ProjectError, match=r"data_available.*숫자가 아닙니다"):
        checklists.score_checklist("before_finetuning", {**ALL_YES, "data_available": "많음"})
    with pytest.raises(roi_inputs.ProjectError, match="budget.*만원"):
        checklists.score_checklist("before_finetuning", {**ALL_YES, "budget": 8_000_000})


def test_alternatives_checklist_points_to_rag_first_for_the_chatbot():
    chatbot = checklists.score_checklist("alternatives_first", scenario_project("startup_chatbot"))
    assert chatbot.checked == ("rag",)
    both = checklists.score_checklist("alternatives_first", {**NOTHING, "needs_external_knowledge": True, "needs_realtime_tools": True})
    assert both.checked == ("rag", "tool_use", "hybrid")
    with pytest.raises(roi_inputs.ProjectError, match="checklist"):
        checklists.score_checklist("before_launch", NOTHING)


# --- diagram and command line -------------------------------------------------------


def test_flowchart_svg_draws_every_box_and_highlights_the_path():
    decision = decide.decide(scenario_project("legal_contract"))
    svg = flowchart.flowchart_svg(decision)
    root = ET.fromstring(svg)  # well-formed XML
    texts = [el.text for el in root.iter("{http://www.w3.org/2000/svg}text")]
    for node in decide.NODES.values():
        assert node.label in texts
    groups = {g.get("id"): ET.tostring(g, encoding="unicode") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert flowchart.PATH_COLOR in groups["node-N"]
    assert flowchart.PATH_COLOR not in groups["node-G"]
    # D was "Yes": its "아니오" edge to F is not on the path; the hybrid continuation is its own dashed connector
    assert flowchart.PATH_COLOR not in groups["edge-D-F"]
    assert "stroke-dasharray" in groups["continue-E-F"] and "추가 검토" in groups["continue-E-F"]
    assert flowchart.PATH_COLOR in groups["edge-F-H"]  # F was "No": that edge is the path
    assert "continue-G-H" not in groups
    plain = flowchart.flowchart_svg()
    assert "stroke-dasharray" not in plain and "추가 검토" not in plain  # the seed's chart has no continuations
    assert flowchart.flowchart_svg() == flowchart.flowchart_svg()  # reproducible for nbval


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "project.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_cli_decide_json(tmp_path, capsys):
    path = _write(tmp_path, scenario_project("legal_contract"))
    assert cli.main(["decide", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"recommendation", "choice_number", "path", "reasons"} <= set(out)
    assert out["choice_number"] == 5 and out["path"][-1] == "N"


def test_cli_decide_reports_a_missing_answer(tmp_path, capsys):
    path = _write(tmp_path, {k: v for k, v in NOTHING.items() if k != "needs_realtime_tools"})
    assert cli.main(["decide", str(path)]) == 2
    assert "needs_realtime_tools" in capsys.readouterr().err


def test_cli_decide_on_the_shipped_yaml_via_the_installed_command():
    command = Path(sys.executable).parent / "ragfirst"
    done = subprocess.run([str(command), "decide", str(DATA_DIR / "roi" / "customer_service.yaml")],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "추천: RAG (선택지 번호: 2)" in done.stdout
    assert "D. 외부 지식 필요? → Yes" in done.stdout


def test_a_projects_data_target_moves_the_data_question():
    asked = project(needs_specialized_behavior=True, data_available=1_500, budget=5_000)
    assert decide.decide(asked).path[-2:] == ["J", "K"]  # the seed's 10K: not enough data
    assert decide.decide({**asked, "data_target": 1_000}).path[-3:] == ["J", "L", "N"]  # LIMA's 1,000: enough
    assert "data_10k" in checklists.score_checklist("before_finetuning", asked).unchecked
    assert "data_10k" in checklists.score_checklist("before_finetuning", {**asked, "data_target": 1_000}).checked


def test_flowchart_greys_out_finetuning_when_the_checklist_holds_it_back():
    held = decide.decide({**SPECIALISED, **GATE_YES, "has_model_ops_team": False})
    assert held.path[-1] == "N" and "finetuning" not in held.techniques
    groups = {g.get("id"): ET.tostring(g, encoding="unicode")
              for g in ET.fromstring(flowchart.flowchart_svg(held)).iter("{http://www.w3.org/2000/svg}g")}
    assert flowchart.HELD_COLOR in groups["node-N"] and flowchart.HELD_LABEL in groups["node-N"]
    assert flowchart.PATH_COLOR not in groups["node-N"]
    kept = decide.decide({**SPECIALISED, **GATE_YES})
    assert "finetuning" in kept.techniques
    node_n = next(g for g in ET.fromstring(flowchart.flowchart_svg(kept)).iter("{http://www.w3.org/2000/svg}g")
                  if g.get("id") == "node-N")
    assert flowchart.PATH_COLOR in ET.tostring(node_n, encoding="unicode")
    assert flowchart.HELD_LABEL not in ET.tostring(node_n, encoding="unicode")
