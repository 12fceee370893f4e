"""The exceptions a learner sees from the RAG pipeline, with messages in Korean.

Each subclasses ValueError or RuntimeError so that the CLI prints them as
one clean line instead of a traceback.
"""

from __future__ import annotations


class CorpusError(ValueError):
    """A document file cannot be indexed (empty, binary, not UTF-8, too large, bad front matter)."""


class CorpusWarning(UserWarning):
    """Files left out of an index on purpose (symbolic links), named so the learner can decide."""


class QuestionError(ValueError):
    """A question cannot be answered as asked (empty, too long, not Korean)."""


class IndexNotFoundError(RuntimeError):
    """The collection has not been built yet."""


class IndexReplacedError(IndexNotFoundError):
    """The index was rebuilt while a Retriever still read its previous version."""
