"""Document loading: every kind of bad file is refused with a message naming it and the fix."""

from __future__ import annotations

import pytest

from ragfirst.rag.corpus import MAX_FILE_BYTES, load_corpus
from ragfirst.rag.errors import CorpusError
from rag_fixtures import write_corpus


def test_loads_front_matter_and_sorts_by_id(tmp_path):
    docs = load_corpus(write_corpus(tmp_path))
    assert [d.doc_id for d in docs] == ["t-filter", "t-refund", "t-ship"]
    ship = docs[2]
    assert ship.title == "배송비는 얼마인가요?"
    assert ship.category == "배송"
    assert ship.path == "faq/ship.md"
    assert ship.text.startswith("기본 배송비는 3,000원입니다.")


def test_plain_text_file_gets_id_from_path_and_readme_is_skipped(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "hours.txt").write_text("상담원은 평일 9시부터 18시까지 응대합니다.", encoding="utf-8")
    (tmp_path / "README.md").write_text("# 이 폴더 설명", encoding="utf-8")
    docs = load_corpus(tmp_path)
    assert [(d.doc_id, d.title) for d in docs] == [("notes/hours", "hours")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "빈 파일"),
        (b"---\nid: x\n---\n   \n", "본문이 비어"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "바이너리"),
        ("배송비는 3,000원입니다.".encode("cp949"), "UTF-8"),
        (b"---\nid: [broken\n---\nbody", "YAML"),
        (b"---\nid: bad id!\n---\nbody", "문서 id"),
    ],
)
def test_bad_files_are_refused_with_the_file_named(tmp_path, content, message):
    write_corpus(tmp_path)
    (tmp_path / "bad.md").write_bytes(content)
    with pytest.raises(CorpusError) as error:
        load_corpus(tmp_path)
    assert "bad.md" in str(error.value)
    assert message in str(error.value)


def test_very_large_file_is_refused(tmp_path):
    (tmp_path / "huge.txt").write_text("가" * (MAX_FILE_BYTES // 3 + 10), encoding="utf-8")  # 3 bytes per syllable
    with pytest.raises(CorpusError, match="huge.txt.*너무 큽니다"):
        load_corpus(tmp_path)


def test_duplicate_ids_name_both_files(tmp_path):
    write_corpus(tmp_path)
    (tmp_path / "copy.md").write_text("---\nid: t-ship\n---\n다른 내용", encoding="utf-8")
    with pytest.raises(CorpusError, match="faq/ship.md.*t-ship.*copy.md"):
        load_corpus(tmp_path)


def test_missing_or_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="폴더가 없습니다"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    with pytest.raises(CorpusError, match=".md 또는 .txt"):
        load_corpus(tmp_path)


def test_content_hash_changes_with_any_field(tmp_path):
    first = {d.doc_id: d.content_hash for d in load_corpus(write_corpus(tmp_path))}
    path = tmp_path / "faq" / "ship.md"
    path.write_text(path.read_text(encoding="utf-8").replace("3,000원입니다", "3,500원입니다"), encoding="utf-8")
    second = {d.doc_id: d.content_hash for d in load_corpus(tmp_path)}
    assert first["t-ship"] != second["t-ship"]
    assert first["t-refund"] == second["t-refund"]
