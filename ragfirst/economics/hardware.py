"""What models need from hardware: memory, decoding speed and training compute, as lower bounds.

Computed from ``data/compute.csv`` (notebook 01), so a learner can change an
assumption and see the conclusion move (or not):

* memory: parameters x bytes per parameter (weights at fp16/int4, full
  fine-tuning with mixed-precision Adam = 16 bytes per parameter after the ZeRO
  paper, LoRA/QLoRA = frozen weights + 16 bytes per trainable parameter).
  Activations and buffers are left out, so every figure is a lower bound.
* decoding speed: at batch size 1 every generated token reads all weights once,
  so weights / memory bandwidth is a lower bound on the time per token.
* training: C = 6ND, and a published pretraining run replayed on rented GPUs.

Sizes use decimal units (1 GB = 1e9 bytes), as GPU vendors do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ragfirst.runtime.sourced import SourcedTable, value

MODEL_SIZES_B = (7, 13, 70, 175)
HOURS_PER_DAY = 24

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


# --- training compute -----------------------------------------------------------


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
