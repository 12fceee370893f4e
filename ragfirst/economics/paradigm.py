"""Notebook 01's arithmetic: why owning a model is out of reach and renting intelligence is not.

The course's two source documents (원문 000 and 002, described in docs/sources.md)
argue in words (GPU cost, data, people, maintenance); this module turns the checkable parts into numbers computed from ``data/compute.csv`` and
``data/prices.csv``, so that a learner can change an assumption and see the
conclusion move (or not):

* memory: parameters x bytes per parameter (weights at fp16/int4, full
  fine-tuning with mixed-precision Adam = 16 bytes per parameter after the ZeRO
  paper, LoRA/QLoRA = frozen weights + 16 bytes per trainable parameter).
  Activations and buffers are left out, so every figure is a lower bound.
* decoding speed: at batch size 1 every generated token reads all weights once,
  so weights / memory bandwidth is a lower bound on the time per token.
* cost: GPU rental by the hour vs API tokens per month, in USD and 만원,
  printed the way a reader says amounts ("약 67억 원 (약 480만 USD)").

Sizes use decimal units (1 GB = 1e9 bytes), as GPU vendors do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ragfirst.runtime.config import DATA_DIR, DEFAULT_OPENAI_MODEL
from ragfirst.runtime.sourced import SourcedTable, lookup, sourced_rows, value

APPROACHES_CSV = DATA_DIR / "approaches.csv"
MODEL_SIZES_B = (7, 13, 70, 175)
HOURS_PER_DAY = 24
WON_PER_MANWON = 10_000

GPUS = {
    "rtx4090": "RTX 4090 24GB",
    "rtx5090": "RTX 5090 32GB",
    "a100_40gb": "A100 40GB",
    "a100_80gb": "A100 80GB",
    "h100_sxm": "H100 80GB",
    "h200": "H200 141GB",
    "b200": "B200 180GB",
}

DECODE_UNIT = "ms/토큰 (하한)"

MEMORY_MODES = {
    "inference_fp16": "추론 fp16",
    "inference_int4": "추론 int4",
    "full_finetune": "풀 파인튜닝 (Adam)",
    "lora": "LoRA (fp16 기반)",
    "qlora": "QLoRA (4bit 기반)",
}


# --- memory ---------------------------------------------------------------------


def memory_gb(params_billion: float, bytes_per_param: float) -> float:
    """Bytes for ``params_billion`` x 1e9 parameters, in GB (1e9 bytes)."""
    if params_billion <= 0 or bytes_per_param <= 0:
        raise ValueError(f"params_billion={params_billion}, bytes_per_param={bytes_per_param}: 둘 다 양수여야 합니다.")
    return params_billion * bytes_per_param


def memory_requirements(params_billion: float, facts: SourcedTable) -> dict[str, float]:
    """GB needed by each way of using a model of this size (lower bounds, no activations)."""
    fp16 = value(facts, "rule.bytes_per_param.fp16")
    int4 = value(facts, "rule.bytes_per_param.int4")
    adam = value(facts, "rule.bytes_per_param.adam_mixed")
    adapters = memory_gb(params_billion, adam) * value(facts, "lora.trainable_share")
    return {
        "inference_fp16": memory_gb(params_billion, fp16),
        "inference_int4": memory_gb(params_billion, int4),
        "full_finetune": memory_gb(params_billion, adam),
        "lora": memory_gb(params_billion, fp16) + adapters,
        "qlora": memory_gb(params_billion, int4) + adapters,
    }


def memory_table(facts: SourcedTable, sizes_billion=MODEL_SIZES_B):
    """One row per model size, one column per way of using it (GB, one decimal)."""
    import pandas as pd

    rows = {f"{size:g}B": memory_requirements(size, facts) for size in sizes_billion}
    frame = pd.DataFrame.from_dict(rows, orient="index").rename(columns=MEMORY_MODES)
    frame.index.name = "모델 크기"
    return frame.round(1)


def gpus_needed(required_gb: float, gpu_memory_gb: float) -> int:
    """How many GPUs of this size hold ``required_gb`` at the very least (ceil, no overhead)."""
    if gpu_memory_gb <= 0:
        raise ValueError(f"gpu_memory_gb={gpu_memory_gb}: 양수여야 합니다.")
    return math.ceil(round(required_gb / gpu_memory_gb, 9))


def gpu_count_table(facts: SourcedTable, mode: str = "full_finetune", sizes_billion=MODEL_SIZES_B):
    """Minimum number of each GPU for ``mode`` (a key of MEMORY_MODES), per model size."""
    import pandas as pd

    if mode not in MEMORY_MODES:
        raise ValueError(f"mode={mode!r}: 가능한 값: {', '.join(MEMORY_MODES)}")
    rows = {}
    for size in sizes_billion:
        need = memory_requirements(size, facts)[mode]
        rows[f"{size:g}B"] = {label: gpus_needed(need, value(facts, f"gpu.{key}.memory_gb")) for key, label in GPUS.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = f"모델 크기 ({MEMORY_MODES[mode]})"
    return frame


@dataclass(frozen=True)
class LoraSavings:
    """Memory saved by LoRA over full fine-tuning, and by QLoRA over LoRA (shares 0..1)."""

    full_finetune_gb: float
    lora_gb: float
    qlora_gb: float

    @property
    def lora_vs_full(self) -> float:
        return 1 - self.lora_gb / self.full_finetune_gb

    @property
    def qlora_vs_lora(self) -> float:
        return 1 - self.qlora_gb / self.lora_gb


def lora_savings(params_billion: float, facts: SourcedTable) -> LoraSavings:
    """Check 원문 002's "메모리 90% 절약" (LoRA) and "GPU 메모리 75% 절약" (QLoRA) claims."""
    need = memory_requirements(params_billion, facts)
    return LoraSavings(need["full_finetune"], need["lora"], need["qlora"])


@dataclass(frozen=True)
class QloraPaperCheck:
    """The QLoRA paper's model in 4-bit weights against the single GPU it reports (GB)."""

    params_billion: float
    weights_gb: float
    gpu_memory_gb: float

    @property
    def headroom_gb(self) -> float:
        """What is left for adapters, optimizer state and activations."""
        return self.gpu_memory_gb - self.weights_gb

    @property
    def fits(self) -> bool:
        return self.headroom_gb >= 0


def qlora_paper_check(facts: SourcedTable) -> QloraPaperCheck:
    """Do 65B parameters at 4 bits fit on the paper's 48 GB GPU? (Dettmers et al. 2023)"""
    params = value(facts, "qlora.model_params_b")
    weights = memory_gb(params, value(facts, "rule.bytes_per_param.int4"))
    return QloraPaperCheck(params, weights, value(facts, "qlora.gpu_memory_gb"))


def gpu_memory_lines(facts: SourcedTable) -> dict[str, float]:
    """One label per distinct GPU memory size, e.g. ``{"A100/H100 80GB": 80}``, smallest first.

    Why: GPUs with the same memory share one threshold line in a chart.
    """
    by_size: dict[float, list[str]] = {}
    for key, label in GPUS.items():
        gb = value(facts, f"gpu.{key}.memory_gb")
        family = label.removesuffix(f" {gb:g}GB")
        if family not in by_size.setdefault(gb, []):
            by_size[gb].append(family)
    return {f"{'/'.join(families)} {gb:g}GB": gb for gb, families in sorted(by_size.items())}


# --- decoding speed ---------------------------------------------------------------


def ms_per_token(weights_gb: float, bandwidth_gb_s: float) -> float:
    """Lower bound on the time to generate one token at batch size 1: read every weight once."""
    if bandwidth_gb_s <= 0:
        raise ValueError(f"bandwidth_gb_s={bandwidth_gb_s}: 양수여야 합니다.")
    return weights_gb / bandwidth_gb_s * 1000


def decode_time_table(facts: SourcedTable, sizes_billion=(7, 13, 70), gpus=("rtx5090", "a100_80gb", "h100_sxm", "b200")):
    """ms per token (lower bound) for int4 and fp16 weights on a few GPUs, one decimal."""
    import pandas as pd

    rows = {}
    for size in sizes_billion:
        need = memory_requirements(size, facts)
        for mode in ("inference_int4", "inference_fp16"):
            rows[f"{size:g}B {MEMORY_MODES[mode].split()[-1]}"] = {
                GPUS[g]: ms_per_token(need[mode], value(facts, f"gpu.{g}.bandwidth_gb_s")) for g in gpus
            }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "모델 (가중치)"
    frame.columns.name = DECODE_UNIT
    return frame.round(1)


def decode_floor(facts: SourcedTable, params_billion: float = 7, mode: str = "inference_int4",
                 gpu: str = "h100_sxm", tokens=(1, 20, 100)):
    """Lower bound on the time to generate ``tokens`` tokens one after another (ms, one decimal).

    Why: a reply is many tokens, and each one pays the weights / bandwidth floor again.
    """
    import pandas as pd

    if mode not in MEMORY_MODES:
        raise ValueError(f"mode={mode!r}: 가능한 값: {', '.join(MEMORY_MODES)}")
    if gpu not in GPUS:
        raise ValueError(f"gpu={gpu!r}: 가능한 값: {', '.join(GPUS)}")
    per_token = ms_per_token(memory_requirements(params_billion, facts)[mode],
                             value(facts, f"gpu.{gpu}.bandwidth_gb_s"))
    frame = pd.DataFrame({"최소 시간 (ms, 하한)": [n * per_token for n in tokens]},
                         index=pd.Index(list(tokens), name="생성 토큰 수"))
    frame.columns.name = f"{params_billion:g}B {MEMORY_MODES[mode]}, {GPUS[gpu]}"
    return frame.round(1)


# --- cost ---------------------------------------------------------------------------


def _check_fields_non_negative(instance) -> None:
    """Every field of a plan of assumptions is a finite number >= 0; the message names the field."""
    for field in fields(instance):
        number = getattr(instance, field.name)
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) or number < 0:
            raise ValueError(f"{type(instance).__name__}.{field.name}={number!r}: 0 이상의 숫자가 필요합니다.")


@dataclass(frozen=True)
class FaqBotWorkload:
    """How much a FAQ bot talks in a month. Every field is an assumption to change."""

    requests_per_day: float = 1000
    days_per_month: float = 30
    input_tokens_per_request: float = 1500  # system prompt + question + retrieved passages
    output_tokens_per_request: float = 300  # a few sentences of answer

    def __post_init__(self):
        _check_fields_non_negative(self)

    @property
    def requests_per_month(self) -> float:
        return self.requests_per_day * self.days_per_month

    @property
    def input_tokens_per_month(self) -> float:
        return self.requests_per_month * self.input_tokens_per_request

    @property
    def output_tokens_per_month(self) -> float:
        return self.requests_per_month * self.output_tokens_per_request


def api_monthly_cost_usd(workload: FaqBotWorkload, prices: SourcedTable, model: str) -> float:
    """USD per month at the per-1M-token prices ``api.<model>.input`` / ``.output``."""
    per_million_in = value(prices, f"api.{model}.input")
    per_million_out = value(prices, f"api.{model}.output")
    return (workload.input_tokens_per_month * per_million_in + workload.output_tokens_per_month * per_million_out) / 1e6


def usd_to_manwon(usd: float, prices: SourcedTable) -> float:
    """USD to 만원 (10,000 KRW) at ``fx.usd_krw``."""
    return usd * value(prices, "fx.usd_krw") / WON_PER_MANWON


# Korean groups digits by 10^4: 만, 억 (10^8), 조 (10^12).
KOREAN_UNITS = ((1e12, "조"), (1e8, "억"), (1e4, "만"))


def _check_amount(amount: float) -> float:
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) or amount < 0:
        raise ValueError(f"amount={amount!r}: 0 이상의 유한한 숫자가 필요합니다.")
    return amount


def _korean_amount(amount: float) -> str:
    """``amount`` in the largest Korean unit it reaches: 6,719,570,000 → "67억", 17,010 → "1.7만"."""
    _check_amount(amount)
    for size, unit in KOREAN_UNITS:
        if round(amount / size, 1) >= 1:
            scaled = amount / size
            # Under 10 one decimal keeps the figure honest (1.7만); above it a decimal is noise.
            text = f"{scaled:,.1f}".removesuffix(".0") if scaled < 10 else f"{round(scaled):,}"
            return f"{text}{unit}"
    return f"{round(amount):,}"


def format_krw(manwon: float) -> str:
    """만원 as a reader says it: 671,957만원 → "약 67억 원", 1.7만원 → "약 1.7만 원", 0.85만원 → "약 8,500원"."""
    text = _korean_amount(manwon * WON_PER_MANWON)
    return f"약 {text} 원" if text[-1] in "만억조" else f"약 {text}원"


def format_usd(usd: float) -> str:
    """USD with Korean digit groups: 4,799,693 → "약 480만 USD", 526.98 → "약 527 USD"; under 100 exact: "8.10 USD"."""
    if _check_amount(usd) < 100:
        return f"{usd:,.2f} USD"
    return f"약 {_korean_amount(usd)} USD"


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_power_of_ten(number: float) -> str:
    """Astronomical quantities (FLOP) the way a textbook prints them: 8.4e23 → "8.4 × 10²³"."""
    mantissa, exponent = f"{_check_amount(number):.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPTS)}"


def format_cost(usd: float, prices: SourcedTable) -> str:
    """A USD amount in won first and dollars second: "약 67억 원 (약 480만 USD)"."""
    return f"{format_krw(usd_to_manwon(usd, prices))} ({format_usd(usd)})"


def gpu_rental_usd(usd_per_hour: float, hours: float, count: int = 1) -> float:
    """Rent ``count`` units at ``usd_per_hour`` each for ``hours``."""
    return usd_per_hour * hours * count


@dataclass(frozen=True)
class GpuDayScenario:
    """One way to rent 8 GPUs for a day: the price row and how many units of it."""

    label: str
    price_item: str
    units: int  # AWS prices are per 8-GPU instance (1 unit), Lambda's per GPU (8 units)


GPU_DAY_SCENARIOS = {
    "aws_p4d": GpuDayScenario("8×A100 40GB 하루 (AWS p4d, 온디맨드)", "gpu.aws.p4d_24xlarge.hour", 1),
    "lambda_a100_40gb": GpuDayScenario("8×A100 40GB 하루 (Lambda, 온디맨드)", "gpu.lambda.a100_sxm_40gb.gpu_hour", 8),
    "aws_p5": GpuDayScenario("8×H100 하루 (AWS p5, 온디맨드)", "gpu.aws.p5_48xlarge.hour", 1),
}
# One small model per provider as of 2026-12 (data/prices.csv), and OpenAI's mid-size model.
API_MODELS = (DEFAULT_OPENAI_MODEL, "claude-haiku-5-5", "gemini-3.5-flash-lite", "gpt-6.1-sol")


def api_month_label(model: str) -> str:
    return f"FAQ 봇 API 한 달 ({model})"


def gpu_day_usd(prices: SourcedTable, scenario: str, hours: float = HOURS_PER_DAY) -> float:
    """USD for ``hours`` of one of ``GPU_DAY_SCENARIOS`` (a key such as ``"aws_p4d"``)."""
    if scenario not in GPU_DAY_SCENARIOS:
        raise ValueError(f"scenario={scenario!r}: 가능한 값: {', '.join(GPU_DAY_SCENARIOS)}")
    rent = GPU_DAY_SCENARIOS[scenario]
    return gpu_rental_usd(value(prices, rent.price_item), hours, rent.units)


def cost_comparison(prices: SourcedTable, workload: FaqBotWorkload, api_models=API_MODELS, hours: float = HOURS_PER_DAY):
    """A month of FAQ-bot API calls per model vs a day of 8-GPU rental, in USD and 만원."""
    import pandas as pd

    rows = []
    for model in api_models:
        usd = api_monthly_cost_usd(workload, prices, model)
        rows.append((api_month_label(model), "API 한 달", usd, f"api.{model}.input/output"))
    for key, rent in GPU_DAY_SCENARIOS.items():
        rows.append((rent.label, "GPU 하루", gpu_day_usd(prices, key, hours), rent.price_item))
    frame = pd.DataFrame(rows, columns=["항목", "구분", "USD", "근거 (prices.csv)"])
    frame.insert(3, "만원", [usd_to_manwon(usd, prices) for usd in frame["USD"]])
    frame.insert(4, "원화 (읽기용)", [format_krw(manwon) for manwon in frame["만원"]])
    return frame.set_index("항목").round({"USD": 2, "만원": 1})


@dataclass(frozen=True)
class CostGap:
    """A day of GPU rental against a month of API calls, and how many months of API it buys."""

    gpu_label: str
    gpu_day_usd: float
    api_label: str
    api_month_usd: float

    @property
    def ratio(self) -> float:
        return self.gpu_day_usd / self.api_month_usd


def gpu_day_vs_api_month(prices: SourcedTable, workload: FaqBotWorkload,
                         scenario: str = "aws_p4d", model: str = DEFAULT_OPENAI_MODEL) -> CostGap:
    """The headline comparison of notebook 01, looked up by keys, not by display labels."""
    gpu = gpu_day_usd(prices, scenario)
    api = api_monthly_cost_usd(workload, prices, model)
    if api <= 0:
        raise ValueError(f"api.{model}: 한 달 API 비용이 0이라 비율을 낼 수 없습니다. 유료 모델을 고르세요.")
    return CostGap(GPU_DAY_SCENARIOS[scenario].label, gpu, api_month_label(model), api)


@dataclass(frozen=True)
class PriceChange:
    """The same price item at two dates."""

    old_value: float
    old_date: str
    new_value: float
    new_date: str

    @property
    def change(self) -> float:
        """Relative change, e.g. -0.33 for a third cheaper."""
        return self.new_value / self.old_value - 1


def price_change(prices: SourcedTable, old_item: str, new_item: str) -> PriceChange:
    """Compare two dated rows of ``prices.csv`` (why the ``date`` column matters)."""
    old, new = lookup(prices, old_item), lookup(prices, new_item)
    if old.value <= 0:
        raise ValueError(f"{old_item}: 값이 0이라 변화율을 낼 수 없습니다.")
    return PriceChange(old.value, old.date.isoformat(), new.value, new.date.isoformat())


def break_even_requests_per_day(workload: FaqBotWorkload, prices: SourcedTable, model: str,
                                gpu_usd_per_hour: float, gpus: int = 1) -> float:
    """Requests per day at which the API bill equals renting ``gpus`` GPUs around the clock.

    Uses the workload's tokens per request and days per month; the rented GPUs'
    staff, monitoring and idle time are not counted, so the real break-even is higher.
    """
    per_request = api_monthly_cost_usd(replace(workload, requests_per_day=1), prices, model) / workload.days_per_month
    if per_request <= 0:
        raise ValueError(f"api.{model}: 요청당 비용이 0이라 손익분기점이 없습니다 (로컬 서버는 토큰 요금이 없음).")
    monthly_rent = gpu_rental_usd(gpu_usd_per_hour, HOURS_PER_DAY * workload.days_per_month, gpus)
    return monthly_rent / workload.days_per_month / per_request


@dataclass(frozen=True)
class PretrainingEstimate:
    """What a published pretraining run would take on a small rented cluster."""

    gpu_hours: float
    n_gpus: int
    usd_per_gpu_hour: float

    @property
    def days(self) -> float:
        return self.gpu_hours / self.n_gpus / HOURS_PER_DAY

    @property
    def years(self) -> float:
        return self.days / 365

    @property
    def cost_usd(self) -> float:
        return self.gpu_hours * self.usd_per_gpu_hour

    def share_done_in(self, days: float) -> float:
        """Share of the run that ``days`` days on ``n_gpus`` GPUs would complete."""
        return days * HOURS_PER_DAY * self.n_gpus / self.gpu_hours


def llama2_70b_on(facts: SourcedTable, prices: SourcedTable, n_gpus: int = 8,
                  price_item: str = "gpu.lambda.a100_sxm_80gb.gpu_hour") -> PretrainingEstimate:
    """Llama 2 70B's published A100-80GB GPU-hours, replayed on ``n_gpus`` rented GPUs."""
    return PretrainingEstimate(value(facts, "llama2_70b.gpu_hours"), n_gpus, value(prices, price_item))


def training_flops(params: float, tokens: float, flops_per_param_token: float = 6) -> float:
    """Dense transformer training compute, C = 6 N D (Kaplan et al. 2020)."""
    return flops_per_param_token * params * tokens


@dataclass(frozen=True)
class TrainingComputeCheck:
    """A published run's 6ND compute against the peak its reported GPU-hours could deliver."""

    flops: float
    gpu_hours: float
    peak_tflops: float

    @property
    def available_flops(self) -> float:
        return self.gpu_hours * 3600 * self.peak_tflops * 1e12

    @property
    def utilization(self) -> float:
        """Average share of peak the GPUs must have reached; 30-60 % is typical, so the numbers agree."""
        return self.flops / self.available_flops


def llama2_compute_check(facts: SourcedTable) -> TrainingComputeCheck:
    """Sanity check of Llama 2 70B's reported GPU-hours with C = 6ND and the A100's BF16 peak."""
    flops = training_flops(value(facts, "llama2_70b.params"), value(facts, "llama2_70b.tokens"),
                           value(facts, "rule.training_flops_per_param_token"))
    return TrainingComputeCheck(flops, value(facts, "llama2_70b.gpu_hours"), value(facts, "gpu.a100.bf16_tflops"))


# --- one workload, three ways to serve it ---------------------------------------------------


@dataclass(frozen=True)
class FineTunePlan:
    """The training set and prompts of a fine-tuned FAQ bot. Every field is an assumption to change.

    Why a prompt without passages: a fine-tuned model answers from its weights, so it is
    sent the system prompt and the question only, not the retrieved documents RAG adds.
    """

    examples: float = 1500  # the startup scenario's 1,500 past inquiries (data/scenarios.yaml)
    tokens_per_example: float = 400  # question + answer
    epochs: float = 3
    prompt_tokens_per_request: float = 300  # system prompt + question, no passages
    retrains_per_year: float = 2  # the seed's cost table: retraining every 6 months

    def __post_init__(self):
        _check_fields_non_negative(self)

    @property
    def training_tokens(self) -> float:
        """Tokens billed for one run: every example, every epoch."""
        return self.examples * self.tokens_per_example * self.epochs

    def serving_workload(self, workload: FaqBotWorkload) -> FaqBotWorkload:
        """The same requests and answers, with the shorter prompt of a model that needs no passages."""
        return replace(workload, input_tokens_per_request=self.prompt_tokens_per_request)


def token_cost_usd(input_tokens: float, output_tokens: float, prices: SourcedTable, prefix: str) -> float:
    """USD for tokens at the per-1M prices ``<prefix>.input`` / ``<prefix>.output`` (``api.gpt-6-luna``, ``ft.gpt-4.1-mini``)."""
    return (input_tokens * value(prices, f"{prefix}.input") + output_tokens * value(prices, f"{prefix}.output")) / 1e6


def managed_training_usd(plan: FineTunePlan, prices: SourcedTable, model: str = "gpt-4.1-mini") -> float:
    """One managed fine-tuning run: training tokens x ``ft.<model>.training`` per 1M."""
    return plan.training_tokens * value(prices, f"ft.{model}.training") / 1e6


def managed_serving_usd(plan: FineTunePlan, workload: FaqBotWorkload, prices: SourcedTable,
                        model: str = "gpt-4.1-mini") -> float:
    """A month of calls to the fine-tuned model at ``ft.<model>.input/output``, prompts without passages."""
    served = plan.serving_workload(workload)
    return token_cost_usd(served.input_tokens_per_month, served.output_tokens_per_month, prices, f"ft.{model}")


@dataclass(frozen=True)
class OwnGpuPlan:
    """Fine-tune an open model on rented GPUs and serve it on a rented GPU around the clock.

    Training time is the 6ND compute of the run at the utilisation Llama 2's published
    GPU-hours imply (``llama2_compute_check``), never less than ``minimum_hours`` (loading,
    evaluating, one retry); LoRA skips the weight gradients, so 6ND overstates the compute a little.
    """

    params_billion: float = 7
    train_price_item: str = "gpu.lambda.a100_sxm_40gb.gpu_hour"
    train_gpus: int = 8  # Lambda sells its A100 by the 8-GPU instance
    minimum_hours: float = 1
    serve_price_item: str = "gpu.lambda.a10.gpu_hour"
    serve_gpu: str = "a10"


def own_gpu_training_hours(plan: OwnGpuPlan, tune: FineTunePlan, facts: SourcedTable) -> float:
    """Wall-clock hours of one training run on ``plan.train_gpus`` A100s (at least ``minimum_hours``)."""
    flops = training_flops(plan.params_billion * 1e9, tune.training_tokens, value(facts, "rule.training_flops_per_param_token"))
    sustained = value(facts, "gpu.a100.bf16_tflops") * 1e12 * llama2_compute_check(facts).utilization * plan.train_gpus
    return max(plan.minimum_hours, flops / sustained / 3600)


def own_gpu_serving_usd(plan: OwnGpuPlan, facts: SourcedTable, prices: SourcedTable, days: float = 30) -> float:
    """A month of one GPU rented around the clock; refuses a GPU the fp16 weights do not fit on."""
    weights = memory_requirements(plan.params_billion, facts)["inference_fp16"]
    capacity = value(facts, f"gpu.{plan.serve_gpu}.memory_gb")
    if weights > capacity:
        raise ValueError(f"{plan.params_billion:g}B fp16 가중치 {weights:g} GB는 gpu.{plan.serve_gpu} {capacity:g} GB에 들어가지 않습니다.")
    return gpu_rental_usd(value(prices, plan.serve_price_item), HOURS_PER_DAY * days)


@dataclass(frozen=True)
class PathCost:
    """One way to run the FAQ bot: what is paid once (and again at each retraining) and every month."""

    key: str
    label: str
    one_off_usd: float
    monthly_usd: float
    retrain_usd: float  # per retraining; 0 for RAG, whose index is rebuilt for free
    retrains_per_year: float
    basis: str  # the price rows used

    @property
    def first_year_usd(self) -> float:
        return self.one_off_usd + 12 * self.monthly_usd + self.retrains_per_year * self.retrain_usd


def same_workload_paths(prices: SourcedTable, facts: SourcedTable, workload: FaqBotWorkload,
                        tune: FineTunePlan = FineTunePlan(), own: OwnGpuPlan = OwnGpuPlan(),
                        rag_model: str = DEFAULT_OPENAI_MODEL, ft_model: str = "gpt-4.1-mini") -> list[PathCost]:
    """The FAQ bot served four ways for the same requests: the comparison of notebook 01, section 5.

    RAG with today's default model and with the fine-tune's own base model (so the model is
    not what differs), a managed fine-tune (pay per training token, run no GPU) and an open
    model fine-tuned and served on rented GPUs. People, data preparation and evaluation are
    left out of every row; they are the same order for both fine-tuning paths and larger than
    any line here (notebook 04 puts them back).
    """
    rows = []
    for model in dict.fromkeys((rag_model, ft_model)):
        rows.append(PathCost(f"rag.{model}", f"RAG + API ({model})", 0.0, api_monthly_cost_usd(workload, prices, model),
                             0.0, 0, f"api.{model}.input/output"))
    run = managed_training_usd(tune, prices, ft_model)
    rows.append(PathCost(f"managed.{ft_model}", f"관리형 파인튜닝 ({ft_model})", run,
                         managed_serving_usd(tune, workload, prices, ft_model), run, tune.retrains_per_year,
                         f"ft.{ft_model}.training/input/output"))
    train = gpu_rental_usd(value(prices, own.train_price_item), own_gpu_training_hours(own, tune, facts), own.train_gpus)
    rows.append(PathCost("own_gpu", f"자체 GPU ({own.params_billion:g}B LoRA, {GPUS.get(own.serve_gpu, own.serve_gpu.upper())} 상시 서빙)",
                         train, own_gpu_serving_usd(own, facts, prices, workload.days_per_month), train, tune.retrains_per_year,
                         f"{own.train_price_item}, {own.serve_price_item}"))
    return rows


def same_workload_table(paths: list[PathCost], prices: SourcedTable):
    """``same_workload_paths`` as a Korean table: once, monthly, first year in USD and in won."""
    import pandas as pd

    frame = pd.DataFrame([(p.label, p.one_off_usd, p.monthly_usd, p.retrains_per_year, p.first_year_usd,
                           format_krw(usd_to_manwon(p.first_year_usd, prices)), p.basis) for p in paths],
                         columns=["경로", "학습 1회(USD)", "매월(USD)", "재학습(회/년)", "첫해 합계(USD)", "첫해 (읽기용)", "근거 (prices.csv)"])
    return frame.set_index("경로").round({"학습 1회(USD)": 2, "매월(USD)": 2, "첫해 합계(USD)": 2})


# --- the source documents' tables, restated -------------------------------------------------------


def load_approaches(path: Path = APPROACHES_CSV):
    """RAG vs fine-tuning vs own training (원문 000 §4, see docs/sources.md) as a DataFrame, aspects as rows."""
    import pandas as pd

    columns = ("aspect_key", "aspect", "rag", "finetuning", "own_training", "source", "date")
    frame = pd.DataFrame([row for _, row in sourced_rows(path, columns, ("aspect_key",), optional=())], columns=columns)
    table = frame.set_index("aspect")[["rag", "finetuning", "own_training"]]
    table.columns = ["RAG (벡터DB + LLM API)", "파인튜닝", "자체 모델 학습"]
    table.index.name = "항목"
    return table


PARADIGM_SOURCE = "원문 002 (docs/sources.md): 패러다임 변화 요약"
# The seed wrote "2024"; the course checked the column against the tables of December 2026.
PARADIGM_NOW = "2024년 이후 (2026년 12월 기준)"
PARADIGM_SHIFT = {
    "2020–2022": {
        "주류": "파인튜닝",
        "사고방식": "우리만의 모델을 만들자",
        "비용": "높음",
        "복잡도": "높음",
        "유연성": "낮음",
    },
    PARADIGM_NOW: {
        "주류": "RAG + 도구 사용 + 프롬프트 엔지니어링",
        "사고방식": "기존 모델을 똑똑하게 활용하자",
        "비용": "낮음",
        "복잡도": "중간",
        "유연성": "높음",
    },
}
PARADIGM_CORE = "소유에서 활용으로"


def paradigm_table():
    """The 2020–2022 → 2024 summary of 원문 002, restated in the course's terms (aspects as rows), dated to the tables."""
    import pandas as pd

    frame = pd.DataFrame(PARADIGM_SHIFT)
    frame.index.name = "관점"
    return frame


def checklist_preview():
    """원문 002's two checklists (text only), as ``ragfirst.economics.decide`` holds them for notebook 05."""
    import pandas as pd

    from ragfirst.economics.decide import CHECKLISTS

    titles = {"before_finetuning": "파인튜닝 전에 확인", "alternatives_first": "대안 기술 먼저 검토"}
    rows = [(titles.get(name, name), i, "☐ " + item.text)
            for name, items in CHECKLISTS.items() for i, item in enumerate(items, start=1)]
    return pd.DataFrame(rows, columns=["체크리스트", "번호", "항목 (원문)"]).set_index(["체크리스트", "번호"])
