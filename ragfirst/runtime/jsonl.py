"""Line-by-line JSON files (one object per line), read strictly.

Every labelled file of the course (questions, requests, training examples) uses
this format. A broken line stops the read with ``file:line`` and the field at
fault, because a silently skipped example would change a metric or a model
without anyone noticing.
"""

from __future__ import annotations

import json
from pathlib import Path


def parse_object(text: str, where: str, error: type[ValueError] = ValueError) -> dict:
    """One JSON object from ``text``; anything else raises ``error`` prefixed with ``where``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as problem:
        raise error(f"{where}: JSON으로 읽을 수 없습니다 ({problem.msg}, {problem.pos}번째 문자). JSON 객체 하나를 적어 주세요.") from None
    if not isinstance(value, dict):
        raise error(f"{where}: JSON 객체({{...}})가 아닙니다 (받은 형식: {type(value).__name__}).")
    return value


def read_jsonl(
    path: Path | str,
    text_fields: tuple[str, ...] = (),
    fields: tuple[str, ...] = (),
    error: type[ValueError] = ValueError,
    example: str = "",
) -> list[tuple[str, dict]]:
    """``(where, record)`` for each non-blank line; ``where`` is ``file:line`` for later messages.

    ``text_fields`` must be non-empty strings, ``fields`` only present. ``error`` is the
    exception raised for bad content; ``example`` names a file in the right format.
    """
    path = Path(path)
    hint = f" 형식은 {example}을(를) 참고해 주세요." if example else ""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 파일이 없습니다. 경로를 확인해 주세요.{hint}")
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            record = parse_object(line, where, error)
            for name in text_fields:
                if not isinstance(record.get(name), str) or not record[name].strip():
                    raise error(f"{where}: '{name}' 필드가 없거나 빈 문자열입니다.{hint}")
            missing = [name for name in fields if name not in record]
            if missing:
                raise error(f"{where}: 필드 {', '.join(missing)}이(가) 없습니다.{hint}")
            records.append((where, record))
    if not records:
        raise error(f"{path}: 비어 있습니다 (JSON 줄이 하나도 없음).{hint}")
    return records
