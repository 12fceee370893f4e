"""Korean full-text search for the book: index morphemes, not only whole words.

Sphinx ships no Korean search language: for ``language = "ko"`` it falls back to
English, which indexes each space-separated word (어절) whole, so "청크" never
matches a page that only says "청크를" or "청크로". Here the index holds both the
어절 and the content morphemes Kiwi finds in it (nouns, stems, foreign words),
the same analysis the course's BM25 search uses (ragfirst.rag.korean). The
browser side needs nothing new: a learner types a word, and the word is there.
"""

from __future__ import annotations

import re

from sphinx.search import SearchLanguage
from sphinx.search._stopwords.en import ENGLISH_STOPWORDS

from ragfirst.rag.korean import has_hangul, search_tokens_many

WORD = re.compile(r"\w+")


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
        [morphemes] = search_tokens_many([input], bigrams=False)
        return words + [m for m in morphemes if has_hangul(m)]


def setup(app):
    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
