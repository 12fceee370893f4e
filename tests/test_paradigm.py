"""Notebook 01's arithmetic against values computed by hand, and the provenance tables' schema.

Hand calculations use the published inputs in data/compute.csv and data/prices.csv
(e.g. ZeRO's 16 bytes per parameter, AWS p4d at 21.957642 USD/h, fx 1400).
"""

from __future__ import annotations

import csv
import datetime as dt
import math

import pytest

from ragfirst.economics import costs, hardware, money, paradigm
from ragfirst.runtime import sourced
from ragfirst.runtime.sourced import DataFileError

FACTS = sourced.load_compute_facts()
PRICES = sourced.load_prices()


# --- schema of the committed data files ----------------------------------------------


@pytest.mark.parametrize(("path", "columns"), [
    (sourced.PRICES_CSV, sourced.PRICE_COLUMNS),
    (sourced.COMPUTE_CSV, sourced.FACT_COLUMNS),
    (sourced.ANSWER_QUALITY_CSV, sourced.FACT_COLUMNS),
])
def test_data_file_rows_are_complete_dated_numeric_and_unique(path, columns):
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == columns
        rows = list(reader)
    assert rows
    items = [row["item"] for row in rows]
    assert len(items) == len(set(items)), "duplicate items"
    for row in rows:
        assert None not in row and all(row[c] is not None for c in columns), row
        for column in columns:
            if column != "note":
                assert row[column].strip(), (row["item"], column)
        assert math.isfinite(float(row["value"])) and float(row["value"]) >= 0, row["item"]
        assert dt.date.fromisoformat(row["date"]) <= dt.date(2026, 12, 31), row["item"]
        if "currency" in columns:
            assert row["currency"] in ("USD", "KRW"), row["item"]


def test_prices_keep_the_foundation_rows():
    for item in ("api.gpt-4o-mini.input", "api.gpt-4o-mini.output", "api.local.input", "fx.usd_krw"):
        assert item in PRICES
    assert PRICES["fx.usd_krw"].is_assumption


def test_approaches_file_has_every_aspect_with_source_and_date():
    with open(paradigm.APPROACHES_CSV, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["aspect_key"] for r in rows] == ["gpu", "data", "cost", "difficulty", "maintenance", "domain_fit", "suits"]
    for row in rows:
        assert all(v.strip() for v in row.values()), row
        dt.date.fromisoformat(row["date"])
    table = paradigm.load_approaches()
    assert list(table.columns) == ["RAG (벡터DB + LLM API)", "파인튜닝", "자체 모델 학습"]
    assert len(table) == 7


@pytest.mark.parametrize("edit, words", [
    (("2026-11-21", "2026"), r"approaches\.csv:2 \(gpu\): date='2026'"),
    (("2026-11-21", ""), r"approaches\.csv:2 \(gpu\): date 값이 비어"),
])
def test_bad_approaches_file_names_the_row(tmp_path, edit, words):
    lines = paradigm.APPROACHES_CSV.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(*edit)
    bad = tmp_path / "approaches.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=words):
        paradigm.load_approaches(bad)


# --- loader rejects bad input with a message naming the fault ----------------------------

HEADER = "item,value,unit,currency,source,date,note\n"


def write(tmp_path, text):
    path = tmp_path / "prices.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("row", "words"), [
    ("a,abc,u,USD,src,2024-01-01,\n", ["prices.csv:2", "value='abc'"]),
    ("a,1,u,USD,src,2024-13-01,\n", ["prices.csv:2", "date='2024-13-01'"]),
    ("a,1,u,USD,,2024-01-01,\n", ["prices.csv:2", "source", "course assumption"]),
    ("a,1,u,EUR,src,2024-01-01,\n", ["currency='EUR'"]),
    ("a,-1,u,USD,src,2024-01-01,\n", ["value='-1'"]),
    ("a,1,u,USD,src,2024-01-01\n", ["prices.csv:2", "열 개수"]),
    ("a,1,u,USD,src,2024-01-01,\na,2,u,USD,src,2024-01-01,\n", ["prices.csv:3", "item='a'", "중복"]),
])
def test_bad_rows_are_rejected_with_line_and_field(tmp_path, row, words):
    with pytest.raises(DataFileError) as error:
        sourced.load_prices(write(tmp_path, HEADER + row))
    for word in words:
        assert word in str(error.value)


def test_missing_column_and_missing_file_are_named(tmp_path):
    with pytest.raises(DataFileError, match="currency"):
        sourced.load_prices(write(tmp_path, "item,value,unit,source,date,note\na,1,u,s,2024-01-01,\n"))
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        sourced.load_prices(tmp_path / "nope.csv")


def test_excel_bom_is_read_and_an_empty_table_is_refused(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("\ufeff" + HEADER + "a,1,u,USD,src,2024-01-01,\n", encoding="utf-8")
    assert sourced.load_prices(path)["a"].value == 1.0
    with pytest.raises(DataFileError, match="데이터 행이 없습니다"):
        sourced.load_prices(write(tmp_path, HEADER))


def test_line_numbers_count_blank_and_multiline_rows(tmp_path):
    text = HEADER + 'a,1,u,USD,"src\nline two",2024-01-01,\n\nb,x,u,USD,src,2024-01-01,\n'
    with pytest.raises(DataFileError, match=r"prices\.csv:5 \(b\): value='x'"):
        sourced.load_prices(write(tmp_path, text))


def test_unknown_item_lists_similar_items():
    with pytest.raises(DataFileError, match="api.gpt-4o-mini.input"):
        sourced.value(PRICES, "api.gpt-9.input")


# --- memory ------------------------------------------------------------------------------


def test_memory_requirements_for_7b_by_hand():
    need = hardware.memory_requirements(7, FACTS)
    assert need["inference_fp16"] == pytest.approx(14.0)  # 7e9 x 2 B
    assert need["inference_int4"] == pytest.approx(3.5)  # 7e9 x 0.5 B
    assert need["full_finetune"] == pytest.approx(112.0)  # 7e9 x 16 B (ZeRO)
    assert need["lora"] == pytest.approx(14.112)  # 14 + 7e9 x 0.001 x 16 B
    assert need["qlora"] == pytest.approx(3.612)  # 3.5 + 0.112


def test_zero_paper_examples():
    # ZeRO §3.1: GPT-2 1.5B needs at least 24 GB of model states; 7.5B needs 120 GB.
    assert hardware.memory_requirements(1.5, FACTS)["full_finetune"] == pytest.approx(24.0)
    assert hardware.memory_requirements(7.5, FACTS)["full_finetune"] == pytest.approx(120.0)


def test_memory_table_rows_and_rounding():
    table = hardware.memory_table(FACTS)
    assert list(table.index) == ["7B", "13B", "70B", "175B"]
    assert table.loc["70B", "풀 파인튜닝 (Adam)"] == 1120.0
    assert table.loc["175B", "LoRA (fp16 기반)"] == 352.8  # 350 + 175 x 0.016 = 352.8
    assert table.loc["13B", "QLoRA (4bit 기반)"] == 6.7  # 6.5 + 0.208 = 6.708


def test_gpus_needed_is_a_ceiling_without_float_noise():
    assert hardware.gpus_needed(80, 80) == 1
    assert hardware.gpus_needed(80.1, 80) == 2
    assert hardware.gpus_needed(0.1 + 0.2, 0.1) == 3  # (0.1 + 0.2) / 0.1 = 3.0000000000000004 in floats
    with pytest.raises(ValueError):
        hardware.gpus_needed(10, 0)


def test_gpu_count_table_by_hand():
    full = hardware.gpu_count_table(FACTS, "full_finetune")
    assert full.loc["7B"].to_dict() == {"RTX 4090 24GB": 5, "RTX 5090 32GB": 4, "A100 40GB": 3, "A100 80GB": 2,
                                        "H100 80GB": 2, "H200 141GB": 1, "B200 180GB": 1}  # 112 GB
    assert full.loc["70B", "A100 80GB"] == 14  # 1120 / 80
    assert full.loc["175B", "A100 40GB"] == 70  # 2800 / 40
    infer = hardware.gpu_count_table(FACTS, "inference_fp16")
    assert infer.loc["70B", "RTX 4090 24GB"] == 6  # 140 / 24 = 5.83
    # 01 section 4.2: 13B fp16 (26 GB) does not fit a 24 GB RTX 4090 but fits the 32 GB RTX 5090
    assert (infer.loc["13B", "RTX 4090 24GB"], infer.loc["13B", "RTX 5090 32GB"]) == (2, 1)
    assert infer.loc["70B", "H200 141GB"] == 1  # 140 / 141
    with pytest.raises(ValueError, match="mode="):
        hardware.gpu_count_table(FACTS, "pretraining")


def test_lora_savings_match_hand_values():
    saving = hardware.lora_savings(7, FACTS)
    assert saving.lora_vs_full == pytest.approx(1 - 14.112 / 112)  # 0.874
    assert saving.qlora_vs_lora == pytest.approx(1 - 3.612 / 14.112)  # 0.744


def test_ms_per_token_and_decode_table():
    assert hardware.ms_per_token(14, 1008) == pytest.approx(13.888888, rel=1e-6)
    table = hardware.decode_time_table(FACTS)
    assert table.columns.name == "ms/토큰 (하한)"
    assert table.loc["7B int4", "H100 80GB"] == 1.0  # 3.5 / 3350 s = 1.045 ms
    assert table.loc["70B fp16", "A100 80GB"] == 68.7  # 140 / 2039 s = 68.66 ms
    assert table.loc["13B fp16", "RTX 5090 32GB"] == 14.5  # 26 / 1792 s = 14.51 ms
    assert table.loc["70B fp16", "B200 180GB"] == 17.5  # 140 / 8000 s
    with pytest.raises(ValueError):
        hardware.ms_per_token(1, 0)


def test_decode_floor_by_hand():
    floor = hardware.decode_floor(FACTS)  # 7B int4 on H100: 3.5 GB / 3350 GB/s = 1.0448 ms per token
    assert list(floor.index) == [1, 20, 100]
    assert list(floor.iloc[:, 0]) == [1.0, 20.9, 104.5]
    assert "ms" in floor.columns[0] and "하한" in floor.columns[0]
    fp16 = hardware.decode_floor(FACTS, 70, "inference_fp16", "a100_80gb", tokens=(10,))
    assert fp16.iloc[0, 0] == 686.6  # 10 x 140 / 2039 s
    with pytest.raises(ValueError, match="gpu="):
        hardware.decode_floor(FACTS, gpu="tpu")


def test_qlora_paper_check_by_hand():
    check = hardware.qlora_paper_check(FACTS)
    assert check.weights_gb == pytest.approx(32.5)  # 65e9 x 0.5 B
    assert check.headroom_gb == pytest.approx(15.5)  # 48 - 32.5
    assert check.fits


def test_gpu_memory_lines_merge_equal_sizes():
    assert hardware.gpu_memory_lines(FACTS) == {"RTX 4090 24GB": 24, "RTX 5090 32GB": 32, "A100 40GB": 40,
                                                 "A100/H100 80GB": 80, "H200 141GB": 141, "B200 180GB": 180}


# --- cost ---------------------------------------------------------------------------------


def test_workload_tokens_and_validation():
    workload = costs.FaqBotWorkload()
    assert workload.requests_per_month == 30_000
    assert workload.input_tokens_per_month == 45_000_000
    assert workload.output_tokens_per_month == 9_000_000
    for bad in (-1, float("nan"), "many", True):
        with pytest.raises(ValueError, match="requests_per_day"):
            costs.FaqBotWorkload(requests_per_day=bad)


def test_api_monthly_cost_by_hand():
    workload = costs.FaqBotWorkload()
    assert costs.api_monthly_cost_usd(workload, PRICES, "gpt-4o-mini") == pytest.approx(45 * 0.15 + 9 * 0.60)  # 12.15
    assert costs.api_monthly_cost_usd(workload, PRICES, "gpt-4o") == pytest.approx(45 * 2.50 + 9 * 10.0)  # 202.5
    assert costs.api_monthly_cost_usd(workload, PRICES, "local") == 0


def test_currency_and_rental():
    assert money.usd_to_manwon(100, PRICES) == pytest.approx(14.0)  # 100 x 1400 / 10000
    assert costs.gpu_rental_usd(1.99, 24, 8) == pytest.approx(382.08)


def test_cost_comparison_by_hand():
    table = costs.cost_comparison(PRICES, costs.FaqBotWorkload())
    assert table.loc["FAQ 봇 API 한 달 (gpt-6-luna)", "USD"] == 9.0  # 45 x 0.10 + 9 x 0.50
    assert table.loc["FAQ 봇 API 한 달 (gpt-6-luna)", "원화 (읽기용)"] == "약 1.3만 원"
    assert table.loc["FAQ 봇 API 한 달 (gpt-6-luna)", "만원"] == 1.3  # 9 x 1400 = 12,600원
    assert table.loc["FAQ 봇 API 한 달 (gpt-6.1-sol)", "USD"] == 180.0  # 45 x 2 + 9 x 10
    assert table.loc["FAQ 봇 API 한 달 (gemini-3.5-flash-lite)", "USD"] == 36.0  # 45 x 0.30 + 9 x 2.50
    assert table.loc["8×A100 40GB 하루 (AWS p4d, 온디맨드)", "USD"] == 526.98  # 21.957642 x 24 = 526.983
    assert table.loc["8×A100 40GB 하루 (AWS p4d, 온디맨드)", "만원"] == 73.8  # 737,776원
    assert table.loc["8×A100 40GB 하루 (Lambda, 온디맨드)", "USD"] == 382.08
    assert table.loc["8×H100 하루 (AWS p5, 온디맨드)", "USD"] == 1320.96  # 55.04 x 24
    assert list(table["구분"]).count("GPU 하루") == 3


def test_break_even_requests_by_hand():
    # gpt-4o-mini per request: 1500 x 0.15/1e6 + 300 x 0.60/1e6 = 0.000405 USD
    # one A100 80GB for 30 days: 2.79 x 720 = 2008.8 USD -> 2008.8 / 30 / 0.000405 = 165,333.3 per day
    per_day = costs.break_even_requests_per_day(costs.FaqBotWorkload(), PRICES, "gpt-4o-mini", 2.79)
    assert per_day == pytest.approx(165_333.333, rel=1e-6)
    with pytest.raises(ValueError, match="api.local"):
        costs.break_even_requests_per_day(costs.FaqBotWorkload(), PRICES, "local", 2.79)


def test_llama2_replay_by_hand():
    run = hardware.llama2_70b_on(FACTS, PRICES)
    assert run.days == pytest.approx(8960)  # 1,720,320 / 8 / 24
    assert run.years == pytest.approx(8960 / 365)
    assert run.cost_usd == pytest.approx(1_720_320 * 2.79)  # 4,799,692.8
    assert run.share_done_in(1) == pytest.approx(192 / 1_720_320)


def test_training_flops_and_llama2_compute_check_by_hand():
    assert hardware.training_flops(70e9, 2e12) == pytest.approx(8.4e23)
    check = hardware.llama2_compute_check(FACTS)
    assert check.flops == pytest.approx(8.4e23)  # 6 x 70e9 x 2e12
    assert check.available_flops == pytest.approx(1_720_320 * 3600 * 312e12)  # 1.932e24
    assert check.utilization == pytest.approx(8.4e23 / 1.93233e24, rel=1e-4)  # 0.4347


def test_gpu_day_vs_api_month_by_hand():
    gap = costs.gpu_day_vs_api_month(PRICES, costs.FaqBotWorkload())
    assert gap.gpu_day_usd == pytest.approx(21.957642 * 24)  # 526.98
    assert gap.api_month_usd == pytest.approx(9.0)  # gpt-6-luna, the default: 45 x 0.10 + 9 x 0.50
    assert gap.ratio == pytest.approx(526.983408 / 9.0)  # 58.6
    lambda_gap = costs.gpu_day_vs_api_month(PRICES, costs.FaqBotWorkload(), "lambda_a100_40gb", "gpt-4o")
    assert lambda_gap.ratio == pytest.approx(1.99 * 8 * 24 / 202.5)  # 1.89
    with pytest.raises(ValueError, match="scenario="):
        costs.gpu_day_vs_api_month(PRICES, costs.FaqBotWorkload(), "gcp_a3")
    with pytest.raises(ValueError, match="api.local"):
        costs.gpu_day_vs_api_month(PRICES, costs.FaqBotWorkload(), model="local")


def test_price_change_by_hand():
    change = costs.price_change(PRICES, "gpu.aws.p4d_24xlarge.hour_2024", "gpu.aws.p4d_24xlarge.hour")
    assert (change.old_date, change.new_date) == ("2024-06-30", "2026-11-09")
    assert change.change == pytest.approx(21.957642 / 32.77 - 1)  # -0.33


# --- formatting for readers -----------------------------------------------------------------


@pytest.mark.parametrize(("manwon", "text"), [
    (671_957.0, "약 67억 원"),  # 6,719,570,000 won
    (73.8, "약 74만 원"),
    (1.7, "약 1.7만 원"),
    (0.85, "약 8,500원"),
    (0.999, "약 1만 원"),  # 9,990 won rounds up to the next unit
    (12_000_000, "약 1,200억 원"),
    (150_000_000, "약 1.5조 원"),
])
def test_format_krw(manwon, text):
    assert money.format_krw(manwon) == text


def test_format_usd_and_cost():
    assert money.format_usd(4_799_692.8) == "약 480만 USD"
    assert money.format_usd(526.98) == "약 527 USD"
    assert money.format_usd(8.1) == "8.10 USD"  # small amounts print exact cents
    # 4,799,692.8 USD x 1400 = 6,719,569,920 won
    assert money.format_cost(4_799_692.8, PRICES) == "약 67억 원 (약 480만 USD)"
    for bad in (-1, float("nan"), float("inf"), "100"):
        with pytest.raises(ValueError, match="amount="):
            money.format_krw(bad)
        with pytest.raises(ValueError, match="amount="):
            money.format_usd(bad)


def test_format_power_of_ten():
    assert money.format_power_of_ten(8.4e23) == "8.4 × 10²³"
    assert money.format_power_of_ten(1.932e24) == "1.9 × 10²⁴"
    assert money.format_power_of_ten(0.00123) == "1.2 × 10⁻³"


@pytest.mark.parametrize(("number", "currency", "text"), [
    (70_000_000_000.0, "", "70,000,000,000"),
    (1_720_320.0, "", "1,720,320"),
    (1400.0, "KRW", "1,400"),
    (21.957642, "USD", "21.96"),
    (0.1, "USD", "0.10"),
    (0.075, "USD", "0.075"),
    (0.001, "", "0.001"),
    (0.5, "", "0.5"),
])
def test_format_value(number, currency, text):
    assert sourced.format_value(number, currency) == text


def test_provenance_frame_is_readable():
    frame = sourced.provenance_frame(PRICES, ["api.gpt-4o-mini.input", "fx.usd_krw", "gpu.aws.p4d_24xlarge.hour"])
    assert list(frame.columns) == ["값", "단위", "출처", "날짜", "비고"]
    assert frame.loc["api.gpt-4o-mini.input", "단위"] == "USD per 1M tokens"
    assert frame.loc["fx.usd_krw", "단위"] == "KRW per USD"  # currency written once
    assert frame.loc["fx.usd_krw", "값"] == "1,400"
    assert frame.loc["gpu.aws.p4d_24xlarge.hour", "값"] == "21.96"
    source = PRICES["gpu.aws.p4d_24xlarge.hour"].source
    assert len(source) > 80
    assert source in repr(frame) and source in frame._repr_html_()  # not cut at display.max_colwidth
    facts = sourced.provenance_frame(FACTS, ["llama2_70b.params"])
    assert facts.loc["llama2_70b.params", "값"] == "70,000,000,000"
    assert "e+" not in repr(facts)


def test_assumed_items():
    assert sourced.assumed_items(PRICES, ["api.gpt-4o-mini.input", "fx.usd_krw"]) == ["fx.usd_krw"]
    assert set(sourced.assumed_items(PRICES)) == {"fx.usd_krw", "api.local.input", "api.local.output"}


def test_secondary_price_sources_say_so():
    for item in ("gpu.aws.p4d_24xlarge.hour", "gpu.aws.p5_48xlarge.hour", "gpu.lambda.a100_sxm_40gb.gpu_hour",
                 "gpu.lambda.a100_sxm_80gb.gpu_hour", "gpu.lambda.h100_sxm.gpu_hour", "gpu.lambda.b200.gpu_hour",
                 "gpu.lambda.a10.gpu_hour", "api.gpt-6.1-sol.input", "api.claude-haiku-5-5.input",
                 "api.gemini-3.5-flash-lite.input", "ft.gpt-4.1-mini.training", "ft.vertex.gemini-2.0-flash.training"):
        row = PRICES[item]
        assert row.source.startswith("secondary:") and "secondary source" in row.note, item
    for item in ("gpu.lambda.a100_sxm_80gb.gpu_hour", "gpu.lambda.h100_sxm.gpu_hour", "gpu.lambda.b200.gpu_hour",
                 "gpu.hyperstack.h200_sxm.gpu_hour"):
        assert "NOT verified" in PRICES[item].note and PRICES[item].source.startswith("secondary:")


# --- the source documents' tables ----------------------------------------------------------------------


def test_paradigm_table_and_checklist_preview():
    table = paradigm.paradigm_table()
    assert list(table.columns) == ["2020–2022", "2024년 이후 (2026년 12월 기준)"]
    assert table.loc["주류", "2020–2022"] == "파인튜닝"
    assert table.loc["주류", paradigm.PARADIGM_NOW] == "RAG + 도구 사용 + 프롬프트 엔지니어링"
    assert paradigm.PARADIGM_CORE == "소유에서 활용으로"
    preview = paradigm.checklist_preview()
    assert len(preview) == 11  # 원문 002: 8 questions before fine-tuning + 3 alternatives
    assert preview.loc[("파인튜닝 전에 확인", 5), "항목 (원문)"] == "☐ 고품질 데이터 10,000+ 보유하고 있는가?"


# --- as of December 2026: dated rows and the models the course uses ------------------------------------


@pytest.mark.parametrize("table", [PRICES, FACTS, sourced.load_answer_quality()],
                         ids=["prices.csv", "compute.csv", "answer_quality.csv"])
def test_rows_before_june_2025_are_labelled_historical(table):
    """Data/README.md: every row is current (2025-06 or later) or says it is a historical fact."""
    for row in table.values():
        if row.date < dt.date(2025, 6, 1):
            assert row.note.startswith("historical"), (row.item, row.date)


def test_the_default_model_and_the_compared_models_are_current_and_priced():
    from ragfirst.runtime.config import DEFAULT_OPENAI_MODEL

    for model in (DEFAULT_OPENAI_MODEL, *costs.API_MODELS):
        for side in ("input", "output"):
            row = PRICES[f"api.{model}.{side}"]
            assert row.date >= dt.date(2025, 6, 1) and not row.note.startswith("historical"), row.item
    assert costs.API_MODELS[0] == DEFAULT_OPENAI_MODEL


# --- one workload, three ways ----------------------------------------------------------------------


def test_fine_tune_plan_by_hand():
    plan = costs.FineTunePlan()
    assert plan.training_tokens == 1_800_000  # 1,500 examples x 400 tokens x 3 epochs
    assert plan.serving_workload(costs.FaqBotWorkload()).input_tokens_per_request == 300
    for bad in (-1, float("inf"), "many", True):
        with pytest.raises(ValueError, match="FineTunePlan.epochs"):
            costs.FineTunePlan(epochs=bad)


def test_managed_fine_tuning_by_hand():
    plan, workload = costs.FineTunePlan(), costs.FaqBotWorkload()
    assert costs.managed_training_usd(plan, PRICES) == pytest.approx(9.0)  # 1.8M x 5.00 / 1M
    # 30,000 requests x (300 x 0.80 + 300 x 3.20) / 1M = 36 USD: no passages, fine-tuned prices
    assert costs.managed_serving_usd(plan, workload, PRICES) == pytest.approx(36.0)


def test_own_gpu_training_and_serving_by_hand():
    own, plan = costs.OwnGpuPlan(), costs.FineTunePlan()
    # 6 x 7e9 x 1.8e6 = 7.56e16 FLOP on 8 A100s at Llama 2's implied utilisation: about 70 s, so the 1 h floor
    seconds = 7.56e16 / (312e12 * hardware.llama2_compute_check(FACTS).utilization * 8)
    assert 60 < seconds < 80
    assert costs.own_gpu_training_hours(own, plan, FACTS) == 1
    big = costs.FineTunePlan(examples=1_500_000)  # 1000x the data: about 19.6 hours
    assert costs.own_gpu_training_hours(own, big, FACTS) == pytest.approx(seconds * 1000 / 3600)
    assert costs.own_gpu_serving_usd(own, FACTS, PRICES) == pytest.approx(1.29 * 24 * 30)  # 928.8
    with pytest.raises(ValueError, match="13B fp16"):  # 26 GB of weights on a 24 GB A10
        costs.own_gpu_serving_usd(costs.OwnGpuPlan(params_billion=13), FACTS, PRICES)


def test_same_workload_paths_by_hand_and_who_wins():
    paths = {p.key: p for p in costs.same_workload_paths(PRICES, FACTS, costs.FaqBotWorkload())}
    assert list(paths) == ["rag.gpt-6-luna", "rag.gpt-4.1-mini", "managed.gpt-4.1-mini", "own_gpu"]
    assert paths["rag.gpt-6-luna"].first_year_usd == pytest.approx(12 * 9.0)
    assert paths["rag.gpt-4.1-mini"].monthly_usd == pytest.approx(45 * 0.40 + 9 * 1.60)  # 32.4
    assert paths["managed.gpt-4.1-mini"].first_year_usd == pytest.approx(9 + 12 * 36 + 2 * 9)  # 459
    assert paths["own_gpu"].first_year_usd == pytest.approx(8 * 1.99 * 3 + 12 * 928.8)  # 11,193.36
    # The claims notebook 01 makes from this table: RAG with today's small model is cheapest; with the
    # fine-tune's own base model RAG and the managed fine-tune cost the same order; own GPUs cost 10x more.
    order = sorted(paths.values(), key=lambda p: p.first_year_usd)
    assert [p.key for p in order] == ["rag.gpt-6-luna", "rag.gpt-4.1-mini", "managed.gpt-4.1-mini", "own_gpu"]
    assert paths["managed.gpt-4.1-mini"].first_year_usd / paths["rag.gpt-4.1-mini"].first_year_usd < 1.5
    assert paths["own_gpu"].first_year_usd > 10 * paths["managed.gpt-4.1-mini"].first_year_usd
    table = costs.same_workload_table(list(paths.values()), PRICES)
    assert table.loc["관리형 파인튜닝 (gpt-4.1-mini)", "첫해 (읽기용)"] == "약 64만 원"  # 459 x 1400 = 642,600원
