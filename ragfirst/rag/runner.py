"""Run the pipeline over a labelled question set: the numbers behind notebook 02 and the benchmark.

Retrieval is scored on every question; generation, the slow part, can be run on a
fixed, stratified, seeded sample. The decline model is fitted on the dev split;
its signals are the same whichever mode (bm25, dense, hybrid) ranks the hits.
"""

from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ragfirst.rag import evaluate
from ragfirst.rag.answer import MAX_ANSWER_TOKENS, STOP, Answer, answer, render_closed_book_prompt
from ragfirst.rag.confidence import ConfidenceModel, features, fit
from ragfirst.rag.evaluate import Question
from ragfirst.rag.focus import search_message
from ragfirst.rag.retrieve import MODES, Retriever
from ragfirst.runtime.sourced import ANSWER_QUALITY_CSV, FACT_COLUMNS

RANK_DEPTH = 10
RATE_LABELS = {"decline_rate": "답 없는 질문 거절률", "answer_rate": "답 있는 질문 응답률"}  # table headers


@dataclass
class RetrievalRun:
    """Per-question rankings, latencies and confidence signals for one mode."""

    mode: str
    questions: list[Question]
    rankings: list[list[str]]
    seconds: list[float]
    signals: np.ndarray

    def metrics(self) -> dict[str, float]:
        answerable = [i for i, q in enumerate(self.questions) if q.answerable]
        return evaluate.retrieval_metrics([self.rankings[i] for i in answerable], [self.questions[i] for i in answerable])

    def latency_ms(self) -> dict[str, float]:
        return {k: v * 1000 for k, v in evaluate.percentiles(self.seconds).items()}


def run_retrieval(retriever: Retriever, questions: list[Question], mode: str) -> RetrievalRun:
    """Search every question once in ``mode`` as the answer pipeline does (a message with two
    questions searches each too); the time includes embedding the question."""
    rankings, seconds, signals = [], [], []
    for q in questions:
        started = time.perf_counter()
        result = search_message(retriever, q.question, k=RANK_DEPTH, mode=mode)
        seconds.append(time.perf_counter() - started)
        rankings.append(result.doc_ids())
        signals.append(features(result))
    return RetrievalRun(mode, questions, rankings, seconds, np.array(signals))


def fit_decline(dev_run: RetrievalRun, min_answer_rate: float = 0.9) -> ConfidenceModel:
    """The decline model for this mode, fitted on a dev-split run."""
    return fit(dev_run.signals, [q.answerable for q in dev_run.questions], min_answer_rate)


def decline_rates(run: RetrievalRun, model: ConfidenceModel) -> dict[str, float]:
    """Share of unanswerable questions declined and of answerable questions answered."""
    declined = [not model.answers(model.probability(x)) for x in run.signals]
    return _rates(declined, [q.answerable for q in run.questions])


def _rates(declined, answerable) -> dict[str, float]:
    """``decline_rate`` over the unanswerable questions and ``answer_rate`` over the answerable ones."""
    declined, answerable = np.asarray(declined, dtype=bool), np.asarray(answerable, dtype=bool)
    return {
        "decline_rate": float(declined[~answerable].mean()) if (~answerable).any() else float("nan"),
        "answer_rate": float((~declined[answerable]).mean()) if answerable.any() else float("nan"),
    }


def decline_tradeoff(dev_run: RetrievalRun, test_run: RetrievalRun, answer_rates=(0.85, 0.9, 0.95)):
    """Declines vs answers on test for decline models fitted on dev at several answer rates.

    One threshold cannot serve both goals when the unanswerable questions are on
    topic; the table shows what each choice costs.
    """
    import pandas as pd

    rows = []
    for rate in answer_rates:
        model = fit_decline(dev_run, rate)
        rows.append({"dev에서 맞춘 응답률": rate, **decline_rates(test_run, model)})
    return pd.DataFrame(rows).set_index("dev에서 맞춘 응답률").rename(columns=RATE_LABELS).round(3)


def stratified_sample(questions: list[Question], n: int, seed: int = 42) -> list[Question]:
    """``n`` questions spread evenly over styles (unanswerable included), reproducibly."""
    if n >= len(questions):
        return list(questions)
    rng = random.Random(seed)
    by_style: dict[str, list[Question]] = {}
    for q in questions:
        by_style.setdefault(q.style or ("answerable" if q.answerable else "unanswerable"), []).append(q)
    pools = {style: rng.sample(items, len(items)) for style, items in sorted(by_style.items())}
    chosen: list[Question] = []
    while len(chosen) < n:
        for style in sorted(pools):
            if pools[style] and len(chosen) < n:
                chosen.append(pools[style].pop())
    return sorted(chosen, key=lambda q: q.qid)


@dataclass
class AnswerRun:
    """Generated answers for a set of questions, with and without retrieval."""

    mode: str
    rows: list[dict] = field(default_factory=list)

    def accuracy(self) -> float:
        """Answerable questions whose answer contains every key fact (a decline counts as wrong)."""
        rows = [r for r in self.rows if r["answerable"]]
        return float(np.mean([r["correct"] for r in rows])) if rows else float("nan")

    def handled_rate(self) -> float:
        """Every question handled acceptably: an answer with every key fact, or a decline when the
        documents do not answer. The share the ROI model calls "expected performance"."""
        return float(np.mean([r["correct"] for r in self.rows])) if self.rows else float("nan")

    def model_calls(self) -> list[dict]:
        """The rows that called the model: all but declines by the retrieval gate (a model that
        declines still costs time and tokens)."""
        return [r for r in self.rows if r.get("declined_by") != "retrieval"]

    def seconds(self) -> list[float]:
        return [r["seconds"] for r in self.model_calls()]

    def mean_tokens(self) -> tuple[float, float]:
        """Mean prompt and completion tokens per model call (nan when there was none)."""
        calls = self.model_calls()
        if not calls:
            return float("nan"), float("nan")
        return (float(np.mean([r["prompt_tokens"] for r in calls])), float(np.mean([r["completion_tokens"] for r in calls])))

    def paraphrase_left_out_rate(self) -> float:
        """Share of the answered questions whose reply lost the model's sentence to a number not in its prompt."""
        answered = [r for r in self.rows if not r["declined"]]
        return float(np.mean([bool(r["invented_numbers"]) for r in answered])) if answered else float("nan")

    def end_to_end_rates(self) -> dict[str, float]:
        """Declines and answers over these rows, retrieval gate and model together."""
        rates = _rates([r["declined"] for r in self.rows], [r["answerable"] for r in self.rows])
        return {
            "end_to_end_decline_rate": rates["decline_rate"],
            "end_to_end_answer_rate": rates["answer_rate"],
            "model_declines": sum(r.get("declined_by") == "model" for r in self.rows),
        }


def run_answers(retriever: Retriever, questions: list[Question], mode: str, model: ConfidenceModel, generate=None) -> AnswerRun:
    """Answer each question with retrieval in ``mode`` (decline model included)."""
    run = AnswerRun(mode)
    for q in questions:
        started = time.perf_counter()
        result: Answer = answer(q.question, retriever, model=model, generate=generate, mode=mode)
        seconds = time.perf_counter() - started
        text = "" if result.declined else result.render()
        gen = result.generation
        run.rows.append(
            {
                "id": q.qid,
                "answerable": q.answerable,
                "declined": result.declined,
                "declined_by": result.declined_by,
                "correct": (not result.declined and evaluate.has_key_facts(text, q.key_facts)) if q.answerable else result.declined,
                "generated_correct": bool(q.answerable and not result.declined and evaluate.has_key_facts(result.text, q.key_facts)),
                "invented_numbers": result.invented_numbers,  # the model's sentence was left out for them
                "seconds": seconds,
                "prompt_tokens": getattr(gen, "prompt_tokens", 0),
                "completion_tokens": getattr(gen, "completion_tokens", 0),
                "answer": text,
            }
        )
    return run


def run_closed_book(questions: list[Question], generate=None, max_tokens: int = MAX_ANSWER_TOKENS) -> AnswerRun:
    """The same model and settings without any document: what it 'knows' about the company."""
    if generate is None:
        from ragfirst.llm import chat

        generate = chat.generate
    run = AnswerRun("none")
    for q in questions:
        started = time.perf_counter()
        gen = generate(render_closed_book_prompt(q.question), max_tokens=max_tokens, temperature=0.0, stop=STOP)
        text = gen.text.strip()
        run.rows.append(
            {
                "id": q.qid,
                "answerable": q.answerable,
                "declined": False,
                "correct": evaluate.has_key_facts(text, q.key_facts) if q.answerable else False,
                "generated_correct": evaluate.has_key_facts(text, q.key_facts) if q.answerable else False,
                "seconds": time.perf_counter() - started,
                "prompt_tokens": gen.prompt_tokens,
                "completion_tokens": gen.completion_tokens,
                "answer": text,
            }
        )
    return run


def compare_sets(runs: dict[str, tuple[RetrievalRun, AnswerRun]], model: ConfidenceModel, digits: int = 3):
    """One row per question set: retrieval, the gate and answer accuracy (on the answered sample) side by side,
    so a set of short questions and a set of chat messages are judged by the same table."""
    import pandas as pd

    rows = {}
    for name, (retrieval, answers) in runs.items():
        metrics = retrieval.metrics()
        rates = decline_rates(retrieval, model)
        rows[name] = {"recall@5": metrics["recall_at_5"], "MRR": metrics["mrr"],
                      **{RATE_LABELS[k]: rates[k] for k in ("answer_rate", "decline_rate")},
                      "정답률(표본)": answers.accuracy()}
    return pd.DataFrame(rows).T.round(digits)


def metrics_table(runs: dict[str, RetrievalRun], digits: int = 3):
    """recall@1, recall@5, MRR, nDCG@10 per mode, one row each."""
    import pandas as pd

    return pd.DataFrame({mode: run.metrics() for mode, run in runs.items()}).T.round(digits)


def latency_table(runs: dict[str, RetrievalRun], digits: int = 1):
    """Retrieval latency percentiles in milliseconds per mode."""
    import pandas as pd

    return pd.DataFrame({mode: run.latency_ms() for mode, run in runs.items()}).T.round(digits)


def cost_per_1000(prompt_tokens: float, completion_tokens: float, models: list[str]):
    """Cost of 1,000 questions at the measured mean token counts, priced from data/prices.csv.

    ``models`` are price-table names (``gpt-6-luna``, ``local``…). Token counts
    come from the local model's tokenizer, so API figures are an estimate.
    """
    import pandas as pd

    from ragfirst.llm import usage
    from ragfirst.runtime import sourced

    usd_krw = sourced.value(sourced.load_prices(), "fx.usd_krw")
    rows = []
    for name in models:
        kind = "local" if name == "local" else "openai"
        cost, source = usage.estimate_cost(name, kind, prompt_tokens, completion_tokens)
        usd = None if cost is None else cost * 1000
        rows.append(
            {
                "model": name,
                "usd_per_1000": None if usd is None else round(usd, 4),
                "krw_per_1000": None if usd is None else round(usd * usd_krw),
                "price_source": source,
            }
        )
    return pd.DataFrame(rows).set_index("model")


__all__ = ["MODES", "RATE_LABELS", "RetrievalRun", "AnswerRun", "run_retrieval", "fit_decline", "decline_rates", "decline_tradeoff", "stratified_sample", "run_answers", "compare_sets", "run_closed_book", "metrics_table", "latency_table", "cost_per_1000"]




def record_answer_quality(runs: dict[str, AnswerRun], source: str, date: str, path: Path = ANSWER_QUALITY_CSV) -> Path:
    """Replace the ``measured.*`` rows of data/rag/answer_quality.csv with these runs (one per question set).

    The other rows (published figures for API models) stay. Written to a temporary file and
    renamed, so an interrupted run leaves the old table.
    """
    kept = []
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            kept = [row for row in csv.DictReader(handle) if not row["item"].startswith("measured.")]
    rows = []
    for name, run in runs.items():
        n, answerable = len(run.rows), sum(r["answerable"] for r in run.rows)
        note = f"{name} 질문 {n}개(답이 있는 질문 {answerable}개), {run.mode} 검색"
        rows.append({"item": f"measured.{name}.handled_rate", "value": f"{run.handled_rate():.4f}", "unit": "share",
                     "source": source, "date": date,
                     "note": note + "; 핵심 사실을 모두 담아 답하거나, 답이 없는 질문에 답을 거절한 비율"})
        rows.append({"item": f"measured.{name}.answer_accuracy", "value": f"{run.accuracy():.4f}", "unit": "share",
                     "source": source, "date": date, "note": note + "; 답이 있는 질문 가운데 핵심 사실을 모두 담아 답한 비율"})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FACT_COLUMNS, lineterminator="\n")  # as the other data tables
        writer.writeheader()
        writer.writerows(rows + kept)
    tmp.replace(path)
    return path
