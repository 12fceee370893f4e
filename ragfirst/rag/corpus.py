"""Load a folder of Markdown/text documents, refusing files that would poison the index.

Every file is read and checked before anything is written, so one bad file
stops indexing with a message naming it, and the existing index stays as it was.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ragfirst.rag.errors import CorpusError

SUFFIXES = (".md", ".txt")
MAX_FILE_BYTES = 1_000_000  # a support document is a few KB; 1 MB means a wrong file
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


def load_corpus(folder: Path | str) -> list[Document]:
    """All .md/.txt documents under ``folder`` (recursive, README files skipped), sorted by id."""
    root = Path(folder).expanduser().resolve()
    if not root.exists():
        raise FileNotFoundError(f"{folder}: 폴더가 없습니다. 경로를 확인해 주세요.")
    if root.is_file():
        paths, root = [root], root.parent
    else:
        paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        paths = [p for p in paths if p.name.lower() != "readme.md" and not _hidden(p, root)]
    if not paths:
        raise CorpusError(f"{folder}: .md 또는 .txt 문서가 없습니다. 문서 파일을 넣은 폴더를 지정해 주세요.")
    docs = [read_document(p, root) for p in paths]
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.doc_id in seen:
            raise CorpusError(
                f"{doc.path}: 문서 id '{doc.doc_id}'가 {seen[doc.doc_id]}와 겹칩니다. id를 고유하게 바꿔 주세요."
            )
        seen[doc.doc_id] = doc.path
    return sorted(docs, key=lambda d: d.doc_id)


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


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
