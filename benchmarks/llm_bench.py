"""How fast the local LLM server is: cold start, grounded-answer latency, prefill and decode speed.

Target (issue 3): an end-to-end RAG answer with the local model in <= 5 s p50 on 2 CPU
cores; generation is most of it. The prompt is a ~300-token grounded prompt built from
data/corpus (several FAQ documents + a question, "문서: … 질문: … 답변:"), answered with
40 new tokens through the real openai client. Each configuration (dtype × threads) gets
its own server in a private cache dir (sharing the converted model), so a server other
people are using is never touched. Writes reports/llm_bench.json.

    .venv/bin/python benchmarks/llm_bench.py [--json] [--runs 5] [--dtypes auto] [--threads 0]

``--dtypes float32,bfloat16 --threads 1,2`` compares configurations (0 = the server default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ragfirst.runtime import config, cpu  # noqa: E402
from ragfirst.rag.corpus import load_corpus  # noqa: E402
from ragfirst.rag.evaluate import percentiles  # noqa: E402
from ragfirst.llm.models import DEFAULT_MODEL, ensure_converted, load_tokenizer, model_dir  # noqa: E402

TARGET_P50_S = 5.0
PROMPT_TOKENS = 300
NEW_TOKENS = 40


def grounded_prompt(tokenizer, target_tokens: int = PROMPT_TOKENS) -> str:
    """Document bodies from data/corpus until ~target_tokens, then the first document's title as the question."""
    documents = load_corpus(config.DATA_DIR / "corpus")
    bodies = []
    for document in documents:
        bodies.append(" ".join(document.text.split()))
        if len(tokenizer("\n".join(bodies)).input_ids) >= target_tokens:
            break
    ids = tokenizer("\n".join(bodies), add_special_tokens=False).input_ids[: target_tokens - 20]
    return f"문서: {tokenizer.decode(ids)}\n질문: {documents[0].title}\n답변:"


def measure(dtype: str, threads: int, prompt: str, runs: int) -> dict:
    """Start a private server with this configuration, time it, stop it."""
    from ragfirst.llm import chat, local_server, usage

    os.environ["RAGFIRST_LLM_DTYPE"] = dtype
    if threads:
        os.environ["RAGFIRST_TORCH_THREADS"] = str(threads)
    else:
        os.environ.pop("RAGFIRST_TORCH_THREADS", None)
    started = time.perf_counter()
    server = local_server.ensure_local_server()
    cold_start = time.perf_counter() - started
    try:
        info = local_server.health(server.port, timeout=30, token=server.token)
        if info is None:
            raise RuntimeError(f"the server on port {server.port} did not answer /health: its dtype and threads are unknown")
        options = {"timeout": 900, "max_retries": 0, "log": usage.UsageLog()}
        chat.generate(prompt, max_tokens=2, **options)  # warm-up (first call allocates caches)
        prefill, total, tokens, prompt_tokens, answers = [], [], [], 0, []
        for _ in range(runs):
            one = chat.generate(prompt, max_tokens=1, **options)
            full = chat.generate(prompt, max_tokens=NEW_TOKENS, **options)
            prefill.append(one.seconds)
            total.append(full.seconds)
            tokens.append(full.completion_tokens)
            prompt_tokens = full.prompt_tokens
            answers.append(full.text)
    finally:
        local_server.stop_local_server()
    decode_rates = [(n - 1) / (t - p) for n, t, p in zip(tokens, total, prefill) if n > 1 and t > p]
    return {
        "dtype": info.get("dtype"),
        "threads": info.get("threads"),
        "cold_start_s": round(cold_start, 2),
        "prompt_tokens": prompt_tokens,
        "completion_tokens_mean": round(statistics.mean(tokens), 1),
        "latency_p50_s": round(statistics.median(total), 3),
        "latency_p90_s": round(percentiles(total, (90,))["p90"], 3),
        "prefill_p50_s": round(statistics.median(prefill), 3),
        "prefill_tokens_per_s": round(prompt_tokens / statistics.median(prefill), 1),
        "decode_tokens_per_s": round(statistics.median(decode_rates), 2) if decode_rates else None,
        "end_to_end_tokens_per_s": round(sum(tokens) / sum(total), 2),
        "meets_5s_target": statistics.median(total) <= TARGET_P50_S,
        "sample_answer": answers[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dtypes", default="auto", help="comma list of auto,float32,bfloat16")
    parser.add_argument("--threads", default="0", help="comma list of torch thread counts; 0 = server default (every core)")
    args = parser.parse_args(argv)
    config.apply_offline_defaults()
    ensure_converted(DEFAULT_MODEL)  # conversion is a one-off, not part of the cold start
    prompt = grounded_prompt(load_tokenizer())
    shared_models = model_dir()
    load_before = os.getloadavg()
    results = []
    saved_cache = os.environ.get("RAGFIRST_CACHE")
    with tempfile.TemporaryDirectory(prefix="llm-bench-") as private:
        (Path(private) / "models").mkdir()
        (Path(private) / "models" / shared_models.name).symlink_to(shared_models)
        os.environ["RAGFIRST_CACHE"] = private
        try:
            for dtype in args.dtypes.split(","):
                for threads in args.threads.split(","):
                    results.append(measure(dtype.strip(), int(threads), prompt, args.runs))
        finally:
            if saved_cache is None:
                os.environ.pop("RAGFIRST_CACHE", None)
            else:
                os.environ["RAGFIRST_CACHE"] = saved_cache
    load_after = os.getloadavg()
    cores = cpu.cores()
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": cores, "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "contended": max(load_before[0], load_after[0]) > cores,
        "new_tokens": NEW_TOKENS,
        "runs": args.runs,
        "target_p50_s": TARGET_P50_S,
        "results": results,
    }
    out = REPO / "reports" / "llm_bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for row in results:
            print(
                f"{row['dtype']:>8} × {row['threads']} threads: cold start {row['cold_start_s']} s, "
                f"p50 {row['latency_p50_s']} s for {row['prompt_tokens']}+{row['completion_tokens_mean']} tokens, "
                f"prefill {row['prefill_tokens_per_s']} tok/s, decode {row['decode_tokens_per_s']} tok/s"
            )
        print(f"load average {report['load_average_before']} → {report['load_average_after']} on {cores} CPUs; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
