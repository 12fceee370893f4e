"""Benchmark the hybrid assistant: routing accuracy, latency per route, cost per 1,000 requests.

    .venv/bin/python benchmarks/hybrid_bench.py [--json] [--requests PATH ...] [--per-intent N] [--price-model NAME]

Routing accuracy: the classifier trained on data/requests/train.jsonl + realistic_dev.jsonl,
evaluated on the held-out split and the realistic chat-style test split side by side
(or on each PATH, a labelled file in the same format), with the centroid baseline. Latency and
tokens: N requests per intent run end to end on the current LLM backend (local
server unless OPENAI_* is set). Cost: measured tokens × data/prices.csv prices for
--price-model, mixed by data/requests/route_mix.csv. Writes reports/hybrid_bench.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from ragfirst.hybrid.intent import IntentClassifier, embed_queries, evaluate
from ragfirst.hybrid.measure import local_token_counter, measure_routes, pick_per_intent
from ragfirst.hybrid.requests import REQUESTS_DIR, load_requests, training_requests
from ragfirst.hybrid.shop import build_shop_db
from ragfirst.hybrid.system import ModernAISystem
from ragfirst.hybrid.tools import ShopTools
from ragfirst.runtime.config import DEFAULT_OPENAI_MODEL, REPO_ROOT, apply_offline_defaults, select_backend


def routing(classifier: IntentClassifier, baseline: IntentClassifier, path: Path) -> dict:
    """Routing accuracy of the router and of the centroid baseline on one labelled file."""
    evaluated = load_requests(path)
    vectors = embed_queries([request.text for request in evaluated])  # once, for both classifiers
    result = evaluate(classifier, evaluated, vectors)
    return {
        "routing_accuracy": round(result.accuracy, 4),
        "routing_accuracy_centroid_baseline": round(evaluate(baseline, evaluated, vectors).accuracy, 4),
        "per_intent_recall": {k: round(v, 4) for k, v in result.per_intent_recall().items()},
        "confusion": {"labels": list(result.intents), "matrix": result.confusion.tolist()},
        "n_requests": len(evaluated),
        "requests_file": str(path),
    }


def run(requests_paths: list[Path], per_intent: int, price_model: str) -> dict:
    backend = select_backend()
    train = training_requests()
    started = time.perf_counter()
    classifier = IntentClassifier.fit(train)
    fit_seconds = time.perf_counter() - started
    baseline = IntentClassifier.fit(train, method="centroid")
    sets = {path.stem: routing(classifier, baseline, path) for path in requests_paths}
    evaluated = load_requests(requests_paths[0])
    with tempfile.TemporaryDirectory() as scratch:
        tools = ShopTools(build_shop_db(Path(scratch) / "shop.sqlite"), "C001")
        system = ModernAISystem(classifier, tools, backend=backend)
        count = local_token_counter() if backend.kind == "local" else None
        measurement = measure_routes(system, pick_per_intent(evaluated, per_intent), count, progress=False)
        audit_rows = len(tools.audit_rows())
        tools.close()
    classify_ms = []
    for request in evaluated[:50]:
        t0 = time.perf_counter()
        classifier.predict(request.text)
        classify_ms.append((time.perf_counter() - t0) * 1000)
    classify_ms.sort()
    cost = measurement.cost_per_1000(price_model)
    return {
        "sets": sets,
        "training_requests": len(train),
        "latency_p50_ms": measurement.latency_p50_ms(),
        "classify_p50_ms": round(classify_ms[len(classify_ms) // 2], 1),
        "classifier_fit_seconds": round(fit_seconds, 1),
        "cost_per_1000_requests": round(cost["total"], 4),
        "cost_per_1000_requests_by_intent": {k: round(v, 4) for k, v in cost.items() if k != "total"},
        "cost_currency": "USD",
        "price_model": price_model,
        "tokens_per_request": {k: {"prompt": round(v.prompt_tokens, 1), "completion": round(v.completion_tokens, 1)}
                               for k, v in measurement.mean_tokens().items()},
        "action_tokens_estimated": any(r.tokens_estimated for r in measurement.runs),
        "end_to_end_requests": len(measurement.runs),
        "audit_rows_written": audit_rows,
        "backend": backend.describe(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def markdown(report: dict) -> str:
    names = list(report["sets"])
    sets = report["sets"]
    lines = ["# Hybrid assistant benchmark", "", f"- measured: {report['measured_at']} ({report['backend']})",
             f"- router trained on {report['training_requests']} requests (train + realistic_dev)"]
    lines += [f"- {name}: {sets[name]['requests_file']} ({sets[name]['n_requests']})" for name in names]
    lines += ["", "| routing accuracy | " + " | ".join(names) + " |", "|---|" + "---|" * len(names),
              "| logistic (router) | " + " | ".join(f"{sets[n]['routing_accuracy']:.3f}" for n in names) + " |",
              "| centroid baseline | " + " | ".join(f"{sets[n]['routing_accuracy_centroid_baseline']:.3f}" for n in names) + " |"]
    for intent in sets[names[0]]["per_intent_recall"]:
        lines.append(f"| recall {intent} | " + " | ".join(f"{sets[n]['per_intent_recall'][intent]:.3f}" for n in names) + " |")
    lines += ["", "| metric | value |", "|---|---|",
             f"| classify p50 | {report['classify_p50_ms']} ms |",
             f"| cost per 1,000 requests ({report['price_model']}) | ${report['cost_per_1000_requests']:.4f} |"]
    lines += [f"| latency p50, route {route} | {ms} ms |" for route, ms in report["latency_p50_ms"].items()]
    if report["action_tokens_estimated"]:
        lines += ["", "Action-route tokens are estimated (the local backend uses the rule-based extractor; "
                  "tokens of the equivalent function-calling requests were counted with the local tokenizer)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--requests", type=Path, action="append", default=None,
                        help="labelled request file (JSONL: id, text, intent), repeatable (default: heldout and realistic_test)")
    parser.add_argument("--per-intent", type=int, default=5, help="requests per intent to run end to end (latency, tokens)")
    parser.add_argument("--price-model", default=DEFAULT_OPENAI_MODEL, help="model whose data/prices.csv rows price the tokens")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports", help="report directory")
    args = parser.parse_args(argv)
    apply_offline_defaults()
    try:
        paths = args.requests or [REQUESTS_DIR / "heldout.jsonl", REQUESTS_DIR / "realistic_test.jsonl"]
        report = run(paths, args.per_intent, args.price_model)
    except (ValueError, FileNotFoundError) as error:
        print(f"hybrid_bench: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hybrid_bench.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (args.out / "hybrid_bench.md").write_text(markdown(report), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
