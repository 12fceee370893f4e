"""Measure the hybrid system: latency and tokens per route, and the cost of a route mix.

Shared by notebook 06 and benchmarks/hybrid_bench.py so both report the same thing.
On the local backend the action route uses the rule-based extractor (no model
tokens); to price that route for an API model we count the tokens of the two
function-calling requests the API path would send for the same request and tool
result (``estimate_function_calling_tokens``), and label the figure as estimated.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ragfirst.hybrid.calling import SYSTEM_PROMPT
from ragfirst.hybrid.cost import RouteTokens, cost_per_1000_requests, route_mix
from ragfirst.hybrid.requests import INTENTS, LabelledRequest
from ragfirst.hybrid.system import ROUTES, HybridResponse, ModernAISystem
from ragfirst.hybrid.tools import TOOL_SPECS

CountTokens = Callable[[str], int]


def local_token_counter() -> CountTokens:
    """Token counts with the course model's tokenizer (an approximation of an API tokenizer)."""
    from ragfirst.llm.models import load_tokenizer

    tokenizer = load_tokenizer()
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


def estimate_function_calling_tokens(text: str, response: HybridResponse, count: CountTokens) -> RouteTokens:
    """Tokens the API path would use for this action request: the call with ``tools=[...]``
    (system + user + tool schemas → a tool call), then the call with the tool result (→ the answer)."""
    base = json.dumps([{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}], ensure_ascii=False)
    call = json.dumps([{"name": c["name"], "arguments": c["arguments"]} for c in response.tool_calls], ensure_ascii=False)
    first_prompt = count(base + json.dumps(TOOL_SPECS, ensure_ascii=False))
    first_completion = count(call)
    results = "".join(c.get("result", "") for c in response.tool_calls)
    second_prompt = count(base) + first_completion + count(results)
    second_completion = count(response.text)
    return RouteTokens(first_prompt + second_prompt, first_completion + second_completion)


@dataclass
class RouteRun:
    request: LabelledRequest
    response: HybridResponse
    tokens: RouteTokens
    tokens_estimated: bool


@dataclass
class RouteMeasurement:
    runs: list[RouteRun] = field(default_factory=list)

    def latency_p50_ms(self) -> dict[str, float]:
        by_route: dict[str, list[float]] = {}
        for run in self.runs:
            by_route.setdefault(run.response.route, []).append(run.response.seconds * 1000)
        return {route: round(statistics.median(values), 1) for route, values in sorted(by_route.items())}

    def mean_tokens(self) -> dict[str, RouteTokens]:
        """Mean tokens per request for each *true* intent (the mix is over what customers ask)."""
        result = {}
        for intent in INTENTS:
            runs = [run for run in self.runs if run.request.intent == intent]
            if runs:
                result[intent] = RouteTokens(statistics.fmean(r.tokens.prompt_tokens for r in runs),
                                             statistics.fmean(r.tokens.completion_tokens for r in runs))
        return result

    def cost_per_1000(self, model: str, mix: dict[str, float] | None = None) -> dict[str, float]:
        return cost_per_1000_requests(self.mean_tokens(), model, mix or route_mix())

    def table(self):
        """One row per request: intent, route, tool, time, tokens, the start of the reply."""
        import pandas as pd

        rows = [{"id": r.request.id, "정답 의도": r.request.intent, "경로": r.response.route,
                 "도구": ", ".join(c["name"] for c in r.response.tool_calls), "ms": round(r.response.seconds * 1000),
                 "입력 토큰": round(r.tokens.prompt_tokens), "출력 토큰": round(r.tokens.completion_tokens),
                 "토큰 추정": r.tokens_estimated, "답변(앞부분)": r.response.text[:40]} for r in self.runs]
        return pd.DataFrame(rows)


def pick_per_intent(requests: Sequence[LabelledRequest], per_intent: int) -> list[LabelledRequest]:
    """The first ``per_intent`` requests of each intent, in file order (deterministic)."""
    picked = []
    for intent in INTENTS:
        picked += [r for r in requests if r.intent == intent][:per_intent]
    return picked


def measure_routes(system: ModernAISystem, requests: Sequence[LabelledRequest], count: CountTokens | None = None,
                   progress: bool = True) -> RouteMeasurement:
    """Run every request end to end through ``handle_request`` and record time and tokens."""
    from tqdm.auto import tqdm

    measurement = RouteMeasurement()
    for request in tqdm(list(requests), desc="요청 처리", disable=not progress):
        response = system.handle_request(request.text)
        tokens, estimated = RouteTokens(response.prompt_tokens, response.completion_tokens), False
        if response.route == ROUTES["action_required"] and response.model == "rules" and count is not None:
            tokens, estimated = estimate_function_calling_tokens(request.text, response, count), True
        measurement.runs.append(RouteRun(request, response, tokens, estimated))
    return measurement
