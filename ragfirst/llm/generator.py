"""The model behind the local server: load it once, generate one request at a time, stream, stop early.

Generation is serialised by a lock (one CPU model, one request at a time); a
client that hangs up mid-stream stops its generation (:class:`ClientGone`).
"""

from __future__ import annotations

import os
import select
import socket
import threading
from dataclasses import dataclass

from ragfirst.llm.protocol import MAX_PROMPT_TOKENS, ChatRequest, RequestError
from ragfirst.runtime import cpu


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length"


def _truncate_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class ClientGone(Exception):
    """The client closed the connection (it timed out): stop working for it."""


def client_gone(sock: socket.socket) -> bool:
    """True when the peer has closed the connection (readable with zero bytes pending)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class _TextStreamer:
    """Hands decoded text to ``on_text`` as tokens arrive, never past a stop string.

    Text is decoded from all new tokens each step (at most a few hundred), so a
    Korean syllable split across tokens is held back until it is complete, and the
    last ``len(longest stop) - 1`` characters wait until no stop string can start there.
    """

    def __init__(self, tokenizer, stops: tuple[str, ...], on_text):
        self.tokenizer, self.stops, self.on_text = tokenizer, stops, on_text
        self.hold = max((len(s) for s in stops), default=1) - 1
        self.tokens: list[int] = []
        self.sent = 0
        self.prompt_seen = False

    def put(self, value) -> None:  # transformers' streamer protocol: the prompt first, then each new token
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        self.tokens.extend(value.reshape(-1).tolist())
        self._flush(final=False)

    def end(self) -> None:
        self._flush(final=True)

    def _flush(self, final: bool) -> None:
        text = self.tokenizer.decode(self.tokens, skip_special_tokens=True)
        text, stopped = _truncate_at_stop(text, self.stops)
        if not (final or stopped):
            if text.endswith("\ufffd"):  # half of a multi-byte character
                return
            text = text[: len(text) - self.hold] if self.hold else text
        if len(text) > self.sent:
            self.on_text(text[self.sent :])
            self.sent = len(text)


class Generator:
    """Holds the model; one generation at a time (a CPU cannot run two usefully)."""

    def __init__(self, model_name: str, dtype: str = "auto"):
        import torch

        from ragfirst.llm.models import load_causal_lm

        torch.set_num_threads(cpu.threads("RAGFIRST_TORCH_THREADS"))  # see ragfirst.runtime.cpu
        self.torch = torch
        self.model_name = model_name
        self.dtype = resolve_dtype(dtype)
        self.model, self.tokenizer = load_causal_lm(model_name, dtype=getattr(torch, self.dtype))
        self.lock = threading.Lock()

    def complete(self, request: ChatRequest, cancelled=lambda: False, on_text=None) -> Completion:
        """Generate one completion; ``cancelled()`` is polled each step so that a client
        that gave up (timeout, retry) does not keep the model busy for nothing.
        ``on_text(piece)`` receives the text as it is generated (streaming)."""
        from transformers import StoppingCriteria, StoppingCriteriaList

        torch = self.torch

        encoded = self.tokenizer(request.prompt, return_tensors="pt")
        prompt_tokens = int(encoded.input_ids.shape[1])
        if prompt_tokens > MAX_PROMPT_TOKENS:
            raise RequestError(
                f"messages are {prompt_tokens} tokens; the local server accepts at most {MAX_PROMPT_TOKENS}",
                "messages",
                code="context_length_exceeded",
            )
        tokenizer, stops = self.tokenizer, tuple(request.stop or ())

        class _CancelOrStop(StoppingCriteria):
            """Stop when the client left, or when the new text holds a stop sequence.

            Not transformers' ``stop_strings``: its criterion maps every stop string over the
            whole 262k-token vocabulary on each call, 1.4 s of the time to first word with the
            local model (measured: prefill of a 435-token RAG prompt 0.37 s, with it 1.76 s).
            """

            def __call__(self, input_ids, scores, **kwargs):
                if cancelled():
                    raise ClientGone()
                text = tokenizer.decode(input_ids[0, prompt_tokens:], skip_special_tokens=True) if stops else ""
                return torch.full((input_ids.shape[0],), any(stop in text for stop in stops), dtype=torch.bool)

        options = {
            "max_new_tokens": request.max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "stopping_criteria": StoppingCriteriaList([_CancelOrStop()]),
        }
        if request.temperature > 0:
            options.update(do_sample=True, temperature=request.temperature, top_p=request.top_p, top_k=0)
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if on_text is not None:
            options["streamer"] = _TextStreamer(self.tokenizer, request.stop, on_text)
        with self.lock, torch.inference_mode():
            if cancelled():  # gave up while waiting for the lock
                raise ClientGone()
            if request.seed is not None:
                torch.manual_seed(request.seed)
            output = self.model.generate(**encoded, **options)
        new_tokens = output[0, prompt_tokens:].tolist()
        eos_ids = self.model.generation_config.eos_token_id
        eos_ids = set(eos_ids if isinstance(eos_ids, list) else [eos_ids])
        hit_eos = bool(new_tokens) and new_tokens[-1] in eos_ids
        if hit_eos:
            new_tokens = new_tokens[:-1]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        text, hit_stop = _truncate_at_stop(text, request.stop)
        finished = hit_eos or hit_stop or len(new_tokens) < request.max_tokens
        return Completion(text, prompt_tokens, len(new_tokens), "stop" if finished else "length")


def resolve_dtype(dtype: str = "auto") -> str:
    """``float32`` or ``bfloat16``; ``auto`` picks bfloat16 where the CPU has native bf16.

    Decoding on CPU is memory-bound (every token reads all weights, 671 MB of them the
    tied 262k-word embedding in fp32), so halving the bytes roughly halves decode time
    on CPUs with AVX512-BF16/AMX; elsewhere bf16 is emulated and slower, so fp32 stays.
    """
    dtype = (os.environ.get("RAGFIRST_LLM_DTYPE") or dtype).strip().lower()
    if dtype == "auto":
        import platform

        import torch

        supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
        return auto_dtype(supported(), platform.machine(), torch.backends.cpu.get_cpu_capability())
    if dtype not in ("float32", "bfloat16"):
        raise ValueError(f"RAGFIRST_LLM_DTYPE must be auto, float32 or bfloat16, not {dtype!r}")
    return dtype


def auto_dtype(cpu_has_bf16: bool, machine: str, kernel_capability: str) -> str:
    """bfloat16 only where torch will also *use* AVX-512 kernels on x86.

    The CPU flag alone is not enough: with ``ATEN_CPU_CAPABILITY=avx2`` (or a build
    that picked AVX2) torch's bf16 matmul raises "pack_vnni2 is only supported when
    avx512 is supported", so every generation would fail.
    """
    x86 = machine.lower() in ("x86_64", "amd64", "i686", "i386")
    usable = cpu_has_bf16 and (not x86 or kernel_capability.upper().startswith("AVX512"))
    return "bfloat16" if usable else "float32"
