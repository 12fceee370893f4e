"""ragfirst.economics.roi: the seed's cost template, checked against values computed by hand."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragfirst import cli
from ragfirst.economics import checklists, decide, roi, roi_inputs, roi_report, roi_sensitivity
from ragfirst.runtime import sourced
from ragfirst.runtime.config import DATA_DIR, REPO_ROOT

# The seed's example project (002, "사용 예시"), plus the flowchart answer that it needs documents.
SEED_PROJECT = {
    "domain": "customer_service",
    "complexity": "medium",
    "data_available": 5000,
    "performance_requirement": 85,
    "budget": 2000,
    "needs_external_knowledge": True,
}
# Small, explicit model parameters so that the formula tests do not depend on data/roi/assumptions.csv.
TOY_ASSUMPTIONS = {
    "performance.prompt_engineering.medium": 80.0,
    "performance.rag_system.medium": 85.0,
    "performance.tool_use.medium": 82.0,
    "performance.finetuning.medium": 88.0,
    "finetuning.data_target": 10000.0,
    "finetuning.data_penalty": 20.0,
    "gap.external_knowledge": 10.0,
    "gap.realtime_tools": 15.0,
    "value.shortfall_penalty": 0.05,
    "domain.customer_service.monthly_volume": 1000.0,
    "domain.customer_service.cost_per_manual_handling": 0.4,
}


@pytest.fixture(scope="module")
def costs():
    return roi_inputs.load_costs()


def test_cost_table_has_the_seeds_items_with_periods_and_sources():
    with open(DATA_DIR / "roi" / "costs.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["approach", "item", "value", "unit", "period", "source", "date", "note"]
    seed = {  # the seed's dict, copied from 002 "ROI 계산 템플릿"
        "prompt_engineering": {"development": 50, "monthly_api": 30, "maintenance": 10},
        "rag_system": {"development": 200, "monthly_api": 80, "monthly_infrastructure": 50, "maintenance": 30},
        "tool_use": {"development": 150, "monthly_api": 100, "monthly_tools": 40, "maintenance": 20},
        "finetuning": {"development": 500, "initial_training": 300, "monthly_inference": 150, "retraining": 200,
                       "maintenance": 100},
    }
    table = {}
    for row in rows:
        table.setdefault(row["approach"], {})[row["item"]] = float(row["value"])
        assert row["unit"] == "만원" and row["period"] in roi_inputs.PERIODS and row["source"] and row["date"]
        assert row["source"].startswith("원문 002 (docs/sources.md)")
        assert sourced.ISO_DATE.fullmatch(row["date"]), row["date"]
        if row["item"] == "maintenance":  # the seed gives no period: the reading must be explained
            assert "기간이 없어" in row["note"]
    assert table == seed
    assert next(r for r in rows if r["item"] == "retraining")["period"] == "every 6 months"


@pytest.mark.parametrize("approach, annual, three_years, initial", [
    ("prompt_engineering", 50 + 12 * (30 + 10), 50 + 36 * (30 + 10), 50),
    ("rag_system", 200 + 12 * (80 + 50 + 30), 200 + 36 * (80 + 50 + 30), 200),
    ("tool_use", 150 + 12 * (100 + 40 + 20), 150 + 36 * (100 + 40 + 20), 150),
    ("finetuning", 500 + 300 + 12 * (150 + 100) + 2 * 200, 500 + 300 + 36 * (150 + 100) + 6 * 200, 800),
])
def test_costs_match_hand_computed_totals(costs, approach, annual, three_years, initial):
    assert roi.calculate_annual_cost(costs[approach]) == annual
    assert roi.calculate_cost(costs[approach], 36) == three_years
    assert roi.initial_cost(costs[approach]) == initial


def test_retraining_is_charged_in_month_six_and_twelve(costs):
    retraining = next(item for item in costs["finetuning"] if item.item == "retraining")
    assert [m for m in range(1, 25) if retraining.in_month(m)] == [6, 12, 18, 24]
    assert roi.calculate_cost(costs["finetuning"], 5) == 800 + 5 * 250
    assert roi.calculate_cost(costs["finetuning"], 6) == 800 + 6 * 250 + 200


def test_expected_performance_formula():
    project = roi_inputs.validate_project(SEED_PROJECT, TOY_ASSUMPTIONS)
    perf = {a: roi.get_expected_performance(a, project, TOY_ASSUMPTIONS) for a in roi_inputs.APPROACHES}
    # no retrieval: -10; fine-tuning also -20 x (1 - 5000/10000) = -10
    assert perf == {"prompt_engineering": 70, "rag_system": 85, "tool_use": 72, "finetuning": 68}
    live = roi_inputs.validate_project({**SEED_PROJECT, "needs_external_knowledge": False, "needs_realtime_tools": True,
                                 "data_available": 12000}, TOY_ASSUMPTIONS)
    assert roi.get_expected_performance("tool_use", live, TOY_ASSUMPTIONS) == 82
    assert roi.get_expected_performance("finetuning", live, TOY_ASSUMPTIONS) == 88 - 15  # enough data: no penalty
    measured = roi_inputs.validate_project({**SEED_PROJECT, "measured_performance": {"rag_system": 91}}, TOY_ASSUMPTIONS)
    assert roi.get_expected_performance("rag_system", measured, TOY_ASSUMPTIONS) == 91


def test_business_value_formula():
    project = roi_inputs.validate_project(SEED_PROJECT, TOY_ASSUMPTIONS)
    assert roi.estimate_business_value(85, project, TOY_ASSUMPTIONS) == pytest.approx(12 * 1000 * 0.4 * 0.85)
    # 15 points short of 85: 1 - 0.05 x 15 = 0.25 of the value
    assert roi.estimate_business_value(70, project, TOY_ASSUMPTIONS) == pytest.approx(12 * 1000 * 0.4 * 0.70 * 0.25)
    assert roi.estimate_business_value(60, project, TOY_ASSUMPTIONS) == 0  # 25 short: floor at zero


def test_seed_example_roi_and_payback(costs):
    result = roi.calculate_ai_approach_roi("rag_system", SEED_PROJECT, costs, TOY_ASSUMPTIONS)
    assert set(result) >= {"approach", "annual_cost", "expected_performance", "business_value", "roi_percentage",
                           "payback_month", "total_cost_3y"}
    assert result["annual_cost"] == 2120
    assert result["business_value"] == pytest.approx(4080)
    assert result["roi_percentage"] == pytest.approx((4080 - 2120) / 2120 * 100)
    # month 1: value 340 < cost 200 + 160; month 2: 680 >= 200 + 320
    assert result["payback_month"] == 2
    assert result["meets_requirement"] and result["within_budget"]
    finetuning = roi.calculate_ai_approach_roi("finetuning", SEED_PROJECT, costs, TOY_ASSUMPTIONS)
    assert finetuning["payback_month"] is None  # value 12 x 400 x 0.68 x 0.15 / 12 = 40.8 a month < 250 running cost


def test_shipped_data_recommends_rag_for_the_seed_example():
    results = roi.compare_approaches(SEED_PROJECT)
    assert [r["approach"] for r in results] == list(roi_inputs.APPROACHES)
    assert roi.recommend(results)["approach"] == "rag_system"


def test_recommend_skips_cheap_approaches_that_miss_the_requirement():
    results = [
        {"approach": "prompt_engineering", "roi_percentage": 500, "meets_requirement": False, "within_budget": True},
        {"approach": "rag_system", "roi_percentage": 90, "meets_requirement": True, "within_budget": True},
        {"approach": "finetuning", "roi_percentage": 95, "meets_requirement": True, "within_budget": False},
    ]
    assert roi.recommend(results)["approach"] == "rag_system"
    assert roi.recommend(results[:1]) is None


def test_sensitivity_matches_hand_computed_swing(costs):
    rows = {r.key: r for r in roi_sensitivity.sensitivity("rag_system", SEED_PROJECT, costs=costs, assumptions=TOY_ASSUMPTIONS)}
    api = rows["cost.monthly_api"]
    # +20% of 80 a month = +192 a year
    assert api.roi_high == pytest.approx((4080 - 2312) / 2312 * 100)
    assert api.roi_low == pytest.approx((4080 - 1928) / 1928 * 100)
    volume = rows["value.monthly_volume"]
    assert volume.roi_high == pytest.approx((4080 * 1.2 - 2120) / 2120 * 100)
    perf = rows["performance"]  # 80% is 5 short of 85: 0.75 of 12 x 1000 x 0.4 x 0.8
    assert perf.roi_low == pytest.approx((4800 * 0.8 * 0.75 - 2120) / 2120 * 100)
    # Korean labels for the chart, one naming scheme for the moves
    assert api.parameter == "비용: API 이용료 (매월)" and volume.parameter == "가치: 월 문의 건수"
    assert (api.low_label, api.high_label) == ("-20%", "+20%") and (perf.low_label, perf.high_label) == ("-5%p", "+5%p")
    assert all("_" not in r.parameter and r.key.split(".")[-1] not in r.parameter for r in rows.values())  # no field names
    swings = [r.swing for r in rows.values()]
    assert roi_sensitivity.sensitivity("rag_system", SEED_PROJECT, costs=costs, assumptions=TOY_ASSUMPTIONS)[0].swing == pytest.approx(max(swings))


def test_cost_overrides_change_only_the_named_item(costs):
    cheaper = roi.calculate_ai_approach_roi("rag_system", {**SEED_PROJECT, "cost_overrides": {"rag_system": {"monthly_api": 40}}},
                                            costs, TOY_ASSUMPTIONS)
    assert cheaper["annual_cost"] == 2120 - 12 * 40


@pytest.mark.parametrize("field", ["domain", "complexity", "data_available", "performance_requirement", "budget"])
def test_missing_field_is_named(field):
    project = {k: v for k, v in SEED_PROJECT.items() if k != field}
    with pytest.raises(roi_inputs.ProjectError, match=field):
        roi.calculate_ai_approach_roi("rag_system", project)


def test_unknown_approach_lists_the_valid_ones():
    with pytest.raises(roi_inputs.ProjectError, match="approach.*rag_system"):
        roi.calculate_ai_approach_roi("rag", SEED_PROJECT)


def test_budget_in_won_is_caught_with_the_conversion():
    with pytest.raises(roi_inputs.ProjectError) as error:
        roi.calculate_ai_approach_roi("rag_system", {**SEED_PROJECT, "budget": 20_000_000})
    assert "budget" in str(error.value) and "만원" in str(error.value) and "2,000만원" in str(error.value)


@pytest.mark.parametrize("value, words", [(-10, "음수"), ("abc", "숫자가 아닙니다"), (float("nan"), "유한한")])
def test_bad_cost_override_names_the_item_and_unit(value, words):
    project = {**SEED_PROJECT, "cost_overrides": {"rag_system": {"monthly_api": value}}}
    with pytest.raises(roi_inputs.ProjectError) as error:
        roi.calculate_ai_approach_roi("rag_system", project)
    assert "cost_overrides.rag_system.monthly_api" in str(error.value)
    assert "만원" in str(error.value) and words in str(error.value)


@pytest.mark.parametrize("change, field", [
    ({"complexity": "hard"}, "complexity"),
    ({"performance_requirement": 0.85}, "performance_requirement"),
    ({"data_available": -1}, "data_available"),
    ({"domain": "bakery"}, "monthly_volume"),
    ({"needs_external_knowledge": "yes"}, "needs_external_knowledge"),
    ({"cost_overrides": {"rag_system": {"gpu": 10}}}, "cost_overrides.rag_system.gpu"),
])
def test_bad_project_values_name_the_field(change, field):
    with pytest.raises(roi_inputs.ProjectError, match=field.replace(".", r"\.")):
        roi.calculate_ai_approach_roi("rag_system", {**SEED_PROJECT, **change})


COST_HEADER = "approach,item,value,unit,period,source,date,note\n"


@pytest.mark.parametrize("row, words", [
    ("rag_system,development,200,만원,yearly,seed,2026-11-21,", r"costs\.csv:2 .*period"),
    ("rag_system,development,200,만원,one-off,seed,2024,", r"costs\.csv:2 .*date='2024'.*YYYY-MM-DD"),
    ("rag_system,development,200,만원,one-off,seed,2026/11/21,", r"costs\.csv:2 .*date.*YYYY-MM-DD"),
    ("rag_system,development,lots,만원,one-off,seed,2026-11-21,", r"costs\.csv:2 .*숫자가 아닙니다"),
    ("rag_system,development,200,만원,one-off,,2026-11-21,", r"costs\.csv:2 .*source"),
])
def test_bad_cost_file_names_file_and_line(tmp_path, row, words):
    bad = tmp_path / "costs.csv"
    bad.write_text(COST_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises((roi_inputs.ProjectError, sourced.DataFileError), match=words):
        roi_inputs.load_costs(bad)


def _assumptions_file(tmp_path: Path, replace_line: tuple[str, str] | None = None, drop: str | None = None) -> Path:
    lines = (DATA_DIR / "roi" / "assumptions.csv").read_text(encoding="utf-8").splitlines()
    if replace_line:
        lines = [line.replace(*replace_line) if line.startswith("gap.realtime_tools,") else line for line in lines]
    if drop:
        lines = [line for line in lines if not line.startswith(drop + ",")]
    path = tmp_path / "assumptions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_assumptions_load_with_dates_and_sources():
    table = roi_inputs.load_assumptions()
    assert table["finetuning.data_target"] == 10_000 and table["gap.realtime_tools"] == 15
    with open(DATA_DIR / "roi" / "assumptions.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert sourced.ISO_DATE.fullmatch(row["date"]) and row["source"]
            assert "notebook 03" not in row["note"]


@pytest.mark.parametrize("change, drop, words", [
    (("15,%p", "fifteen,%p"), None, r"assumptions\.csv:\d+ \(gap\.realtime_tools\): value='fifteen'.*숫자가 아닙니다"),
    (("2026-11-21", "2026"), None, r"assumptions\.csv:\d+ \(gap\.realtime_tools\): date='2026'.*YYYY-MM-DD"),
    (("course assumption", ""), None, r"assumptions\.csv:\d+ \(gap\.realtime_tools\): source"),
    (None, "value.shortfall_penalty", r"assumptions\.csv: .*value\.shortfall_penalty"),
])
def test_bad_assumptions_file_names_file_row_and_column(tmp_path, change, drop, words):
    with pytest.raises((roi_inputs.ProjectError, sourced.DataFileError), match=words):
        roi_inputs.load_assumptions(_assumptions_file(tmp_path, change, drop))


def test_missing_assumptions_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        roi_inputs.load_assumptions(tmp_path / "nope.csv")


def test_unknown_project_key_is_rejected_with_the_allowed_names():
    with pytest.raises(roi_inputs.ProjectError) as error:
        roi.calculate_ai_approach_roi("rag_system", {**SEED_PROJECT, "monthly_volumne": 2000})
    message = str(error.value)
    assert "monthly_volumne" in message and "혹시 'monthly_volume'" in message
    assert "cost_per_manual_handling" in message and "performance_requirement" in message  # the allowed list


def test_every_field_decide_reads_is_an_allowed_project_field():
    read_by_decide = set(decide.QUESTION_FIELDS.values()) | {"data_available", "budget", "task_type", "performance_requirement"}
    read_by_decide |= {f for items in checklists.CHECKLISTS.values() for item in items for f in item.fields}
    assert read_by_decide <= set(roi_inputs.PROJECT_FIELDS)
    roi_inputs.validate_project(roi_inputs.load_project(DATA_DIR / "roi" / "customer_service.yaml"))  # shipped files pass
    for entry in decide.load_scenarios():
        if entry["project"]["domain"] in ("customer_service", "legal_contract_review"):
            roi_inputs.validate_project(entry["project"])


def test_shipped_project_file_points_to_notebook_02():
    text = (DATA_DIR / "roi" / "customer_service.yaml").read_text(encoding="utf-8")
    assert "notebook 03" not in text and "notebook 02" in text


# --- the API line from per-token prices ----------------------------------------------


def _price(item: str, number: float) -> sourced.SourcedValue:
    import datetime as dt

    return sourced.SourcedValue(item, number, "", "test", dt.date(2026, 11, 21))


TOY_PRICES = {p.item: p for p in (_price("api.toy.input", 0.15), _price("api.toy.output", 0.60), _price("fx.usd_krw", 1400))}


def test_api_workload_uses_the_projects_monthly_volume():
    workload = roi.api_workload(SEED_PROJECT)  # domain default: 1,000 inquiries a month
    assert workload.requests_per_month == pytest.approx(1000)
    assert (workload.input_tokens_per_request, workload.output_tokens_per_request) == (1500, 300)
    assert roi.api_workload({**SEED_PROJECT, "monthly_volume": 3000}).requests_per_month == pytest.approx(3000)


def test_api_cost_override_from_token_prices_by_hand():
    overrides = roi.api_cost_override(roi.api_workload(SEED_PROJECT), TOY_PRICES, "toy")
    # 1,000 requests x (1,500 x 0.15 + 300 x 0.60) / 1e6 USD = 0.405 USD; x 1,400 = 567원 = 0.0567만원
    assert set(overrides) == {"prompt_engineering", "rag_system", "tool_use"}
    assert overrides["rag_system"] == {"monthly_api": pytest.approx(0.0567)}
    result = roi.calculate_ai_approach_roi("rag_system", {**SEED_PROJECT, "cost_overrides": overrides}, None, TOY_ASSUMPTIONS)
    assert result["annual_cost"] == pytest.approx(200 + 12 * (0.0567 + 50 + 30))
    table = roi.api_cost_table(roi.api_workload(SEED_PROJECT), TOY_PRICES, "toy")
    assert table.loc["RAG", "원문(원/건)"] == 800  # 80만원 / 1,000 inquiries
    assert table.loc["RAG", "toy(원/건)"] == pytest.approx(0.57, abs=0.005)
    with pytest.raises(roi_inputs.ProjectError, match="finetuning"):
        roi.api_cost_override(roi.api_workload(SEED_PROJECT), TOY_PRICES, "toy", ("finetuning",))


FT_PRICES = {**TOY_PRICES, **{p.item: p for p in (_price("ft.toy.training", 5.0), _price("ft.toy.input", 0.80),
                                                     _price("ft.toy.output", 3.20))}}


def test_finetuning_cost_override_from_managed_prices_by_hand():
    workload = roi.api_workload(SEED_PROJECT)  # 1,000 requests a month
    overrides = roi.finetuning_cost_override(workload, FT_PRICES, model="toy")["finetuning"]
    # one run: 1,500 x 400 x 3 = 1.8M training tokens x 5 USD/1M = 9 USD x 1,400 = 12,600원 = 1.26만원
    assert overrides["initial_training"] == pytest.approx(1.26) and overrides["retraining"] == pytest.approx(1.26)
    # a month: 1,000 x (300 x 0.80 + 300 x 3.20) / 1e6 = 1.2 USD = 1,680원 = 0.168만원
    assert overrides["monthly_inference"] == pytest.approx(0.168)
    result = roi.calculate_ai_approach_roi("finetuning", {**SEED_PROJECT, "cost_overrides": {"finetuning": overrides}},
                                           None, TOY_ASSUMPTIONS)
    # development and maintenance stay the seed's: 500 + 1.26 + 12 x (0.168 + 100) + 2 x 1.26 retrainings
    assert result["annual_cost"] == pytest.approx(500 + 1.26 + 12 * 100.168 + 2 * 1.26)
    table = roi.finetuning_cost_table(workload, FT_PRICES, model="toy")
    assert table.loc["초기 학습 (일회성)", "원문(만원)"] == 300 and table.loc["초기 학습 (일회성)", "관리형 API(만원)"] == 1.26
    assert table.loc["개발비 (일회성)", "관리형 API(만원)"] == 500 and "가정" in table.loc["개발비 (일회성)", "근거"]


# --- break-even and the value formula, as the notebook shows them ------------------------


def test_break_even_series_by_hand():
    rows = {row.approach: row for row in roi.break_even(SEED_PROJECT, months=12)}
    rag = rows["rag_system"]
    assert rag.months == tuple(range(1, 13))
    # value 4,080 a year = 340 a month; cost 200 + 160 a month
    assert rag.net[0] == pytest.approx(340 - 360) and rag.net[1] == pytest.approx(680 - 520)
    assert rag.payback_month == 2
    for row in rows.values():
        if row.payback_month is not None:
            assert row.net[row.payback_month - 1] >= 0 and all(n < 0 for n in row.net[:row.payback_month - 1])
        else:
            assert all(n < 0 for n in row.net)


def test_explain_roi_shows_the_requirement_factor():
    shortfall = roi.explain_roi("prompt_engineering", SEED_PROJECT, None, TOY_ASSUMPTIONS)
    assert shortfall.performance == 70 and shortfall.factor == pytest.approx(0.25)  # 15 points short: 1 - 0.05 x 15
    assert "계수 0.25" in shortfall.explain() and "below" not in shortfall.explain()
    met = roi.explain_roi("rag_system", SEED_PROJECT, None, TOY_ASSUMPTIONS)
    assert met.factor == 1 and met.roi_percentage == pytest.approx((4080 - 2120) / 2120 * 100)


# --- properties --------------------------------------------------------------------

APPROACH = st.sampled_from(roi_inputs.APPROACHES)
PROJECTS = st.fixed_dictionaries({
    "domain": st.just("customer_service"),
    "complexity": st.sampled_from(roi_inputs.COMPLEXITIES),
    "data_available": st.integers(0, 50_000),
    "performance_requirement": st.integers(50, 99),
    "budget": st.integers(0, 10_000),
    "needs_external_knowledge": st.booleans(),
    "needs_realtime_tools": st.booleans(),
})


@settings(max_examples=150, deadline=None, database=None)
@given(approach=APPROACH, project=PROJECTS, pick=st.integers(0, 10), extra=st.floats(0.01, 5000))
def test_a_higher_cost_never_raises_roi(costs, approach, project, pick, extra):
    assumptions = roi_inputs.load_assumptions()
    item = costs[approach][pick % len(costs[approach])]
    base = roi.calculate_ai_approach_roi(approach, project, costs, assumptions)
    dearer = roi.calculate_ai_approach_roi(
        approach, {**project, "cost_overrides": {approach: {item.item: item.value + extra}}}, costs, assumptions)
    assert dearer["annual_cost"] >= base["annual_cost"]
    assert dearer["roi_percentage"] <= base["roi_percentage"] + 1e-9


@settings(max_examples=150, deadline=None, database=None)
@given(approach=APPROACH, project=PROJECTS, more=st.integers(0, 50_000))
def test_more_budget_never_makes_a_feasible_approach_infeasible(costs, approach, project, more):
    assumptions = roi_inputs.load_assumptions()
    before = roi.calculate_ai_approach_roi(approach, project, costs, assumptions)
    after = roi.calculate_ai_approach_roi(approach, {**project, "budget": project["budget"] + more}, costs, assumptions)
    assert after["within_budget"] >= before["within_budget"]
    assert (after["within_budget"] and after["meets_requirement"]) >= (before["within_budget"] and before["meets_requirement"])


@settings(max_examples=100, deadline=None, database=None)
@given(project=PROJECTS, more=st.integers(0, 50_000))
def test_more_data_never_lowers_expected_performance(project, more):
    assumptions = roi_inputs.load_assumptions()
    low = roi_inputs.validate_project(project, assumptions)
    high = roi_inputs.validate_project({**project, "data_available": project["data_available"] + more}, assumptions)
    for approach in roi_inputs.APPROACHES:
        assert roi.get_expected_performance(approach, high, assumptions) >= roi.get_expected_performance(approach, low, assumptions)


# --- files and command line ---------------------------------------------------------


def test_export_writes_csv_and_excel_outside_the_repo(tmp_path):
    import openpyxl
    import pandas as pd

    results = roi.compare_approaches(SEED_PROJECT)
    csv_path, xlsx_path = roi_report.export_comparison(results, SEED_PROJECT, directory=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roi_comparison.csv", "roi_comparison.xlsx"]
    table = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert list(table["접근법"]) == list(roi_inputs.APPROACHES)
    assert table.loc[table["접근법"] == "rag_system", "연간 비용(만원)"].item() == 2120
    assert openpyxl.load_workbook(xlsx_path).sheetnames == ["비교", "입력", "비용표"]


def test_export_cost_sheet_applies_the_projects_overrides(tmp_path):
    import pandas as pd

    project = {**SEED_PROJECT, "cost_overrides": {"rag_system": {"monthly_api": 5}}}
    results = roi.compare_approaches(project)
    csv_path, xlsx_path = roi_report.export_comparison(results, project, directory=tmp_path)
    sheet = pd.read_excel(xlsx_path, sheet_name="비용표")
    api = sheet[(sheet["approach"] == "rag_system") & (sheet["item"] == "monthly_api")].iloc[0]
    assert api["value"] == 5 and api["seed_value"] == 80 and "cost_overrides" in api["source"]
    untouched = sheet[(sheet["approach"] == "rag_system") & (sheet["item"] == "development")].iloc[0]
    assert untouched["value"] == untouched["seed_value"] == 200
    # the sheet adds up to the annual cost in the comparison: 200 + 12 x (5 + 50 + 30)
    table = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert table.loc[table["접근법"] == "rag_system", "연간 비용(만원)"].item() == 200 + 12 * 85


def test_export_refuses_results_from_another_project(tmp_path):
    results = roi.compare_approaches(SEED_PROJECT)
    cheaper = {**SEED_PROJECT, "cost_overrides": {"rag_system": {"monthly_api": 5}}}
    with pytest.raises(roi_inputs.ProjectError, match="rag_system.*annual_cost"):
        roi_report.export_comparison(results, cheaper, directory=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_export_defaults_to_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGFIRST_CACHE", str(tmp_path / "cache"))
    csv_path, _ = roi_report.export_comparison(roi.compare_approaches(SEED_PROJECT), SEED_PROJECT)
    assert csv_path.parent == tmp_path / "cache" / "roi"


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_cli_roi_json_lists_the_seed_result_dicts(tmp_path, capsys):
    path = _write(tmp_path, "project.json", SEED_PROJECT)
    assert cli.main(["roi", str(path), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["approach"] for r in results] == list(roi_inputs.APPROACHES)
    assert results[1]["annual_cost"] == 2120 and results[1]["roi_percentage"] == pytest.approx(92.4528, abs=1e-3)


def test_cli_roi_reports_a_bad_budget(tmp_path, capsys):
    path = _write(tmp_path, "project.json", {**SEED_PROJECT, "budget": 20_000_000})
    assert cli.main(["roi", str(path)]) == 2
    assert "budget" in capsys.readouterr().err


def test_cli_roi_on_the_shipped_yaml_via_the_installed_command():
    command = Path(sys.executable).parent / "ragfirst"
    done = subprocess.run([str(command), "roi", str(DATA_DIR / "roi" / "customer_service.yaml")],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "추천: RAG (ROI " in done.stdout
    assert "2,120" in done.stdout


# --- the data threshold is an assumption a project may change ------------------------------


def test_the_seeds_data_threshold_is_far_above_the_published_starting_points():
    table = roi_inputs.load_assumptions()
    assert table["finetuning.data_target"] == 10_000  # 원문 002's checklist
    assert table["evidence.lima.examples"] == 1_000  # LIMA, arXiv:2305.11206
    assert table["evidence.openai_sft.start_examples"] == 50  # OpenAI's guide
    assert max(table["evidence.lima.examples"], table["evidence.openai_sft.start_examples"]) * 10 <= table["finetuning.data_target"]


def test_a_projects_data_target_replaces_the_tables():
    small = {**SEED_PROJECT, "data_available": 1_000}
    seed = roi.calculate_ai_approach_roi("finetuning", small, None, TOY_ASSUMPTIONS)
    lima = roi.calculate_ai_approach_roi("finetuning", {**small, "data_target": 1_000}, None, TOY_ASSUMPTIONS)
    # the seed's 10K: 90% of the data missing costs 0.9 x data_penalty points; with LIMA's 1,000 nothing is missing
    assert lima["expected_performance"] - seed["expected_performance"] == pytest.approx(0.9 * TOY_ASSUMPTIONS["finetuning.data_penalty"])
    assert roi_inputs.data_target(TOY_ASSUMPTIONS, {"data_target": "1,000"}) == 1_000
    assert roi_inputs.data_target(TOY_ASSUMPTIONS, {}) == 10_000
    with pytest.raises(roi_inputs.ProjectError, match="data_target"):
        roi_inputs.validate_project({**small, "data_target": 0}, TOY_ASSUMPTIONS)


# --- the verdict from measured quality (notebook 04 §10) ------------------------------------------


def test_the_flip_point_is_where_the_sweep_first_recommends_the_approach():
    flip = roi_sensitivity.performance_to_recommend("rag_system", SEED_PROJECT)
    assert flip is not None and flip >= SEED_PROJECT["performance_requirement"]  # a recommendation must meet it
    below, at = roi_sensitivity.performance_sweep("rag_system", SEED_PROJECT, [flip - 1, flip])
    assert below["recommended"] != "rag_system" and at["recommended"] == "rag_system"
    assert below["roi_percentage"] < at["roi_percentage"]


def test_a_measured_performance_is_labelled_measured_and_the_rest_assumed():
    results = roi.compare_approaches({**SEED_PROJECT, "measured_performance": {"rag_system": 61.5}})
    basis = {r["approach"]: r["performance_basis"] for r in results}
    assert basis == {"prompt_engineering": "assumed", "rag_system": "measured", "tool_use": "assumed", "finetuning": "assumed"}
    table = roi_report.comparison_table(results).set_index("접근법")
    assert table.loc["rag_system", "성능 근거"] == "측정" and table.loc["rag_system", "기대 성능(%)"] == 61.5


def test_the_recorded_answer_quality_is_dated_and_in_range():
    quality = sourced.load_answer_quality()
    measured = {item: row for item, row in quality.items() if item.startswith("measured.")}
    assert {"measured.test.handled_rate", "measured.realistic_test.handled_rate"} <= set(measured)
    assert all(0 <= row.value <= 1 and row.unit == "share" and "rag_bench.py" in row.source for row in measured.values())
    assert any(item.startswith("reported.") for item in quality)
