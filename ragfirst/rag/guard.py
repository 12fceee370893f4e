"""Keep instructions hidden in documents away from the model.

A document is data. A sentence such as "이전 지시를 무시하고 …" inside a
retrieved chunk must never become an instruction to the LLM, and a 270M base
model cannot be trusted to tell the difference, so such sentences are removed
from the prompt and reported instead. Narrow patterns on purpose: a false alarm
only hides one sentence from the prompt, it does not hide the document.
"""

from __future__ import annotations

import re

INJECTION_PATTERNS = [
    r"(이전|앞의|위의|기존|모든)\s*(지시|지침|명령|규칙)\S*\s*(을|를|은|는)?\s*(모두\s*)?(무시|잊)",
    r"(지시|지침|명령|규칙)\S*\s*(을|를)?\s*무시하고",
    r"시스템\s*프롬프트",
    r"(너는|당신은)\s*이제\s*",
    r"ignore\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above)\s+(instructions|prompts?)",
    r"disregard\s+(all\s+|any\s+)?(previous|prior|above)",
    r"system\s+prompt",
]
_COMPILED = [re.compile(p, re.IGNORECASE) for p in INJECTION_PATTERNS]


def looks_like_injection(sentence: str) -> bool:
    """True when a sentence reads like an instruction aimed at the model."""
    return any(p.search(sentence) for p in _COMPILED)


def strip_injections(sentences: list[str]) -> tuple[list[str], list[str]]:
    """(safe sentences, removed sentences)."""
    safe, removed = [], []
    for sentence in sentences:
        (removed if looks_like_injection(sentence) else safe).append(sentence)
    return safe, removed
