"""Finding the question in a chat message, and reading what a sentence must contain to answer it."""

from __future__ import annotations

import pytest

from ragfirst.rag.evidence import LIST_LINES, answer_type_match, near_duplicate, numbers_in, with_its_list
from ragfirst.rag.message import question_score, read_message


def test_the_story_is_context_and_the_last_sentence_is_the_question():
    message = read_message("아기 방에 쓰려고 S1 두 대 샀는데 한 대는 필요 없어졌어요. 포장 그대로인 한 대만 반품하면 반품비 얼마나 나와요?")
    assert message.questions == ["포장 그대로인 한 대만 반품하면 반품비 얼마나 나와요?"]
    assert message.context == ["아기 방에 쓰려고 S1 두 대 샀는데 한 대는 필요 없어졌어요."]
    assert message.focus == message.questions[0] and message.is_long


def test_two_questions_are_both_found_and_greetings_are_not_questions():
    message = read_message("안녕하세요~ 구독 결제는 배송 며칠 전에 빠져나가요? 미리 알려주기는 해요? 감사합니다!")
    assert message.questions == ["구독 결제는 배송 며칠 전에 빠져나가요?", "미리 알려주기는 해요?"]
    assert not any("감사" in q or "안녕" in q for q in message.questions)


def test_a_request_to_tell_is_a_question_without_a_question_mark():
    message = read_message("어머니 선물로 샀는데 이미 있으시대요. 반품이 되는지 언제까지 신청해야 하는지 알려주세요")
    assert message.questions == ["반품이 되는지 언제까지 신청해야 하는지 알려주세요"]


def test_a_short_question_is_its_own_focus():
    message = read_message("토요일에도 문 열어요?")
    assert message.questions == ["토요일에도 문 열어요?"] and not message.is_long
    assert message.focus == "토요일에도 문 열어요?"


@pytest.mark.parametrize(("sentence", "asks"), [
    ("배송비 얼마예요", True),
    ("교환 가능한가요", True),
    ("어제 주문했어요.", False),  # a bare -어요 states
    ("정말 감사합니다!", False),
])
def test_question_score(sentence, asks):
    assert (question_score(sentence) > 0) is asks


def test_numbers_are_read_the_way_customers_write_them():
    assert numbers_in("3만원") == {30000}
    assert numbers_in("4만9천원짜리") == {49000}
    assert numbers_in("30,000원 이상") == {30000}
    assert numbers_in("만이천원") == set()  # numerals in words are left to the dense signal


@pytest.mark.parametrize(("question", "sentence", "match"), [
    ("반품비 얼마나 나와요?", "왕복 배송비 6,000원은 고객님이 부담합니다.", 1.0),
    ("반품비 얼마나 나와요?", "앱에서 반품을 신청할 수 있습니다.", 0.0),
    ("며칠 걸려요?", "검수는 1~2영업일 안에 마칩니다.", 1.0),
    ("토요일에는 몇 시까지 해요?", "토요일은 15시까지 엽니다.", 1.0),
    ("3만원 넘으면 무료예요?", "30,000원 이상 주문하면 배송비가 무료입니다.", 1.0),
    # "얼마나" asks for what its verb or noun measures, not always for an amount
    ("검수 얼마나 걸려요?", "검수는 1~2영업일 안에 마칩니다.", 1.0),
    ("검수 얼마나 걸려요?", "왕복 배송비 6,000원은 고객님이 부담합니다.", 0.0),
    ("S2 Pro 무게가 얼마나 되나요?", "S2 Pro의 무게는 7.8kg입니다.", 1.0),
    ("S2 Pro 무게가 얼마나 되나요?", "본체 가격은 459,000원입니다.", 0.0),
    # "얼마 안 됐는데" asks for no amount: a number counts half, as for any question that names no answer type
    ("산 지 얼마 안 됐는데 소리가 나요", "유상 수리비는 10,000원입니다.", 0.5),
    ("박스가 찌그러져 왔어요. 교환돼요?", "받으신 날로부터 7일 이내에 알려 주시면 교환해 드립니다.", 0.5),
    ("박스가 찌그러져 왔어요. 교환돼요?", "상자가 찌그러져 있다면 기사님 앞에서 개봉해 주세요.", 0.0),
    # without a word of paying, "얼마나 되죠" asks for any number, and "얼마나 가까이" for a distance
    ("공기 양이 얼마나 되죠?", "S2 Pro의 청정 능력은 480㎥/h입니다.", 1.0),
    ("벽에서 얼마나 가까이 둬도 돼요?", "벽에서 30cm 이상 띄워 주세요.", 1.0),
    # a cost noun asks for an amount or "무료" without "얼마"
    ("정기배송은 택배비가 따로 드나요?", "배송비는 금액과 관계없이 무료입니다.", 1.0),
    ("정기배송은 택배비가 따로 드나요?", "배송 주기는 3개월, 6개월 중에서 고르실 수 있습니다.", 0.0),
])
def test_answer_type_match(question, sentence, match):
    assert answer_type_match(question, sentence) == match


def test_sentence_vector_cache_is_bounded_and_keeps_recent_sentences(monkeypatch):
    """A long-running service sees every uploaded sentence; the memo must not grow without end."""
    import numpy as np

    from ragfirst.rag import embed, evidence

    embedded: list[str] = []

    def fake_passages(texts):  # stands in for e5 only to count which sentences get embedded
        embedded.extend(texts)
        return [np.full(384, float(len(t))) for t in texts]

    monkeypatch.setattr(embed, "embed_passages", fake_passages)
    monkeypatch.setattr(evidence, "SENTENCE_CACHE_SIZE", 3)
    monkeypatch.setattr(evidence, "_SENTENCE_VECTORS", evidence.OrderedDict())
    vectors = evidence.sentence_vectors(["가", "나나", "가"])
    assert vectors.shape == (3, 384) and vectors[1, 0] == 2.0 and embedded == ["가", "나나"]
    evidence.sentence_vectors(["다다다", "라라라라"])  # four sentences seen: the oldest, "가", goes
    assert list(evidence._SENTENCE_VECTORS) == ["나나", "다다다", "라라라라"]
    evidence.sentence_vectors(["나나", "가"])  # "나나" from the memo, "가" embedded again
    assert embedded == ["가", "나나", "다다다", "라라라라", "가"]
    assert len(evidence._SENTENCE_VECTORS) == 3


STEPS = [
    "교환·반품은 다음 순서로 진행됩니다.",
    "1. 주문내역에서 '교환/반품 신청'을 누릅니다.",
    "2. 1~3영업일 안에 기사님이 방문해 회수합니다.",
    "받으셨던 상자에 구성품을 모두 넣어 주세요.",  # the second sentence of step 2
    "3. 입고되면 1~2영업일 안에 검수합니다.",
    "직접 보내시면 배송비를 선불로 결제해 주세요.",  # the paragraph after the list
]


def test_a_sentence_that_announces_a_list_is_quoted_with_it():
    assert with_its_list(STEPS[0], STEPS) == STEPS[:5]
    assert with_its_list(STEPS[5], STEPS) == [STEPS[5]]  # no list announced
    paragraph = ["보관 방법은 다음과 같습니다.", "상온에 두세요."]  # prose, not a list, follows
    assert with_its_list(paragraph[0], paragraph) == paragraph[:1]
    long_list = ["운영 시간은 다음과 같습니다."] + [f"- {day}요일: 10시~19시" for day in "월화수목금토일"]
    assert with_its_list(long_list[0], long_list) == long_list[: 1 + LIST_LINES]


def test_the_same_rule_in_two_documents_is_quoted_once():
    """The FAQ and the guide repeat the warranty extension; a different rule is not a repeat, even one
    that shares its topic and number (e5 puts the two refund rules at cosine 0.97)."""
    faq = "필터 정기배송을 12개월 이상 유지하시면 본체 보증 기간이 1년 연장되어 총 3년이 됩니다."
    guide = "- 필터 정기배송을 12개월 이상 유지하시면 본체 보증 기간이 1년 연장되어 총 3년이 됩니다."
    assert near_duplicate(guide, [faq])
    assert not near_duplicate("전원 어댑터, 리모컨 등 액세서리의 보증 기간은 1년입니다.", [faq])
    assert not near_duplicate(faq, [])
    assert not near_duplicate("구매 후 7일 이내에는 전액 환불됩니다.", ["7일이 지나면 포인트로만 환불됩니다."])
