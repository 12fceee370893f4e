"""The seed's ``ModernAISystem.handle_request`` made real.

1. classify the intent (learned classifier, ragfirst.hybrid.intent);
2. route: general_chat → base model; knowledge_query → RAG; action_required →
   tools on the shop DB; highly_specialized → the specialised model (notebook
   03's LoRA adapter, ragfirst.hybrid.specialist), loaded lazily the first time
   it is needed (as in the seed), or the base model, clearly labelled, when no
   adapter has been saved.

Every route returns the same ``HybridResponse`` with its tokens, cost and time,
so the benchmark can price a realistic mix of routes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ragfirst.hybrid.calling import run_tools_with_model
from ragfirst.hybrid.extract import extract_tool_call
from ragfirst.hybrid.intent import IntentClassifier, IntentPrediction
from ragfirst.hybrid.knowledge import open_retriever, rag_answer
from ragfirst.hybrid.output import RouteOutput, from_generation
from ragfirst.hybrid.specialist import load_lora_specialist
from ragfirst.hybrid.tools import ShopTools, ToolError
from ragfirst.rag.retrieve import Retriever

ROUTES = {
    "general_chat": "base_model",
    "knowledge_query": "rag",
    "action_required": "tools",
    "highly_specialized": "specialized_model",
}

# Completion-style prompts: the local model is a *base* model, so it continues a
# transcript instead of following instructions (see ragfirst.llm.models).
CHAT_PROMPT = (
    "맑은숨 고객지원 챗봇과 고객의 대화입니다. 챗봇은 짧고 친절한 존댓말로 답합니다.\n\n"
    "고객: 안녕하세요\n챗봇: 안녕하세요, 맑은숨 고객지원입니다. 무엇을 도와드릴까요?\n\n"
    "고객: {text}\n챗봇:"
)
CHAT_SYSTEM = "당신은 맑은숨 주식회사 고객지원 챗봇입니다. 짧고 친절한 한국어 존댓말로 답하세요."
SPECIALIST_PROMPT = (
    "맑은숨 공기질 전문 상담사의 답변입니다. 상담사는 면적, 풍량(CADR), 센서 값을 근거로 설명합니다.\n\n"
    "고객: {text}\n상담사:"
)
SPECIALIST_SYSTEM = (
    "당신은 맑은숨 주식회사의 공기질 전문 상담사입니다. 면적·풍량(CADR)·센서 값에 근거해 한국어 존댓말로 답하고, "
    "확실하지 않은 수치는 추정이라고 밝히세요."
)
NO_SPECIALIZED_NOTE = (
    "대체 경로(fallback): 특화 모델(03 노트북에서 저장하는 LoRA 어댑터)이 없어 기본 모델이 전문 상담 프롬프트로 답했습니다. "
    "품질이 낮을 수 있어 전문 상담원 연결을 함께 안내합니다."
)
FALLBACK_SUFFIX = " (fallback)"
LOGIN_NEEDED = "주문 조회·환불·정기배송 변경은 로그인한 고객만 할 수 있습니다. 로그인한 뒤 다시 요청해 주세요."


@dataclass
class HybridResponse(RouteOutput):
    intent: str = ""
    route: str = ""
    confidence: float = 0.0
    seconds: float = 0.0


class ModernAISystem:
    """One assistant for one authenticated customer, routing each request by intent.

    ``tools=None`` is a visitor nobody has authenticated: order requests get a request to log in.

    ``generate`` and ``rag_answer`` default to ``ragfirst.llm.chat.generate`` and the RAG
    pipeline; they are parameters so a notebook can show one route at a time. The RAG
    route searches ``retriever``, or an index this assistant opens on its first knowledge
    question and keeps for its own life (an assistant made after a re-index sees the new index).
    """

    def __init__(self, classifier: IntentClassifier, tools: ShopTools | None, *, backend: Any = None,
                 generate: Callable[..., Any] | None = None, rag_answer: Callable[[str], RouteOutput] | None = None,
                 specialized_loader: Callable[[], Callable[[str], RouteOutput] | None] | None = None,
                 retriever: Retriever | None = None, max_tokens: int = 96):
        self.classifier = classifier
        self.tools = tools
        if backend is None:
            from ragfirst.runtime.config import select_backend

            backend = select_backend()
        self.backend = backend
        self._generate = generate
        self._rag_answer = rag_answer
        self.retriever = retriever
        self._specialized_loader = specialized_loader or load_specialized_model
        self.specialized_model: Callable[[str], RouteOutput] | None = None
        self._specialized_checked = False
        self.max_tokens = max_tokens

    @property
    def can_call_tools(self) -> bool:
        """API backends can do function calling; the small local base model cannot."""
        return self.backend.follows_instructions

    # --- the seed's two methods ----------------------------------------------
    def classify_intent(self, user_input: str) -> IntentPrediction:
        return self.classifier.predict(user_input)

    def handle_request(self, user_input: str) -> HybridResponse:
        if not isinstance(user_input, str) or not user_input.strip():
            raise ValueError("요청이 비어 있습니다. 고객 메시지를 문자열로 주세요.")
        started = time.perf_counter()
        intent = self.classify_intent(user_input)
        route = ROUTES[intent.intent]
        output = getattr(self, f"_route_{route}")(user_input)
        return HybridResponse(**vars(output), intent=intent.intent, route=route, confidence=intent.score,
                              seconds=time.perf_counter() - started)

    # --- routes ----------------------------------------------------------------
    def generate(self, prompt: str, system: str, text: str, **kwargs: Any) -> Any:
        """Base-model generation: a transcript prompt for the local model, chat messages for an API."""
        generate = self._generate or self.backend_generate()
        if self.backend.kind == "local":
            return generate(prompt.format(text=text), max_tokens=self.max_tokens, stop=["\n"], **kwargs)
        return generate([{"role": "system", "content": system}, {"role": "user", "content": text}], max_tokens=self.max_tokens, **kwargs)

    def backend_generate(self) -> Callable[..., Any]:
        """``ragfirst.llm.chat.generate`` bound to this assistant's backend (also used by the RAG route)."""
        from ragfirst.llm import chat

        return functools.partial(chat.generate, backend=self.backend)

    def _route_base_model(self, text: str) -> RouteOutput:
        return from_generation(self.generate(CHAT_PROMPT, CHAT_SYSTEM, text))

    def _route_rag(self, text: str) -> RouteOutput:
        if self._rag_answer is not None:
            return self._rag_answer(text)
        if self.retriever is None:
            self.retriever = open_retriever()
        return rag_answer(text, self.retriever, generate=self._generate or self.backend_generate(),
                          abstain=self.backend.follows_instructions)

    def _route_tools(self, text: str) -> RouteOutput:
        if self.tools is None:
            return RouteOutput(LOGIN_NEEDED, "rules", note="no_customer")
        if self.can_call_tools:
            from ragfirst.llm.chat import get_client
            from ragfirst.llm.usage import estimate_cost

            client, backend = get_client(self.backend)
            run = run_tools_with_model(client, backend.model, text, self.tools, max_tokens=300)
            calls = [{"name": c.name, "arguments": c.arguments, "by": "model"} for c in run.calls]
            return RouteOutput(run.text, backend.model or "", run.prompt_tokens, run.completion_tokens,
                               estimate_cost(backend.model, "openai", run.prompt_tokens, run.completion_tokens)[0] or 0.0,
                               tool_calls=calls)
        call = extract_tool_call(text)
        record = {"name": call.name, "arguments": call.arguments, "by": "rules"}
        try:
            result = self.tools.call(call.name, call.arguments)
        except ToolError as error:
            return RouteOutput(f"요청을 처리하지 못했습니다: {error}", "rules", tool_calls=[record], note="; ".join(call.notes))
        reply = result.message
        if call.name == "list_orders" and call.notes:
            reply += "\n어느 주문인지 주문번호(MS-로 시작)를 알려 주시면 이어서 처리하겠습니다."
        record.update(outcome=result.outcome, result=result.for_model())
        return RouteOutput(reply, "rules", tool_calls=[record], note="; ".join(call.notes))

    def _route_specialized_model(self, text: str) -> RouteOutput:
        if not self._specialized_checked:  # lazy, as in the seed: only on the first specialised request
            self.specialized_model = self._specialized_loader()
            self._specialized_checked = True
        if self.specialized_model is not None:
            return self.specialized_model(text)
        output = from_generation(self.generate(SPECIALIST_PROMPT, SPECIALIST_SYSTEM, text), note=NO_SPECIALIZED_NOTE)
        output.model += FALLBACK_SUFFIX
        output.text += "\n(전문 상담원 연결: 고객센터 평일 09:00~18:00)"
        return output


def load_specialized_model() -> Callable[[str], RouteOutput] | None:
    """The specialised model: notebook 03's LoRA adapter when it has been saved, else None.

    With None the route falls back to the base model, labelled as such. Pass
    ``specialized_loader=`` to ModernAISystem to plug in another one (for example
    a fine-tuned model behind an OpenAI-compatible server).
    """
    return load_lora_specialist()
