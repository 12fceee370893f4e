"""RAG benchmark: retrieval quality, declines, answer accuracy and latency, hybrid vs dense vs BM25.

    .venv/bin/python benchmarks/rag_bench.py                  # both test splits, full
    .venv/bin/python benchmarks/rag_bench.py --questions my.jsonl --json
    .venv/bin/python benchmarks/rag_bench.py --sample 40      # generate for 40 questions per set only
    .venv/bin/python benchmarks/rag_bench.py --answer-modes hybrid --record  # also data/rag/answer_quality.csv (notebook 04)

A 40-question sample is quick but not the figure to record: on 2026-12-07 it gave test answer
accuracy 0.657 where all 157 answerable test questions gave 0.586, and 0.541 where realistic_test gave 0.613.

Builds a fresh index of data/corpus in a temporary folder (timed), fits the decline
model on the dev splits (as DEFAULT_MODEL is; the same for every mode), then evaluates each
question file: by default the shipped test split and the realistic chat-style test
split side by side. Writes reports/rag_bench.json and reports/rag_bench.md; ``--json``
prints {"sets": {"test": {"hybrid": {...}, "dense": {...}, "bm25": {...},
"answer_p50_s": …}, "realistic_test": {...}}, "index_seconds": …}.
Timings depend on the machine's load: the report records the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ragfirst.runtime import config  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, action="append", default=None,
                        help="question file in the shipped JSONL format, repeatable (default: test and realistic_test)")
    parser.add_argument("--answer-modes", default="hybrid,dense,bm25", help="modes to generate answers for (comma-separated)")
    parser.add_argument("--json", action="store_true", help="print the result object as JSON")
    parser.add_argument("--sample", type=int, default=0, help="generate answers for a stratified sample of N questions (0 = all)")
    parser.add_argument("--no-generate", action="store_true", help="retrieval and declines only (no LLM calls)")
    parser.add_argument("--out", type=Path, default=REPO / "reports", help="report folder")
    parser.add_argument("--record", action="store_true",
                        help="write the hybrid answer quality per set to data/rag/answer_quality.csv (read by notebook 04)")
    args = parser.parse_args(argv)
    if args.record and (args.no_generate or "hybrid" not in args.answer_modes.split(",")):
        parser.error("--record needs generated hybrid answers (no --no-generate, hybrid in --answer-modes)")

    config.apply_offline_defaults()
    from ragfirst.rag import store
    from ragfirst.rag.evaluate import dev_questions, load_questions, percentiles, questions_path
    from ragfirst.rag.index import build_index
    from ragfirst.rag.retrieve import MODES, Retriever
    from ragfirst.rag.runner import (decline_rates, fit_decline, record_answer_quality, run_answers, run_closed_book,
                                     run_retrieval, stratified_sample)

    files = args.questions or [questions_path("test"), questions_path("realistic_test")]
    sets = {Path(f).stem: load_questions(f) for f in files}  # fail fast on a bad file
    dev = dev_questions()  # the splits DEFAULT_MODEL is fitted on
    load_before = os.getloadavg()[0]
    answer_modes = [m for m in args.answer_modes.split(",") if m]
    outputs, metas, all_runs = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        client = store.open_client(Path(tmp) / "chroma")
        started = time.perf_counter()
        build_index(collection="rag-bench", client=client)
        index_seconds = time.perf_counter() - started
        retriever = Retriever.open("rag-bench", client=client)
        retriever.search("워밍업 질문입니다", k=5)  # load Kiwi and the embedder outside the timings
        # the gate's signals do not depend on the ranking mode, so one model fitted on dev serves all three
        decline_model = fit_decline(run_retrieval(retriever, dev, "hybrid"))
        for name, questions in sets.items():
            sample = questions if args.no_generate else stratified_sample(questions, args.sample or len(questions))
            results, runs = {}, {}
            closed = None if args.no_generate else run_closed_book(sample)
            for mode in ("hybrid", "dense", "bm25"):
                run = run_retrieval(retriever, questions, mode)
                entry = {**run.metrics(), **decline_rates(run, decline_model)}
                latency = run.latency_ms()
                entry["retrieval_p50_ms"] = latency["p50"]
                entry["retrieval_p90_ms"] = latency["p90"]
                entry["retrieval_p99_ms"] = latency["p99"]
                entry["answer_accuracy"] = None
                if not args.no_generate and mode in answer_modes:
                    answers = run_answers(retriever, sample, mode, decline_model)
                    entry["answer_accuracy"] = answers.accuracy()
                    entry["generated_text_accuracy"] = _mean([r["generated_correct"] for r in answers.rows if r["answerable"]])
                    entry["paraphrase_left_out"] = answers.paraphrase_left_out_rate()
                    entry["answer_p50_s"] = percentiles(answers.seconds())["p50"]
                    entry.update(answers.end_to_end_rates())  # an API model may also decline (answer.ABSTAIN_RULE)
                    runs[mode] = answers
                results[mode] = entry
            output = {mode: results[mode] for mode in MODES}
            output["answer_p50_s"] = results["hybrid"].get("answer_p50_s")
            outputs[name], all_runs[name] = output, runs
            metas[name] = {
                "questions_file": str(next(f for f in files if Path(f).stem == name)),
                "questions": len(questions),
                "answerable": sum(q.answerable for q in questions),
                "generated_for": 0 if args.no_generate else len(sample),
                "closed_book_accuracy": None if closed is None else closed.accuracy(),
                "closed_book_tokens": _tokens(closed),
                "hybrid_tokens": _tokens(runs.get("hybrid")),
            }
    meta = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sets": metas,
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "backend": _backend(),
    }
    output = {"sets": outputs, "index_seconds": index_seconds}
    if args.record:
        sample_note = f" --sample {args.sample}" if args.sample else ""
        from ragfirst.llm.chat import resolve_backend

        backend = resolve_backend()
        source = (f"측정: benchmarks/rag_bench.py{sample_note} --answer-modes hybrid --record; "
                  f"백엔드 {backend.kind}, 모델 {backend.model}; CPU {os.cpu_count()}코어")
        path = record_answer_quality({name: runs["hybrid"] for name, runs in all_runs.items()}, source, meta["date"][:10])
        print(f"recorded {path}", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rag_bench.json").write_text(
        json.dumps({"results": output, "meta": meta,
                    "answers": {name: {mode: run.rows for mode, run in runs.items()} for name, runs in all_runs.items()}},
                   ensure_ascii=False, indent=2, default=float),
        encoding="utf-8",
    )
    markdown = render_markdown(output, meta)
    (args.out / "rag_bench.md").write_text(markdown, encoding="utf-8")
    print(json.dumps(output, ensure_ascii=False, default=float) if args.json else markdown)
    return 0


def _mean(values):
    return sum(values) / len(values) if values else None


def _tokens(run) -> dict | None:
    calls = run.model_calls() if run is not None else []
    if not calls:
        return None
    prompt, completion = run.mean_tokens()
    return {"calls": len(calls), "prompt_tokens_mean": prompt, "completion_tokens_mean": completion}


def _backend() -> str:
    from ragfirst.llm import chat

    return chat.describe_backend()


TARGETS = {  # issue 14
    "recall_at_5": ">= 0.93",
    "decline_rate": ">= 0.60",
    "answer_rate": ">= 0.85",
    "answer_accuracy": ">= 0.65 test, >= 0.60 realistic",
    "answer_p50_s": "<= 3",
}


KEYS = [
    "recall_at_1", "recall_at_5", "mrr", "ndcg_at_10", "decline_rate", "answer_rate",
    "answer_accuracy", "generated_text_accuracy", "paraphrase_left_out", "end_to_end_decline_rate", "end_to_end_answer_rate",
    "model_declines", "retrieval_p50_ms", "retrieval_p90_ms", "answer_p50_s",
]


def render_markdown(output: dict, meta: dict) -> str:
    """The report: the sets side by side (hybrid), then every figure per mode for each set."""
    names = list(output["sets"])
    lines = [
        "# RAG benchmark",
        "",
        f"- date: {meta['date']}; backend: {meta['backend']}",
        f"- machine: {meta['cpu_count']} CPUs, load average {meta['load_average_before']:.1f} → {meta['load_average_after']:.1f}",
        f"- index build (fresh, data/corpus): {output['index_seconds']:.1f} s",
        "",
        "## Hybrid, the sets side by side",
        "",
        "| metric | " + " | ".join(names) + " | target |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for key in KEYS:
        row = [_fmt(output["sets"][name]["hybrid"].get(key)) for name in names]
        lines.append(f"| {key} | " + " | ".join(row) + f" | {TARGETS.get(key, '')} |")
    lines.append("| closed_book_accuracy | " + " | ".join(_fmt(meta["sets"][n]["closed_book_accuracy"]) for n in names) + " | |")
    for name in names:
        m, out = meta["sets"][name], output["sets"][name]
        lines += [
            "",
            f"## {name}: {m['questions_file']} ({m['questions']}, answerable {m['answerable']}; answers generated for {m['generated_for']})",
            "",
            "| metric | hybrid | dense | bm25 (baseline) | target |",
            "|---|---|---|---|---|",
        ]
        for key in KEYS:
            row = [_fmt(out[mode].get(key)) for mode in ("hybrid", "dense", "bm25")]
            lines.append(f"| {key} | " + " | ".join(row) + f" | {TARGETS.get(key, '')} |")
    lines.append("")
    lines.append("Retrieval metrics are over answerable questions; one decline model, fitted on the dev splits, gates every mode (its signals do not depend on the ranking).")
    lines.append("decline_rate and answer_rate are the retrieval gate's, over every question; the end_to_end rates are over "
                 "the generated sample and also count replies in which the model itself declined (model_declines). "
                 "answer_accuracy counts a key fact anywhere in the reply (quoted sentences included); "
                 "generated_text_accuracy only in the model's own sentence.")
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
