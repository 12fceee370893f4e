"""Find the question(s) in a customer message, and the story around them.

Chat messages tell a story first ("어제 밤 11시 넘어서 결제했거든요.") and ask
last, sometimes twice. Searching and quoting for the whole message follows the
story; searching for the question alone loses the context that names the
product or the situation. So a message is split into sentences (Kiwi) and each
sentence is marked as a question when it carries a question sign: a question
mark, a question word (얼마, 언제, 몇, 어떻게…), a question ending (…나요, …까요,
…가요, …죠) or a request to tell (알려 주세요, 궁금해요). The retriever then
searches both texts and fuses them (:mod:`ragfirst.rag.focus`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragfirst.rag.korean import split_sentences

# Question words, also inside longer words ("몇kg", "얼마나", "어떻게").
WH_WORDS = re.compile(r"얼마|언제|어디|어떻게|어떡|어케|몇|무슨|뭐|무엇|뭘|왜|어느|어떤|누구|누가")
# Question endings at the end of a sentence (after trailing emoticons and punctuation are cut).
QUESTION_ENDINGS = re.compile(
    r"(?:나요|까요|가요|는지요|ㄴ지요|인지요|던가요|습니까|ㅂ니까|니까|죠|지요|냐|니|나|래요|려나|는지|을지|ㄹ지|"
    r"돼요|되요|되나|해요|하나|있어요|없어요|있나|없나|어요|아요|에요|예요|여요|여)$"
)
# Requests to tell or explain: the sentence asks even without a question mark.
REQUEST = re.compile(r"알려\s*주|알려주|알고\s*싶|궁금|설명해\s*주|안내해\s*주|확인해\s*주|가르쳐|말해\s*주")
# Endings of a statement that would otherwise match a question ending ("샀어요", "왔어요").
TRAILING = re.compile(r"[\s~!.,…ㅠㅜㅋㅎㅡ;^]+$")


@dataclass
class Message:
    """A message split into sentences, with the question sentences marked."""

    text: str
    sentences: list[str]
    questions: list[str] = field(default_factory=list)  # in message order
    context: list[str] = field(default_factory=list)  # the other sentences

    @property
    def focus(self) -> str:
        """The question part of the message (the whole message when nothing looks like a question)."""
        return " ".join(self.questions) if self.questions else self.text

    @property
    def is_long(self) -> bool:
        """True when there is more than the question to the message."""
        return bool(self.context)


def question_score(sentence: str) -> int:
    """How strongly a sentence asks: a question mark counts 2, each other sign 1."""
    text = TRAILING.sub("", sentence)
    score = 2 if "?" in sentence or "？" in sentence else 0
    score += bool(WH_WORDS.search(sentence))
    score += bool(REQUEST.search(sentence))
    # a bare "-어요/-아요" ends statements as often as questions: it counts only with another sign
    ending = QUESTION_ENDINGS.search(text)
    if ending and (ending.group(0) not in {"어요", "아요", "에요", "예요", "여요", "여", "해요", "있어요", "없어요"} or score):
        score += 1
    return score


def read_message(text: str) -> Message:
    """Split ``text`` into sentences and mark the questions (see the module docstring)."""
    sentences = [s for line in split_sentences(text.splitlines() or [text]) for s in line]
    sentences = _merge_fragments(sentences) or [text]
    scores = [question_score(s) for s in sentences]
    best = max(scores)
    if best == 0:  # no sign at all: the last sentence is where chat messages ask
        questions = [sentences[-1]] if len(sentences) > 1 else []
    else:
        questions = [s for s, score in zip(sentences, scores) if score >= min(2, best)]
    context = [s for s in sentences if s not in questions]
    return Message(text, sentences, questions, context)


def _merge_fragments(sentences: list[str]) -> list[str]:
    """Glue very short pieces ("ㅠㅠ", "혹시") to the sentence before them."""
    out: list[str] = []
    for sentence in sentences:
        if out and len(re.sub(r"[^가-힣A-Za-z0-9]", "", sentence)) < 4:
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out
