"""Check a question before any model is loaded, so bad input fails fast and clearly."""

from __future__ import annotations

from ragfirst.rag.errors import QuestionError
from ragfirst.rag.korean import has_hangul

MAX_QUESTION_CHARS = 1000  # a customer question is a few sentences; longer is pasted text


def check_question(question: str | None) -> str:
    """The question with whitespace collapsed; a Korean message naming the fix when it cannot be searched."""
    if question is None or not str(question).strip():
        raise QuestionError('질문이 비어 있습니다. 궁금한 내용을 한국어 문장으로 입력해 주세요. 예: "배송비는 얼마인가요?"')
    question = " ".join(str(question).split())
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"질문이 너무 깁니다({len(question):,}자). {MAX_QUESTION_CHARS:,}자 이하로 핵심만 적어 주세요."
        )
    if not has_hangul(question):
        raise QuestionError(
            "한국어로 질문해 주세요. 이 지식 베이스는 한국어 문서라서 영어 질문은 제대로 찾지 못합니다. "
            "(Please ask in Korean: the knowledge base is written in Korean.)"
        )
    return question
