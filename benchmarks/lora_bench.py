"""Benchmark LoRA on the course model: parameters, memory, time, size, quality, merge, notebook budget.

    .venv/bin/python benchmarks/lora_bench.py [--json] [--notebook] [--record] [--out DIR]

Runs the same steps as notebooks/03_lora_demo.ipynb through ragfirst.lora.finetune: the
nearest-example baseline, full fine-tuning vs LoRA step cost (each in a fresh
process, peak RSS = ru_maxrss), LoRA training with the seed's config, held-out
accuracy before/after, adapter size, merge check. With --notebook it first executes
the notebook in memory (the committed file is not touched) and records its wall time
and the peak summed RSS of the kernel and its child processes (psutil, sampled every
0.2 s), to check the budget: <= 4 minutes and <= 6 GB on 2 CPU cores.
Writes reports/lora_bench.{json,md}; --json also prints the JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from ragfirst.runtime import cpu
from ragfirst.runtime.config import REPO_ROOT, apply_offline_defaults

NOTEBOOK = REPO_ROOT / "notebooks" / "03_lora_demo.ipynb"
BUDGET_SECONDS = 240
BUDGET_RSS_MB = 6000


def run_notebook_copy(path: Path = NOTEBOOK) -> dict:
    """Execute the notebook in memory; return wall seconds and peak RSS of the kernel's process tree."""
    import nbformat
    import psutil
    from nbclient import NotebookClient

    me = psutil.Process()
    peak = {"mb": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            peak["mb"] = max(peak["mb"], total / 1e6)
            done.wait(0.2)

    notebook = nbformat.read(path, as_version=4)  # executed in memory, never written back
    client = NotebookClient(notebook, timeout=3600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        client.execute()
    finally:
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
    return {"notebook_wall_s": round(seconds, 1), "notebook_peak_rss_mb": round(peak["mb"], 1)}


def run_lora(record: bool = False) -> dict:
    """The notebook's measurements, in the same order (cost subprocesses before loading the model).

    With ``record``, the two step costs also replace data/lora/step_costs.csv, the table
    notebook 03 shows (it does not re-measure full fine-tuning: see RecordedCosts).
    """
    from ragfirst.llm import models
    from ragfirst.lora import finetune, measure

    finetune.make_deterministic()
    train = finetune.load_examples(finetune.TRAIN_FILE)
    heldout = finetune.load_examples(finetune.HELDOUT_FILE)
    questions, gold = [e.question for e in heldout], [e.category for e in heldout]
    baseline_acc = finetune.accuracy(finetune.nearest_example_baseline(train, questions), gold)

    full_cost = measure.measure_in_subprocess("full", 8, 40, steps=3)
    lora_cost = measure.measure_in_subprocess("lora", 8, 40, steps=3)
    if record:
        source = (f"benchmarks/lora_bench.py --record; {cpu.cores()} CPU cores, no GPU, "
                  f"load average {os.getloadavg()[0]:.1f}")
        measure.record_costs(full_cost, lora_cost, source, datetime.now(timezone.utc).date().isoformat())

    started = time.perf_counter()
    model, tokenizer = models.load_causal_lm()
    load_s = time.perf_counter() - started
    labels = finetune.label_space(tokenizer, finetune.categories_of(train))
    started = time.perf_counter()
    before_acc = finetune.accuracy(finetune.predict(model, tokenizer, labels, questions), gold)
    eval_s = time.perf_counter() - started
    peft_model = finetune.attach_lora(model, finetune.LoraSettings())
    count = finetune.count_parameters(peft_model)
    result = finetune.train(peft_model, tokenizer, labels, train, finetune.TrainSettings(), progress=sys.stderr.isatty())
    after_acc = finetune.accuracy(finetune.predict(peft_model, tokenizer, labels, questions), gold)
    with tempfile.TemporaryDirectory() as tmp:
        adapter_dir = finetune.save_adapter(peft_model, Path(tmp) / "adapter")
        adapter_mb = finetune.directory_size_mb(adapter_dir)
        reloaded = finetune.load_adapter(peft_model.unload(), adapter_dir)
    _, check = finetune.merge_and_compare(reloaded, tokenizer, questions[:16])

    out = measure.report("gemma-3-270m", full_cost, lora_cost, count.share, adapter_mb,
                              models.model_files_size_mb(), models.model_files_size_mb(kind="gguf"),
                              before_acc, after_acc, baseline_acc, check.max_abs_diff, len(gold))
    out.update({
        "train_steps": result.steps,
        "train_step_s_in_process": round(result.seconds_per_step, 3),
        "train_s": round(result.seconds, 1),
        "model_load_s": round(load_s, 1),
        "eval_heldout_s": round(eval_s, 1),
        "rss_loaded_full_mb": full_cost.rss_loaded_mb,
        "rss_loaded_lora_mb": lora_cost.rss_loaded_mb,
    })
    return out


def write_report(result: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "lora_bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [
        "# LoRA benchmark (notebooks/03_lora_demo.ipynb)", "",
        f"- when: {result['measured_at']} · host: {result['host']} · cpus: {result['cpus']} · load avg at start: {result['load_avg_start']}",
        "- timings and memory depend on machine load; a shared machine inflates them", "",
        "| metric | value |", "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in result.items() if key not in ("measured_at", "host")]
    if "notebook_wall_s" in result:
        ok_time = result["notebook_wall_s"] <= BUDGET_SECONDS
        ok_mem = result["notebook_peak_rss_mb"] <= BUDGET_RSS_MB
        lines += ["", f"Budget: wall {result['notebook_wall_s']} s <= {BUDGET_SECONDS} s: {'OK' if ok_time else 'OVER'}; "
                      f"peak RSS {result['notebook_peak_rss_mb']} MB <= {BUDGET_RSS_MB} MB: {'OK' if ok_mem else 'OVER'}"]
    (out_dir / "lora_bench.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--notebook", action="store_true", help="also execute a copy of the notebook and time it")
    parser.add_argument("--record", action="store_true",
                        help="also write the step costs to data/lora/step_costs.csv (needs about 6.5 GB free RAM)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports", help="report directory")
    args = parser.parse_args(argv)
    apply_offline_defaults()
    result = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": cpu.cores(),
        "load_avg_start": round(os.getloadavg()[0], 2),
    }
    if args.notebook:
        result.update(run_notebook_copy())
    result.update(run_lora(args.record))
    result["load_avg_end"] = round(os.getloadavg()[0], 2)
    write_report(result, args.out)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"wrote {args.out / 'lora_bench.json'} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
