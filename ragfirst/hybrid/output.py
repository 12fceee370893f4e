"""What a route of the hybrid assistant returns, whichever model, pipeline or tool produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RouteOutput:
    text: str
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    sources: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def from_generation(generation: Any, note: str = "") -> RouteOutput:
    return RouteOutput(generation.text.strip(), generation.model, generation.prompt_tokens,
                       generation.completion_tokens, generation.cost_usd, note=note)
