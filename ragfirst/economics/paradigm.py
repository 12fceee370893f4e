"""The paradigm shift itself (notebook 01): the source documents' comparison tables, restated.

The course's two source documents (원문 000 and 002, described in docs/sources.md)
argue in words; the checkable parts are numbers in :mod:`ragfirst.economics.hardware`
(memory, speed, training compute), :mod:`ragfirst.economics.costs` (API vs GPU,
one workload three ways) and :mod:`ragfirst.economics.money` (how amounts are printed).
"""

from __future__ import annotations

from pathlib import Path

from ragfirst.economics.checklists import CHECKLISTS
from ragfirst.runtime.config import DATA_DIR
from ragfirst.runtime.sourced import sourced_rows

APPROACHES_CSV = DATA_DIR / "approaches.csv"


def load_approaches(path: Path = APPROACHES_CSV):
    """RAG vs fine-tuning vs own training (원문 000 §4, see docs/sources.md) as a DataFrame, aspects as rows."""
    import pandas as pd

    columns = ("aspect_key", "aspect", "rag", "finetuning", "own_training", "source", "date")
    frame = pd.DataFrame([row for _, row in sourced_rows(path, columns, ("aspect_key",), optional=())], columns=columns)
    table = frame.set_index("aspect")[["rag", "finetuning", "own_training"]]
    table.columns = ["RAG (벡터DB + LLM API)", "파인튜닝", "자체 모델 학습"]
    table.index.name = "항목"
    return table


PARADIGM_SOURCE = "원문 002 (docs/sources.md): 패러다임 변화 요약"
# The seed wrote "2024"; the course checked the column against the tables of December 2026.
PARADIGM_NOW = "2024년 이후 (2026년 12월 기준)"
PARADIGM_SHIFT = {
    "2020–2022": {
        "주류": "파인튜닝",
        "사고방식": "우리만의 모델을 만들자",
        "비용": "높음",
        "복잡도": "높음",
        "유연성": "낮음",
    },
    PARADIGM_NOW: {
        "주류": "RAG + 도구 사용 + 프롬프트 엔지니어링",
        "사고방식": "기존 모델을 똑똑하게 활용하자",
        "비용": "낮음",
        "복잡도": "중간",
        "유연성": "높음",
    },
}
PARADIGM_CORE = "소유에서 활용으로"


def paradigm_table():
    """The 2020–2022 → 2024 summary of 원문 002, restated in the course's terms (aspects as rows), dated to the tables."""
    import pandas as pd

    frame = pd.DataFrame(PARADIGM_SHIFT)
    frame.index.name = "관점"
    return frame


def checklist_preview():
    """원문 002's two checklists (text only), as ``ragfirst.economics.checklists`` holds them for notebook 05."""
    import pandas as pd

    titles = {"before_finetuning": "파인튜닝 전에 확인", "alternatives_first": "대안 기술 먼저 검토"}
    rows = [(titles.get(name, name), i, "☐ " + item.text)
            for name, items in CHECKLISTS.items() for i, item in enumerate(items, start=1)]
    return pd.DataFrame(rows, columns=["체크리스트", "번호", "항목 (원문)"]).set_index(["체크리스트", "번호"])
