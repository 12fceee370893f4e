"""Labelled customer requests (data/requests/*.jsonl): loading and checking.

One JSON object per line: ``id``, ``text``, ``intent`` (one of INTENTS), ``style``.
A broken line stops with the file and line number, because a silently skipped
example would change the classifier without anyone noticing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ragfirst.config import DATA_DIR

# The seed's four intents; "general_chat" also covers the seed's "simple_task"
# (both go to the base model, so one label is enough for routing).
INTENTS = ("general_chat", "knowledge_query", "action_required", "highly_specialized")
REQUESTS_DIR = DATA_DIR / "requests"


@dataclass(frozen=True)
class LabelledRequest:
    id: str
    text: str
    intent: str
    style: str = ""


def load_requests(path: Path | str) -> list[LabelledRequest]:
    """Read a labelled request file; raise ValueError naming file and line on bad input."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 요청 파일이 없습니다. data/requests/train.jsonl 형식의 JSONL 파일 경로를 주세요.")
    requests: list[LabelledRequest] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{where}: JSON이 아닙니다 ({error.msg}). 한 줄에 JSON 객체 하나씩 쓰세요.") from None
            if not isinstance(record, dict):
                raise ValueError(f"{where}: JSON 객체가 필요합니다 (id, text, intent).")
            for field in ("id", "text", "intent"):
                if not isinstance(record.get(field), str) or not record[field].strip():
                    raise ValueError(f"{where}: '{field}' 필드가 없거나 빈 문자열입니다.")
            if record["intent"] not in INTENTS:
                raise ValueError(f"{where}: intent '{record['intent']}'는 알 수 없는 값입니다. 다음 중 하나를 쓰세요: {', '.join(INTENTS)}")
            if record["id"] in seen:
                raise ValueError(f"{where}: id '{record['id']}'가 중복됩니다.")
            seen.add(record["id"])
            requests.append(LabelledRequest(record["id"], record["text"], record["intent"], str(record.get("style", ""))))
    if not requests:
        raise ValueError(f"{path}: 요청이 하나도 없습니다.")
    return requests


def load_split(name: str) -> list[LabelledRequest]:
    """The shipped split ``train`` or ``heldout``."""
    if name not in ("train", "heldout"):
        raise ValueError(f"split '{name}'는 없습니다. 'train' 또는 'heldout'을 쓰세요.")
    return load_requests(REQUESTS_DIR / f"{name}.jsonl")
