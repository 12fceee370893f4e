"""Load a folder of Markdown/text documents, refusing files that would poison the index.

Every file is read and checked before anything is written, so one bad file
stops indexing with a message naming it, and the existing index stays as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml

from ragfirst.rag.errors import CorpusError, CorpusWarning

SUFFIXES = (".md", ".txt")
MAX_FILE_BYTES = 1_000_000  # a support document is a few KB; 1 MB means a wrong file
MAX_FILES = 5_000  # a course corpus has dozens; thousands means a home folder was given by mistake
MAX_TOTAL_BYTES = 50_000_000
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")


@dataclass(frozen=True)
class Document:
    """One source document: the unit that answers cite."""

    doc_id: str
    title: str
    category: str
    text: str
    path: str

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index, so any edit changes it."""
        payload = "\x1f".join([self.doc_id, self.title, self.category, self.text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def read_document(path: Path, root: Path) -> Document:
    """Read and validate one file; the id comes from front matter or the relative path."""
    rel = path.relative_to(root).as_posix()
    size = path.stat().st_size
    if size == 0:
        raise CorpusError(f"{rel}: 빈 파일입니다. 내용을 채우거나 폴더에서 빼 주세요.")
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"{rel}: 파일이 너무 큽니다({size:,}바이트, 한도 {MAX_FILE_BYTES:,}바이트). "
            "여러 문서로 나누어 주세요."
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise CorpusError(f"{rel}: 바이너리 파일로 보입니다(NUL 바이트 포함). .md/.txt 텍스트 파일만 넣어 주세요.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"{rel}: UTF-8로 읽을 수 없습니다({error.start}번째 바이트). "
            "편집기에서 UTF-8로 다시 저장해 주세요(예: CP949/EUC-KR 파일)."
        ) from None
    text = text.replace("\r\n", "\n")
    meta, body = _split_front_matter(text, rel)
    if not body.strip():
        raise CorpusError(f"{rel}: 본문이 비어 있습니다. 내용을 채우거나 폴더에서 빼 주세요.")
    stem = rel.rsplit(".", 1)[0]
    doc_id = str(meta.get("id") or stem).strip()
    if not ID_PATTERN.match(doc_id):
        raise CorpusError(f"{rel}: 문서 id '{doc_id}'에는 영문, 숫자, '-', '_', '.', '/'만 쓸 수 있습니다.")
    title = str(meta.get("title") or _first_heading(body) or Path(stem).name).strip()
    category = str(meta.get("category") or "").strip()
    return Document(doc_id=doc_id, title=title, category=category, text=body.strip(), path=rel)


def load_corpus(folder: Path | str, *, follow_symlinks: bool = False, max_files: int = MAX_FILES,
                max_bytes: int = MAX_TOTAL_BYTES) -> list[Document]:
    """All .md/.txt documents under ``folder`` (recursive, README and hidden files skipped), sorted by id.

    Symbolic links are skipped with a :class:`CorpusWarning` unless ``follow_symlinks``: a ``notes.md``
    that points at a credentials file would otherwise be stored in the index and sent to a model.
    More than ``max_files`` documents or ``max_bytes`` in all stops before anything is read.
    """
    root = Path(folder).expanduser().resolve()
    if not root.exists():
        raise FileNotFoundError(f"{folder}: 폴더가 없습니다. 경로를 확인해 주세요.")
    if root.is_file():
        paths, root = [root], root.parent
    else:
        paths = _document_paths(root, follow_symlinks, max_files)
    if not paths:
        raise CorpusError(f"{folder}: .md 또는 .txt 문서가 없습니다. 문서 파일을 넣은 폴더를 지정해 주세요.")
    total = sum(p.stat().st_size for p in paths)
    if total > max_bytes:
        raise CorpusError(
            f"{folder}: 문서 {len(paths):,}개가 모두 {total:,}바이트로 한도 {max_bytes:,}바이트를 넘습니다. "
            "색인할 문서만 담은 폴더를 지정하거나 한도를 올려 주세요(ragfirst index --max-mb)."
        )
    docs = [read_document(p, root) for p in paths]
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.doc_id in seen:
            raise CorpusError(
                f"{doc.path}: 문서 id '{doc.doc_id}'가 {seen[doc.doc_id]}와 겹칩니다. id를 고유하게 바꿔 주세요."
            )
        seen[doc.doc_id] = doc.path
    return sorted(docs, key=lambda d: d.doc_id)


def _document_paths(root: Path, follow_symlinks: bool, max_files: int) -> list[Path]:
    """Candidate documents under ``root``, walking at most ``max_files`` of them; warns about skipped links."""
    paths: list[Path] = []
    skipped: list[str] = []
    visited: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_symlinks):
        here = Path(dirpath)
        real = os.path.realpath(dirpath)
        if real in visited:  # a followed link back into a folder already read
            dirnames[:] = []
            continue
        visited.add(real)
        for name in list(dirnames):
            if name.startswith(".") or (not follow_symlinks and (here / name).is_symlink()):
                dirnames.remove(name)
                if not name.startswith("."):
                    skipped.append((here / name).relative_to(root).as_posix() + "/")
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or path.suffix.lower() not in SUFFIXES or name.lower() == "readme.md":
                continue
            if path.is_symlink() and not follow_symlinks:
                skipped.append(path.relative_to(root).as_posix())
                continue
            if not path.is_file():
                continue
            paths.append(path)
            if len(paths) > max_files:
                raise CorpusError(
                    f"{root}: .md/.txt 문서가 {max_files:,}개를 넘습니다. 색인할 문서만 담은 폴더를 지정하거나 "
                    "한도를 올려 주세요(ragfirst index --max-files)."
                )
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" 외 {len(skipped) - 5}개" if len(skipped) > 5 else "")
        warnings.warn(f"심볼릭 링크 {len(skipped)}개를 건너뛰었습니다: {shown}. "
                      "링크된 파일도 색인하려면 --follow-symlinks (follow_symlinks=True)를 쓰세요.", CorpusWarning,
                      stacklevel=3)
    return sorted(paths)


def _split_front_matter(text: str, rel: str) -> tuple[dict, str]:
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise CorpusError(f"{rel}: 머리말(front matter) YAML을 읽을 수 없습니다: {error}") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{rel}: 머리말(front matter)은 'id: …', 'title: …' 형식이어야 합니다.")
    return meta, match.group(2)


def _first_heading(body: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
    return match.group(1) if match else None
