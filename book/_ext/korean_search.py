"""Korean full-text search for the book: index morphemes, not only whole words.

Sphinx ships no Korean search language: for ``language = "ko"`` it falls back to
English, which indexes each space-separated word (어절) whole, so "청크" never
matches a page that only says "청크를" or "청크로". Here the index holds both the
어절 and the content morphemes Kiwi finds in it (nouns, stems, foreign words;
the tags the course's BM25 search keeps, ragfirst.rag.korean), plus a noun
joined to its derivational suffix: Kiwi reads "양자화하지" as 양자 + 화 + 하 + 지,
and a reader searches for "양자화". The browser side needs nothing new: a
learner types a word, and the word is in the index.
"""

from __future__ import annotations

import re

from sphinx.search import SearchLanguage
from sphinx.search._stopwords.en import ENGLISH_STOPWORDS

from ragfirst.rag.korean import CONTENT_TAGS, has_hangul, kiwi

WORD = re.compile(r"\w+")
STEM_TAGS = frozenset({"NNG", "NNP", "XR"})  # what a derivational suffix (XSN: -화, -성, -치) attaches to


class SearchKorean(SearchLanguage):
    lang = "ko"
    language_name = "Korean"
    # No stemmer on either side (Sphinx lower-cases both): Sphinx 9.0 cannot
    # reuse its English stemmer under another language's name, and the
    # browser's partial matching already finds "model" in "models".
    stopwords = ENGLISH_STOPWORDS

    def split(self, input: str) -> list[str]:
        words = WORD.findall(input)
        if not has_hangul(input):
            return words
        tokens = kiwi().tokenize(input)
        morphemes = [t.form for t in tokens if t.tag.split("-")[0] in CONTENT_TAGS and has_hangul(t.form)]
        derived = [a.form + b.form for a, b in zip(tokens, tokens[1:])
                   if a.tag in STEM_TAGS and b.tag == "XSN" and b.start == a.start + a.len]
        return words + morphemes + derived


def setup(app):
    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
