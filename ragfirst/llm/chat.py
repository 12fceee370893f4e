"""Every text generation in the course goes through the real ``openai`` client.

The same code talks to OpenAI (``OPENAI_API_KEY``), to any OpenAI-compatible server
(``OPENAI_BASE_URL``: Ollama, vLLM, llama.cpp) or to the course's local server
(neither set; started on demand, see :mod:`ragfirst.llm.local_server`). Timeouts and
retries are always explicit so a dead or slow server fails with
:class:`LLMUnavailableError` in bounded time instead of hanging a notebook.
Each call is recorded in a per-process :class:`UsageLog` with tokens and cost
from ``data/prices.csv``.
"""

from __future__ import annotations

import dataclasses
import os
import time

from ragfirst.llm.local_server import ensure_local_server, running_server, server_token
from ragfirst.llm.usage import Generation, UsageLog, estimate_cost, usage_log
from ragfirst.runtime.config import Backend, select_backend

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS = 128
_NO_KEY = "ragfirst-no-key"  # the openai client insists on a key; local servers ignore it


class LLMUnavailableError(RuntimeError):
    """The LLM endpoint could not be reached, timed out or refused our credentials."""


# --------------------------------------------------------------------------- settings


def _env_number(name: str, default: float, cast):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        number = cast(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return number


def default_timeout() -> float:
    """Seconds per request attempt (``RAGFIRST_LLM_TIMEOUT``, default 60)."""
    return _env_number("RAGFIRST_LLM_TIMEOUT", DEFAULT_TIMEOUT, float)


def default_max_retries() -> int:
    """Retries after a failed attempt (``RAGFIRST_LLM_MAX_RETRIES``, default 2)."""
    return _env_number("RAGFIRST_LLM_MAX_RETRIES", DEFAULT_MAX_RETRIES, int)


# --------------------------------------------------------------------------- client


def resolve_backend(backend: Backend | None = None) -> Backend:
    """Fill in what :func:`ragfirst.runtime.config.select_backend` leaves open for the local server.

    Starts the local server if needed and returns its URL and model name.
    """
    backend = backend or select_backend()
    if backend.kind != "local" or backend.base_url:
        return backend
    server = ensure_local_server(backend.model)
    return dataclasses.replace(backend, base_url=server.base_url, model=server.model)


_clients: dict[tuple, object] = {}


def _local_server_replaced(error: Exception, backend: Backend, client) -> bool:
    """The shared local server was stopped or restarted by another process (new port or new token):
    worth one more try with the current one. Timeouts are not retried."""
    import openai

    if backend.kind != "local" or isinstance(error, openai.APITimeoutError):
        return False
    current = running_server()
    if isinstance(error, openai.AuthenticationError):
        return current is not None and current.token != client.api_key
    return current is None or current.base_url != backend.base_url


def get_client(backend: Backend | None = None, *, timeout: float | None = None, max_retries: int | None = None):
    """Return ``(OpenAI client, Backend)`` for the selected backend, with explicit timeout and retries.

    Clients are reused per (URL, key, timeout, retries); the local server is started only
    when none is running.
    """
    from openai import OpenAI

    backend = resolve_backend(backend)
    timeout = default_timeout() if timeout is None else float(timeout)
    max_retries = default_max_retries() if max_retries is None else int(max_retries)
    if backend.kind == "local":
        api_key = server_token(backend.base_url) or _NO_KEY
    else:
        api_key = (os.environ.get("OPENAI_API_KEY") or "").strip() or _NO_KEY
    key = (backend.base_url, api_key, timeout, max_retries)
    client = _clients.get(key)
    if client is None:
        client = OpenAI(base_url=backend.base_url, api_key=api_key, timeout=timeout, max_retries=max_retries)
        _clients[key] = client
    return client, backend


def describe_backend(backend: Backend | None = None) -> str:
    """The one-line description for notebooks; does not start a server or reveal a key."""
    backend = backend or select_backend()
    if backend.kind == "local" and not backend.model:
        from ragfirst.llm.models import DEFAULT_MODEL

        backend = dataclasses.replace(backend, model=DEFAULT_MODEL)
    return backend.describe()


# --------------------------------------------------------------------------- generate


def _as_messages(prompt_or_messages) -> list[dict]:
    if isinstance(prompt_or_messages, str):
        if not prompt_or_messages.strip():
            raise ValueError("prompt is empty: pass the text to complete")
        return [{"role": "user", "content": prompt_or_messages}]
    if isinstance(prompt_or_messages, list) and prompt_or_messages:
        for index, message in enumerate(prompt_or_messages):
            if not (isinstance(message, dict) and isinstance(message.get("role"), str) and "content" in message):
                raise ValueError(f"messages[{index}] must be a dict with 'role' and 'content'")
        return prompt_or_messages
    raise ValueError("prompt_or_messages must be a non-empty string or a non-empty list of {role, content} dicts")


def _unreachable() -> tuple[type[Exception], ...]:
    """The request errors that mean "no answer from this server now" (a refused request is the caller's)."""
    import openai

    return openai.APIConnectionError, openai.InternalServerError, openai.AuthenticationError, openai.PermissionDeniedError


def _unavailable(error: Exception, backend: Backend, timeout: float, retries: int) -> LLMUnavailableError:
    import openai

    url = backend.base_url or "https://api.openai.com/v1"
    if isinstance(error, openai.APIError) and not isinstance(error, (openai.APIConnectionError, openai.APIStatusError)):
        return LLMUnavailableError(  # an "error" event inside the stream: the server failed while it was writing
            f"LLM 서버({url})가 답을 쓰던 중에 오류를 보냈습니다: {error.message.rstrip('.')}. 잠시 뒤에 다시 시도하세요. "
            f"(The LLM server at {url} sent an error in the middle of its answer: {error.message})"
        )
    if isinstance(error, openai.APITimeoutError):
        return LLMUnavailableError(
            f"LLM 서버({url})가 {timeout:g}초 안에 응답하지 않았습니다 (재시도 {retries}회 포함). "
            f"max_tokens를 줄이거나 RAGFIRST_LLM_TIMEOUT을 늘리세요. "
            f"(The LLM server at {url} did not answer within {timeout:g} s per attempt, {retries} retries: "
            "lower max_tokens or raise RAGFIRST_LLM_TIMEOUT.)"
        )
    if isinstance(error, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return LLMUnavailableError(
            f"LLM 서버({url})가 API 키를 거부했습니다. .env 또는 환경 변수의 OPENAI_API_KEY를 확인하세요. "
            f"(The server at {url} rejected the API key: check OPENAI_API_KEY.)"
        )
    hint = (
        "로컬 서버가 꺼졌다면 다시 호출하면 새로 시작됩니다"
        if backend.kind == "local"
        else "서버가 실행 중인지, OPENAI_BASE_URL이 맞는지 확인하세요"
    )
    return LLMUnavailableError(
        f"LLM 서버({url})에 연결할 수 없습니다 (재시도 {retries}회 후): {hint}. "
        f"(Could not reach the LLM server at {url} after {retries} retries: {type(error).__name__}: {error}. "
        "Check that it is running and that OPENAI_BASE_URL is right.)"
    )


# OpenAI's reasoning models take max_completion_tokens instead of max_tokens and refuse stop
# sequences. Since GPT-5.1 they accept reasoning_effort="none", and honour temperature only then
# (gpt-6-luna's model page: reasoning.effort none…max); older ones (o-series, gpt-5) take no temperature.
REASONING_MODEL_PREFIXES = ("gpt-5", "gpt-6", "o1", "o3", "o4")
NO_REASONING_MODEL_PREFIXES = ("gpt-5.", "gpt-6")


def request_options(backend_kind: str, model: str, messages: list, max_tokens: int, temperature: float,
                    stop: str | list[str] | None = None) -> dict:
    """The chat.completions arguments for one backend and model.

    Local and compatible servers, and OpenAI's older chat models, get the classic
    ``max_tokens``, ``temperature`` and ``stop``. OpenAI's reasoning models get
    ``max_completion_tokens`` and no ``stop`` (stop sequences exist for the local base model,
    which would otherwise keep writing; a chat model ends its own turn). Those that can switch
    reasoning off get ``reasoning_effort="none"`` so a short, deterministic answer stays short
    and ``temperature`` is accepted; the others keep their default effort and temperature.
    """
    options = {"model": model, "messages": messages}
    if backend_kind == "openai" and model.startswith(REASONING_MODEL_PREFIXES):
        options["max_completion_tokens"] = max_tokens
        if model.startswith(NO_REASONING_MODEL_PREFIXES):
            options["reasoning_effort"] = "none"
            options["temperature"] = temperature
        return options
    options.update(max_tokens=max_tokens, temperature=temperature)
    if stop:
        options["stop"] = stop
    return options


def _prepare_call(prompt_or_messages, *, max_tokens: int = DEFAULT_MAX_TOKENS, temperature: float = 0.0,
                  stop: str | list[str] | None = None, model: str | None = None, backend: Backend | None = None,
                  timeout: float | None = None, max_retries: int | None = None, log: UsageLog | None = None):
    """Checked arguments, the client and the request options shared by :func:`generate` and :func:`generate_stream`."""
    messages = _as_messages(prompt_or_messages)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
    log = usage_log if log is None else log
    timeout = default_timeout() if timeout is None else float(timeout)
    max_retries = default_max_retries() if max_retries is None else int(max_retries)
    client, backend = get_client(backend, timeout=timeout, max_retries=max_retries)
    model_name = model or backend.model
    if not model_name:
        raise ValueError("no model name: set OPENAI_MODEL or pass model=... (the compatible server needs one)")
    options = request_options(backend.kind, model_name, messages, max_tokens, temperature, stop)
    return client, backend, options, log, timeout, max_retries


def generate(
    prompt_or_messages,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    temperature: float = 0.0,
    stop: str | list[str] | None = None,
    model: str | None = None,
    backend: Backend | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    log: UsageLog | None = None,
) -> Generation:
    """Generate a completion through the openai client and record it in the usage log.

    A plain string is sent as one user message; the local base model continues it as
    text, so prompts like "문서: … 질문: … 답변:" work as written.
    """
    import openai

    client, backend, options, log, timeout, max_retries = _prepare_call(
        prompt_or_messages, max_tokens=max_tokens, temperature=temperature, stop=stop, model=model, backend=backend,
        timeout=timeout, max_retries=max_retries, log=log)
    model_name = options["model"]
    started = time.perf_counter()
    try:
        try:
            response = client.chat.completions.create(**options)
        except (openai.APIConnectionError, openai.AuthenticationError) as error:
            if not _local_server_replaced(error, backend, client):
                raise
            fresh = dataclasses.replace(backend, base_url=None)
            client, backend = get_client(fresh, timeout=timeout, max_retries=max_retries)
            response = client.chat.completions.create(**options)
    except _unreachable() as error:
        seconds = time.perf_counter() - started
        log.add(None, backend_kind=backend.kind, model=model_name, seconds=seconds, error=type(error).__name__)
        raise _unavailable(error, backend, timeout, max_retries) from error
    seconds = time.perf_counter() - started
    choice = response.choices[0]
    generation = _generation(choice.message.content or "", model_name, response.model, backend, response.usage,
                             choice.finish_reason, seconds)
    log.add(generation, backend_kind=backend.kind, model=model_name, seconds=seconds)
    return generation


def _generation(text: str, model_name: str, response_model: str | None, backend: Backend, usage,
                finish_reason: str | None, seconds: float) -> Generation:
    """A :class:`Generation` priced from the usage the server reported (cost None when it sent none)."""
    prompt_tokens = usage.prompt_tokens if usage else 0
    completion_tokens = usage.completion_tokens if usage else 0
    cost, note = estimate_cost(model_name, backend.kind, prompt_tokens, completion_tokens)
    if cost is None and response_model and response_model != model_name:
        cost, note = estimate_cost(response_model, backend.kind, prompt_tokens, completion_tokens)
    if usage is None:
        note = "서버가 usage를 보내지 않아 토큰 수를 알 수 없습니다 (server sent no usage); " + note
        cost = None
    return Generation(
        text=text,
        model=response_model or model_name,
        backend_kind=backend.kind,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost,
        seconds=seconds,
        finish_reason=finish_reason,
        cost_note=note,
    )


class GenerationCancelled(Exception):
    """The caller stopped listening (a client left mid-stream): the generation was abandoned."""


def generate_stream(prompt_or_messages, *, on_text, cancelled=lambda: False, **options) -> Generation:
    """Like :func:`generate` (same keyword ``options``), but ``on_text(piece)`` receives the text while the model writes it.

    The first words reach a reader long before the answer is complete. ``cancelled()``
    is checked at every piece; when it turns true the stream is closed (the server stops
    generating) and :class:`GenerationCancelled` is raised. A stream cut off before the
    model finished (the server died) or broken off by an ``error`` event from the server
    raises :class:`LLMUnavailableError`: the text so far cannot be trusted as an answer.
    Nothing is retried once text has been handed on.
    """
    import httpx
    import openai

    client, backend, options, log, timeout, max_retries = _prepare_call(prompt_or_messages, **options)
    model_name = options["model"]
    options.update(stream=True, stream_options={"include_usage": True})
    pieces: list[str] = []
    usage = finish_reason = response_model = None
    started = time.perf_counter()
    opened = False
    try:
        with client.chat.completions.create(**options) as stream:
            opened = True  # from here on any API error ends the answer: an "error" event, a broken connection
            for chunk in stream:
                if cancelled():
                    raise GenerationCancelled()
                response_model = chunk.model or response_model
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    if choice.delta is not None and choice.delta.content:
                        pieces.append(choice.delta.content)
                        on_text(choice.delta.content)
                    finish_reason = choice.finish_reason or finish_reason
        if finish_reason is None:
            raise httpx.RemoteProtocolError("the stream ended before the model finished (no finish_reason)")
    except (openai.APIError, httpx.TransportError) as error:
        if not (opened or isinstance(error, (*_unreachable(), httpx.TransportError))):
            raise  # refused before the stream opened (400, 404, 429): as in generate
        seconds = time.perf_counter() - started
        log.add(None, backend_kind=backend.kind, model=model_name, seconds=seconds, error=type(error).__name__)
        raise _unavailable(error, backend, timeout, max_retries) from error
    seconds = time.perf_counter() - started
    generation = _generation("".join(pieces), model_name, response_model, backend, usage, finish_reason, seconds)
    log.add(generation, backend_kind=backend.kind, model=model_name, seconds=seconds)
    return generation
