"""What the local LLM server accepts: the chat-completions request, checked, and its prompt.

Gemma-3-270M is a *base* model, so chat messages are joined into one
completion-style prompt (:func:`messages_to_prompt`). Every limit a request can
break is here, so the HTTP layer (:mod:`ragfirst.llm.http_server`) only maps a
:class:`RequestError` to its status code.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TOKENS_LIMIT = 2048  # per request; keeps one request from holding the model for minutes
DEFAULT_MAX_TOKENS = 256
MAX_PROMPT_TOKENS = 8192  # far below the model's 32k, keeps CPU prefill bounded
MAX_BODY_BYTES = 4 * 1024 * 1024



class RequestError(ValueError):
    """A malformed request: answered with HTTP 400 naming the field at fault."""

    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.param = param
        self.status = status
        self.code = code


@dataclass(frozen=True)
class ChatRequest:
    """The validated subset of an OpenAI chat completion request that we honour."""

    prompt: str
    max_tokens: int
    temperature: float
    top_p: float
    stop: tuple[str, ...]
    seed: int | None
    stream: bool = False  # answer as server-sent events, one chunk per decoded piece
    include_usage: bool = False  # stream_options.include_usage: a last chunk with the token counts


def _message_text(content: object, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": "..."}]
        parts = []
        for part in content:
            if not (isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)):
                raise RequestError(
                    f"messages[{index}].content: only text parts are supported", f"messages[{index}].content"
                )
            parts.append(part["text"])
        return "".join(parts)
    raise RequestError(f"messages[{index}].content must be a string", f"messages[{index}].content")


def messages_to_prompt(messages: list[dict]) -> str:
    """Join chat messages into one completion prompt for a base model.

    Contents are joined with blank lines in order, without role labels: a base model
    continues text, so "문서: … 질문: … 답변:" sent as one user message reaches it
    unchanged. A trailing assistant message works as the start of the answer.
    """
    return "\n\n".join(message["content"] for message in messages)


def parse_chat_request(body: object, model_ids: set[str]) -> ChatRequest:
    """Validate a chat completion body; raise :class:`RequestError` naming the bad field."""
    if not isinstance(body, dict):
        raise RequestError("request body must be a JSON object", None)
    model = body.get("model")
    if model is not None and model not in model_ids:
        raise RequestError(
            f"model {model!r} is not served here; available: {', '.join(sorted(model_ids))}",
            "model",
            status=404,
            code="model_not_found",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages must be a non-empty list of {role, content} objects", "messages")
    cleaned = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestError(f"messages[{index}] must be an object with role and content", f"messages[{index}]")
        role = message.get("role")
        if role not in ("system", "developer", "user", "assistant"):
            raise RequestError(
                f"messages[{index}].role must be system, user or assistant, not {role!r}", f"messages[{index}].role"
            )
        cleaned.append({"role": role, "content": _message_text(message.get("content"), index)})
    prompt = messages_to_prompt(cleaned)
    if not prompt.strip():
        raise RequestError("messages contain no text", "messages")

    max_tokens = body.get("max_completion_tokens", body.get("max_tokens", DEFAULT_MAX_TOKENS))
    field = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        raise RequestError(f"{field} must be an integer from 1 to {MAX_TOKENS_LIMIT}, got {max_tokens!r}", field)

    temperature = body.get("temperature", 0.0)
    temperature = 0.0 if temperature is None else temperature
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
        raise RequestError(f"temperature must be a number from 0 to 2, got {temperature!r}", "temperature")
    top_p = body.get("top_p", 1.0)
    top_p = 1.0 if top_p is None else top_p
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise RequestError(f"top_p must be a number in (0, 1], got {top_p!r}", "top_p")

    stop = body.get("stop")
    if stop is None:
        stop = []
    elif isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
        raise RequestError("stop must be a non-empty string or a list of up to 4 non-empty strings", "stop")

    n = body.get("n", 1)
    if n not in (1, None):
        raise RequestError("n must be 1: this server returns one choice", "n")
    stream = body.get("stream", False)
    if stream not in (True, False, None):
        raise RequestError(f"stream must be true or false, got {stream!r}", "stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise RequestError("stream_options must be an object such as {\"include_usage\": true}", "stream_options")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RequestError(f"seed must be an integer, got {seed!r}", "seed")
    return ChatRequest(prompt, max_tokens, float(temperature), float(top_p), tuple(stop), seed, bool(stream),
                       bool(stream and options.get("include_usage")))
