"""`ragfirst index` and `ragfirst ask`: thin wrappers that print for a terminal."""

from __future__ import annotations

import json
from dataclasses import asdict


def run_index(args) -> int:
    """Build or refresh the index from data/corpus or the folder given."""
    from ragfirst.rag.corpus import MAX_FILES, MAX_TOTAL_BYTES
    from ragfirst.rag.index import build_index

    if args.max_files is not None and args.max_files < 1:
        raise ValueError(f"--max-files는 1 이상이어야 합니다 (지금 값: {args.max_files}).")
    if args.max_mb is not None and not args.max_mb > 0:
        raise ValueError(f"--max-mb는 0보다 커야 합니다 (지금 값: {args.max_mb}).")
    max_bytes = MAX_TOTAL_BYTES if args.max_mb is None else int(args.max_mb * 1_000_000)
    report = build_index(args.path, collection=args.collection, progress=not args.json,
                         follow_symlinks=args.follow_symlinks, max_files=MAX_FILES if args.max_files is None else args.max_files,
                         max_bytes=max_bytes)
    if args.json:
        print(json.dumps({**asdict(report), "changed": report.changed}, ensure_ascii=False))
    else:
        print(f"{report.describe()} — {report.seconds:.1f}초")
    return 0


def run_ask(args) -> int:
    """Answer one question from the index and print the sources."""
    from ragfirst.rag.question import check_question

    question = check_question(args.question)  # fail fast, before any model loads
    from ragfirst.rag.answer import answer
    from ragfirst.rag.retrieve import Retriever

    retriever = Retriever.open(args.collection)
    result = answer(question, retriever, k=args.k)
    if args.json:
        print(json.dumps(answer_dict(result), ensure_ascii=False))
        return 0
    print(result.render())
    for warning in result.warnings:
        print(f"주의: {warning}")
    if result.generation is not None:
        gen = result.generation
        print(f"({getattr(gen, 'model', '')}, {getattr(gen, 'seconds', 0.0):.1f}초, 신뢰도 {result.confidence:.2f})")
    else:
        print(f"(검색 신뢰도 {result.confidence:.2f}가 기준보다 낮아 모델을 호출하지 않았습니다)")
    return 0


def answer_dict(result) -> dict:
    """A JSON-friendly view of an Answer."""
    gen = result.generation
    return {
        "question": result.question,
        "answer": result.render(),
        "text": result.text,
        "declined": result.declined,
        "declined_by": result.declined_by,
        "confidence": round(result.confidence, 4),
        "sources": result.sources,
        "quotes": [{"doc_id": d, "sentence": s} for d, s in result.quotes],
        "warnings": result.warnings,
        "retrieved": [{"doc_id": h.doc_id, "chunk_id": h.chunk_id, "score": h.score} for h in result.hits],
        "model": getattr(gen, "model", None),
        "seconds": getattr(gen, "seconds", None),
    }
