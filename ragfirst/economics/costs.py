"""What serving and fine-tuning cost: API tokens vs rented GPUs, and one workload served three ways.

Every price comes from ``data/prices.csv`` (dated, sourced); every workload field
is an assumption a learner can change (notebooks 01 and 04).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from ragfirst.economics.hardware import GPUS, HOURS_PER_DAY, llama2_compute_check, memory_requirements, training_flops
from ragfirst.economics.money import format_krw, usd_to_manwon
from ragfirst.runtime.config import DEFAULT_OPENAI_MODEL
from ragfirst.runtime.sourced import SourcedTable, lookup, value


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
