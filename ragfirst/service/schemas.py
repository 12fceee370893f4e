"""Request and response bodies: what /docs shows and what the boundary accepts.

Strict types: ``"question": 123`` is refused instead of being turned into "123",
and unknown fields are refused instead of being ignored, so a typo such as
``"qustion"`` gets a message naming it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(description="한국어 질문 (1,000자 이하)", examples=["배송비는 얼마인가요?"])
    stream: StrictBool = Field(False, description="true이면 답변을 server-sent events로 흘려 보냅니다")
    k: StrictInt = Field(3, ge=1, le=5, description="모델에게 주는 문서 수")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(description="한국어 질문", examples=["필터는 언제 바꾸나요?"])
    k: StrictInt = Field(5, ge=1, le=10, description="돌려받을 문서 수")


class AssistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: StrictStr = Field(description="고객 메시지 (1,000자 이하)", examples=["MS-100231 주문 배송 어디쯤인가요?"])


class Source(BaseModel):
    id: str
    title: str
    quote: str | None = Field(None, description="답을 뒷받침하는 문서 속 문장")


class Tokens(BaseModel):
    prompt: int
    completion: int


class AskResponse(BaseModel):
    question: str
    answer: str = Field(description="고객에게 보여 줄 답변 (거절이면 거절 문구)")
    text: str = Field(description="모델이 만든 문장 (거절이면 빈 문자열)")
    declined: bool
    declined_by: str = Field(description="'retrieval'(검색 신뢰도 부족), 'model'(모델이 거절) 또는 ''")
    confidence: float
    sources: list[Source]
    warnings: list[str]
    backend: str
    model: str | None
    tokens: Tokens
    cost_usd: float | None
    cost_krw: float | None
    latency_ms: float
    ttft_ms: float | None = Field(None, description="스트리밍에서 첫 글자까지 걸린 시간")


class AssistResponse(BaseModel):
    message: str
    intent: str = Field(description="general_chat, knowledge_query, action_required, highly_specialized")
    route: str = Field(description="base_model, rag, tools, specialized_model")
    intent_confidence: float
    answer: str
    model: str = Field(description="답을 만든 모델, 또는 'rules'(규칙으로 고른 도구 호출), 'rag (declined)'")
    sources: list[str] = Field(description="RAG 경로가 인용한 문서 id")
    tool_calls: list[dict] = Field(description="도구 이름, 인자, 결과 (누가 골랐는지: model 또는 rules)")
    note: str
    customer: str | None = Field(description="이 키에 연결된 고객 (도구가 대신 일하는 사람)")
    declined: bool
    tokens: Tokens
    cost_usd: float
    cost_krw: float
    latency_ms: float


class Hit(BaseModel):
    id: str
    title: str
    score: float
    text: str


class SearchResponse(BaseModel):
    question: str
    hits: list[Hit]
    confidence: float
    would_decline: bool
    latency_ms: float


class DocumentInfo(BaseModel):
    id: str
    title: str
    category: str
    path: str
    chunks: int


class DocumentList(BaseModel):
    documents: list[DocumentInfo]
    count: int


class IndexChange(BaseModel):
    changed: bool
    documents: int
    chunks: int
    added: int
    removed: int
    unchanged: int
    message: str
    affected: list[str] = Field(description="올리거나 지운 문서 id")


class ErrorBody(BaseModel):
    error: str
    message: str
    field: str | None = None
