"""The RAG service under load, on loopback: latency, throughput, time to first word, memory, overload.

Starts a real `ragfirst serve` (private cache dir and LLM server, the course corpus,
queue of 16) on 127.0.0.1, then sends bounded batches of requests with an asyncio +
httpx client:

- ``retrieval_only``: POST /v1/search (embedding + BM25 + chroma, no generation);
- ``answered``: POST /v1/ask with answerable dev questions (the local model writes);
- ``ttft_p50_s``: time to the first streamed ``token`` event of POST /v1/ask with stream;
- ``overload``: a rate-limited key bursting (429 + Retry-After), more answers at once than
  the queue holds (503 + Retry-After, shed at once), then /health, /ready and one more
  answer, and the request log counted against what was sent.

Targets on 2 cores: retrieval-only p50 <= 50 ms at concurrency 4, ttft_p50_s <= 1.5 s with
the local model, no 5xx at any concurrency. Every batch has a request count and the whole
run a time budget; the script stops the service by itself. Writes reports/serve_bench.json.

    .venv/bin/python benchmarks/serve_bench.py [--json] [--search N] [--answers N] [--budget S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ragfirst.rag.evaluate import percentiles  # noqa: E402
from ragfirst.runtime import config, cpu  # noqa: E402
from ragfirst.runtime.jsonl import read_jsonl  # noqa: E402
from ragfirst.service import launch  # noqa: E402

CONCURRENCY = (1, 4, 16)
QUEUE = 16  # generations waiting per worker: concurrency 16 fits (1 running + 16 waiting)
TARGETS = {"retrieval_only_p50_ms_at_4": 50.0, "ttft_p50_s": 1.5, "errors_5xx": 0}
REQUEST_TIMEOUT = 300.0


class Budget:
    """The whole run's time budget: a batch that would start after it is skipped, not cut."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


async def _send(client, method: str, path: str, body: dict | None, sent: Counter) -> tuple[int, float, dict]:
    started = time.perf_counter()
    try:
        response = await client.request(method, path, json=body)
        status = response.status_code
    except Exception:  # noqa: BLE001 - a dropped connection counts as a failure, never hides
        status = 599
        response = None
    sent[status] += 1
    return status, (time.perf_counter() - started) * 1000, dict(response.headers) if response is not None else {}


async def batch(url: str, key: str, path: str, bodies: list[dict], concurrency: int, sent: Counter) -> dict:
    """Send ``bodies`` with at most ``concurrency`` in flight; latency percentiles, rps and 5xx."""
    import httpx

    limit = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=REQUEST_TIMEOUT,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(body):
            async with limit:
                return await _send(client, "POST", path, body, sent)

        started = time.perf_counter()
        results = await asyncio.gather(*(one(b) for b in bodies))
        elapsed = time.perf_counter() - started
    latencies = [ms for status, ms, _ in results if status < 400]
    points = percentiles(latencies, (50, 95)) if latencies else {"p50": None, "p95": None}
    return {
        "requests": len(results),
        "p50_ms": None if points["p50"] is None else round(points["p50"], 1),
        "p95_ms": None if points["p95"] is None else round(points["p95"], 1),
        "rps": round(len(latencies) / elapsed, 2),
        "errors_5xx": sum(status >= 500 for status, _, _ in results),
        "statuses": dict(Counter(str(status) for status, _, _ in results)),
        "retry_after": sorted({int(h["retry-after"]) for status, _, h in results if status in (429, 503) and "retry-after" in h}),
        "refused_without_retry_after": sum(status in (429, 503) and "retry-after" not in h for status, _, h in results),
    }


async def ttft(url: str, key: str, questions: list[str], sent: Counter) -> list[float]:
    """Seconds from sending a streamed question to its first ``token`` event (declined answers have none)."""
    import httpx

    found = []
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=REQUEST_TIMEOUT) as client:
        for question in questions:
            started = time.perf_counter()
            first = None
            async with client.stream("POST", "/v1/ask", json={"question": question, "stream": True}) as response:
                sent[response.status_code] += 1
                async for line in response.aiter_lines():
                    if first is None and line.startswith("event: token"):
                        first = time.perf_counter() - started
            if first is not None:
                found.append(first)
    return found


async def overload(running: launch.Running, key: str, questions: list[str], searches: list[str], sent: Counter) -> dict:
    """Rate limiting and the generation queue under more load than they admit; then is the service still well?"""
    import httpx

    limited = running.new_key("bench-limited", per_minute=60, burst=5)
    limited_sent: Counter = Counter()
    rate = await batch(running.url, limited, "/v1/search", [{"question": q} for q in searches[:30]], 30, limited_sent)
    burst = len(questions)
    queue = await batch(running.url, key, "/v1/ask", [{"question": q} for q in questions], burst, sent)
    async with httpx.AsyncClient(base_url=running.url, timeout=REQUEST_TIMEOUT) as client:
        health = (await client.get("/health")).status_code
        ready = (await client.get("/ready")).status_code
    after = await batch(running.url, key, "/v1/ask", [{"question": questions[0]}], 1, sent)
    return {
        "rate_limit": {"key": "60/min, burst 5", "sent": 30, "statuses": rate["statuses"],
                       "limited_429": rate["statuses"].get("429", 0),
                       "every_429_has_retry_after": rate["refused_without_retry_after"] == 0,
                       "retry_after_s": rate["retry_after"]},
        "queue": {"slots": 1, "queue": QUEUE, "sent_at_once": burst, "statuses": queue["statuses"],
                  "shed_503": queue["statuses"].get("503", 0), "answered_200": queue["statuses"].get("200", 0),
                  "retry_after_s": queue["retry_after"], "every_503_has_retry_after": queue["refused_without_retry_after"] == 0,
                  "p95_ms_of_answered": queue["p95_ms"]},
        "after": {"health": health, "ready": ready, "answer_status": next(iter(after["statuses"])),
                  "process_alive": running.process.poll() is None},
        "limited_sent": dict(limited_sent),
    }


def logged(database: Path, name: str) -> Counter:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT r.status FROM requests r JOIN keys k ON k.id = r.key_id WHERE k.name = ?", (name,))
        return Counter(status for (status,) in rows)


def rss_mb(pid: int) -> float:
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


async def run(running: launch.Running, args, budget: Budget) -> dict:
    questions = [record for _, record in read_jsonl(config.DATA_DIR / "questions" / "dev.jsonl")]
    searches = [q["question"] for q in questions]
    answerable = [q["question"] for q in questions if q["answerable"]]
    key = running.new_key("bench")
    sent: Counter = Counter()
    report: dict = {"retrieval_only": {}, "answered": {}, "skipped": []}
    await batch(running.url, key, "/v1/search", [{"question": q} for q in searches[:3]], 1, sent)  # warm-up
    await batch(running.url, key, "/v1/ask", [{"question": answerable[0]}], 1, sent)
    stages = [("retrieval_only", "/v1/search", searches, args.search, 30), ("answered", "/v1/ask", answerable, args.answers, 120)]
    for kind, path, pool, count, needed_s in stages:
        for level in CONCURRENCY:
            if budget.left() < needed_s:  # not enough time left for this batch: skip it, say so
                report["skipped"].append(f"{kind} {level}")
                continue
            bodies = [{"question": pool[i % len(pool)]} for i in range(max(count, level))]
            report[kind][str(level)] = await batch(running.url, key, path, bodies, level, sent)
    times = await ttft(running.url, key, answerable[1 : 1 + args.ttft], sent)
    report["ttft_samples"] = len(times)
    report["ttft_p50_s"] = round(percentiles(times, (50,))["p50"], 3) if times else None
    report["rss_mb"] = rss_mb(running.process.pid)
    llm = running_llm_pid(running)
    report["llm_server_rss_mb"] = rss_mb(llm) if llm else None
    if budget.left() > 120:
        over = await overload(running, key, answerable[: QUEUE + 1 + args.shed], searches, sent)
        limited_sent = Counter({int(k): v for k, v in over.pop("limited_sent").items()})
        await asyncio.sleep(1.0)  # the last rows are written just after their responses
        over["log"] = {"bench_sent": sum(sent.values()), "bench_logged": sum(logged(running.database, "bench").values()),
                       "limited_sent": sum(limited_sent.values()),
                       "limited_logged": sum(logged(running.database, "bench-limited").values())}
        over["log"]["no_rows_lost"] = (logged(running.database, "bench") == sent
                                       and logged(running.database, "bench-limited") == limited_sent)
        over["nothing_crashed"] = (over["after"]["process_alive"] and over["after"]["health"] == 200
                                   and over["after"]["ready"] == 200 and over["after"]["answer_status"] == "200")
        report["overload"] = over
    else:
        report["skipped"].append("overload")
    return report


def running_llm_pid(running: launch.Running) -> int | None:
    import subprocess

    code = "from ragfirst.llm import local_server as s; r = s.running_server(); print(r.pid if r else '')"
    done = subprocess.run([sys.executable, "-c", code], env=running.env, capture_output=True, text=True, timeout=120)
    return int(done.stdout) if done.stdout.strip() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--search", type=int, default=60, help="retrieval-only requests per concurrency level")
    parser.add_argument("--answers", type=int, default=8, help="answered requests per level (at least the concurrency)")
    parser.add_argument("--ttft", type=int, default=5, help="streamed questions for the time to first word")
    parser.add_argument("--shed", type=int, default=8, help="overload: answers sent at once beyond what the queue holds")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds for the whole run; later batches are skipped")
    args = parser.parse_args(argv)
    config.apply_offline_defaults()
    budget = Budget(args.budget)
    load_before = os.getloadavg()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as folder:
        env = {"RAGFIRST_SERVICE_QUEUE": str(QUEUE), "RAGFIRST_LLM_TIMEOUT": "120"}
        os.environ.pop("RAGFIRST_CHROMA_URL", None)
        running = launch.start(Path(folder), config.DATA_DIR / "corpus", **env)
        setup_s = time.monotonic() - started
        try:
            report = asyncio.run(run(running, args, budget))
        finally:
            running.stop()
    load_after = os.getloadavg()
    cores = cpu.cores()
    retrieval_4 = report["retrieval_only"].get("4", {}).get("p50_ms")
    all_levels = list(report["retrieval_only"].values()) + list(report["answered"].values())
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "benchmarks/serve_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {"cpus": cores, "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "contended": max(load_before[0], load_after[0]) > cores,
        "setup_s": round(setup_s, 1),
        **report,
        "targets": TARGETS,
        "meets_targets": {
            "retrieval_only_p50_ms_at_4": retrieval_4 is not None and retrieval_4 <= TARGETS["retrieval_only_p50_ms_at_4"],
            "ttft_p50_s": report["ttft_p50_s"] is not None and report["ttft_p50_s"] <= TARGETS["ttft_p50_s"],
            "no_5xx": all(level["errors_5xx"] == 0 for level in all_levels),
        },
        "total_s": round(time.monotonic() - started, 1),
    }
    out = REPO / "reports" / "serve_bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for kind in ("retrieval_only", "answered"):
            for level, row in report[kind].items():
                print(f"{kind:>14} c={level:>2}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, {row['rps']} rps, 5xx {row['errors_5xx']}")
        print(f"ttft p50 {report['ttft_p50_s']} s; service RSS {report['rss_mb']} MB; targets met: {report['meets_targets']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
