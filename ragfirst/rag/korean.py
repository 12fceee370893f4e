"""Korean text processing with Kiwi: sentence splitting and search tokens.

One shared Kiwi instance, because loading its model takes seconds.
Search tokens are morphemes plus character bigrams of each content word, so
that a typo ("결재" for "결제") or a spacing slip still shares most tokens with
the document.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Morpheme tags that carry meaning for search: nouns, numbers, foreign words,
# verb/adjective stems, roots and adverbs. Particles and endings are dropped.
CONTENT_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "VV", "VA", "XR", "MAG", "NP"})
UNIT_TAGS = frozenset({"NNB", "NNG"})
NOUN_TAGS = frozenset({"NNG", "NNP", "SL"})
HANGUL = re.compile(r"[가-힣]")


@lru_cache(maxsize=1)
def kiwi():
    """The process-wide Kiwi analyser (loads in about 2 s, no network)."""
    from kiwipiepy import Kiwi

    return Kiwi(num_workers=-1)


def split_sentences(lines: list[str]) -> list[list[str]]:
    """Sentences of each line (a line break is always a boundary).

    Batched: Kiwi's per-call overhead dominates on short lines, one call per
    line is about 15 times slower.
    """
    result: list[list[str]] = [[] for _ in lines]
    todo = [(i, line.strip()) for i, line in enumerate(lines) if line.strip()]
    if todo:
        for (i, _), sents in zip(todo, kiwi().split_into_sents([line for _, line in todo])):
            result[i] = [s.text.strip() for s in sents if s.text.strip()]
    return result


def _content(tokens) -> list[str]:
    """Content morphemes; a number glued to its unit also counts as one ("14일")."""
    out: list[str] = []
    for i, tok in enumerate(tokens):
        tag = tok.tag.split("-")[0]
        if tag not in CONTENT_TAGS:
            continue
        form = tok.form.lower()
        out.append(form)
        if tag == "SN" and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt.tag in UNIT_TAGS and nxt.start == tok.start + tok.len:
                out.append(form + nxt.form)
    return out


def _nouns(tokens) -> list[str]:
    """Nouns and foreign words (lower-cased), the words that name what is asked about."""
    return [t.form.lower() for t in tokens if t.tag in NOUN_TAGS and len(t.form) >= 2]


def char_bigrams(word: str) -> list[str]:
    """Character bigrams of a Hangul word, marked with '#' so they never collide with words."""
    if len(word) < 2 or not HANGUL.search(word):
        return []
    return ["#" + word[i : i + 2] for i in range(len(word) - 1)]


def search_tokens_and_nouns(text: str, bigrams: bool = True) -> tuple[list[str], list[str]]:
    """BM25 tokens (content morphemes plus their bigrams, for typo tolerance) and the nouns of
    one question, from a single Kiwi analysis: this runs on every search."""
    tokens = kiwi().tokenize(text)
    return _with_bigrams(text, _content(tokens), bigrams), _nouns(tokens)


def search_tokens_many(texts: list[str], bigrams: bool = True) -> list[list[str]]:
    """Search tokens of many texts in one batched Kiwi call (content morphemes only when ``bigrams=False``)."""
    analysed = kiwi().tokenize(list(texts))
    return [_with_bigrams(text, _content(tokens), bigrams) for text, tokens in zip(texts, analysed)]


def _with_bigrams(text: str, words: list[str], bigrams: bool) -> list[str]:
    if not bigrams:
        return words
    out = list(words)
    for word in words:
        out.extend(char_bigrams(word))
    # Bigrams across the raw text's words catch spacing and analysis slips
    # ("배송조회" vs "배송 조회", "어케" analysed oddly).
    for raw in re.findall(r"[가-힣]{2,}", text):
        out.extend(char_bigrams(raw))
    return out


def has_hangul(text: str) -> bool:
    """True when the text contains at least one Hangul syllable."""
    return bool(HANGUL.search(text))
