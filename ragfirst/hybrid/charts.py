"""Charts for notebook 06: the confusion matrix and the cost of a route mix."""

from __future__ import annotations

import matplotlib.pyplot as plt

from ragfirst.hybrid.intent import IntentEvaluation

INTENT_LABELS = {"general_chat": "일반 대화", "knowledge_query": "지식 질문", "action_required": "작업 요청", "highly_specialized": "전문 분석"}


def plot_confusion(evaluation: IntentEvaluation, title: str = "의도 분류 혼동 행렬 (held-out)"):
    """Counts per (true, predicted) intent; the diagonal is what the router got right."""
    labels = [INTENT_LABELS.get(i, i) for i in evaluation.intents]
    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    ax.imshow(evaluation.confusion, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("예측")
    ax.set_ylabel("정답")
    peak = evaluation.confusion.max()
    for (row, col), value in __import__("numpy").ndenumerate(evaluation.confusion):
        ax.text(col, row, str(value), ha="center", va="center", color="white" if value > peak / 2 else "black")
    ax.set_title(f"{title}\n정확도 {evaluation.accuracy:.3f}")
    fig.tight_layout()
    return fig


def plot_cost_by_intent(cost: dict[str, float], model: str):
    """Stacked view of where the money for 1,000 requests goes."""
    intents = [k for k in cost if k != "total"]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.barh([INTENT_LABELS.get(i, i) for i in intents], [cost[i] for i in intents], color="#4c8bf5")
    ax.set_xlabel("USD / 요청 1,000건")
    ax.set_title(f"요청 1,000건 비용 ({model} 가격, 합계 ${cost['total']:.4f})")
    fig.tight_layout()
    return fig
