"""The service's documents: a folder mirrored into one chroma collection, changed all or nothing.

Uploads and deletions never touch the live folder in place. The change is made in
a copy, checked by the same loader as `ragfirst index` (``load_corpus``: UTF-8,
size, front matter, unique ids), indexed by the same ``build_index`` (content-hash
chunk ids, so the same file twice changes nothing, and a staging collection swapped
in only when complete), and only then does the copy replace the live folder. Any
failure on the way leaves the folder and the index as they were. A file lock
serialises changes across worker processes.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from ragfirst.rag.corpus import MAX_FILE_BYTES, SUFFIXES, load_corpus, read_document
from ragfirst.rag.errors import CorpusError
from ragfirst.rag.index import IndexReport, build_index
from ragfirst.service.errors import ServiceError
from ragfirst.service.limits import UPLOAD_FILES
from ragfirst.service.settings import Settings

UPLOADS = "uploads"  # uploaded files live in this sub-folder of the live folder
# A plain file name: no folders, no leading dot, nothing a shell or a path would read specially.
FILE_NAME = re.compile(r"^[0-9A-Za-z가-힣][0-9A-Za-z가-힣._-]{0,99}$")
LOCK_TIMEOUT = 300.0


@dataclass(frozen=True)
class Change:
    report: IndexReport
    affected: list[str]  # document ids uploaded or deleted


def live_folder(settings: Settings) -> Path:
    """A symlink to the current version folder: replacing the link is the one atomic step of a change."""
    return settings.documents / "live"


def _lock(settings: Settings) -> FileLock:
    settings.documents.mkdir(parents=True, exist_ok=True, mode=0o700)
    return FileLock(str(settings.documents / "change.lock"), timeout=LOCK_TIMEOUT)


def _new_version(settings: Settings) -> Path:
    path = settings.documents / "versions" / uuid.uuid4().hex
    path.parent.mkdir(exist_ok=True, mode=0o700)
    return path


def _make_live(settings: Settings, version: Path) -> None:
    """Point ``live`` at ``version`` (os.replace of a symlink is atomic) and drop the old version."""
    live = live_folder(settings)
    old = live.resolve() if live.is_symlink() else None
    link = settings.documents / f".live-{uuid.uuid4().hex}"
    link.symlink_to(version, target_is_directory=True)
    os.replace(link, live)
    if old is not None and old != version.resolve():
        shutil.rmtree(old, ignore_errors=True)


def ensure(settings: Settings, client=None) -> IndexReport:
    """First start: copy the starting corpus in; every start: make the index mirror the folder."""
    with _lock(settings):
        live = live_folder(settings)
        if not live.exists():
            version = _new_version(settings)
            root = settings.corpus.expanduser().resolve()
            for doc in load_corpus(root):
                source = root / doc.path if root.is_dir() else root
                target = version / doc.path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            _make_live(settings, version)
        return build_index(live.resolve(), settings.collection, client=client)


def check_file_name(name: str | None) -> str:
    """A safe file name for an upload, or a 4xx naming the problem."""
    raw = name or ""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    if base != raw or not FILE_NAME.match(base) or ".." in base:
        raise ServiceError(422, "bad_file_name",
                           f"파일 이름 {raw!r}는 쓸 수 없습니다. 폴더 없이 한글·영문·숫자와 '.', '_', '-'만 쓴 이름으로 올려 주세요 "
                           "(예: refund-policy.md).", "files")
    if base.lower() == "readme.md":  # the loader skips README files: it would never be indexed
        raise ServiceError(422, "bad_file_name", "README.md는 색인에서 빠지는 이름입니다. 다른 이름으로 올려 주세요.", "files")
    if Path(base).suffix.lower() not in SUFFIXES:
        raise ServiceError(415, "unsupported_type",
                           f"'{base}'는 올릴 수 없는 형식입니다. .md 또는 .txt 텍스트 파일만 올려 주세요.", "files")
    return base


def upload(settings: Settings, files: list[tuple[str, bytes]], client=None) -> Change:
    """Add or replace ``files`` (name, content) as documents; all are indexed or none."""
    if not files:
        raise ServiceError(422, "no_files", "올린 파일이 없습니다. 'files' 필드에 .md/.txt 파일을 넣어 주세요.", "files")
    if len(files) > UPLOAD_FILES:
        raise ServiceError(413, "too_many_files", f"한 번에 {UPLOAD_FILES}개까지 올릴 수 있습니다 (지금 {len(files)}개).", "files")
    names = [check_file_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise ServiceError(422, "duplicate_file_name", "같은 이름의 파일을 두 번 올렸습니다. 파일 이름을 다르게 해 주세요.", "files")
    for name, (_, content) in zip(names, files):
        if len(content) > MAX_FILE_BYTES:
            raise ServiceError(413, "file_too_large",
                               f"'{name}'이 너무 큽니다({len(content):,}바이트, 한도 {MAX_FILE_BYTES:,}바이트). 나누어 올려 주세요.",
                               "files")

    def change(staging: Path) -> list[str]:
        folder = staging / UPLOADS
        folder.mkdir(exist_ok=True)
        ids = []
        for name, (_, content) in zip(names, files):
            (folder / name).write_bytes(content)
            ids.append(read_document(folder / name, staging).doc_id)
        return ids

    return _apply(settings, change, client)


def delete(settings: Settings, doc_id: str, client=None) -> Change:
    """Remove the document ``doc_id`` (its file and its chunks)."""

    def change(staging: Path) -> list[str]:
        docs = {d.doc_id: d for d in load_corpus(staging)}
        if doc_id not in docs:
            raise ServiceError(404, "document_not_found", f"문서 '{doc_id}'가 없습니다. GET /v1/documents 로 id를 확인해 주세요.", "id")
        if len(docs) == 1:
            raise ServiceError(409, "last_document", "마지막 남은 문서는 지울 수 없습니다. 새 문서를 먼저 올려 주세요.", "id")
        (staging / docs[doc_id].path).unlink()
        return [doc_id]

    return _apply(settings, change, client)


def _apply(settings: Settings, change, client) -> Change:
    """Copy the live folder, ``change`` the copy, index it, and only then make it live."""
    with _lock(settings):
        version = _new_version(settings)
        shutil.copytree(live_folder(settings).resolve(), version)
        try:
            affected = change(version)
            report = build_index(version, settings.collection, client=client)
            _make_live(settings, version)
        except CorpusError as error:
            shutil.rmtree(version, ignore_errors=True)
            raise ServiceError(422, "bad_document", str(error), "files") from None
        except BaseException:
            shutil.rmtree(version, ignore_errors=True)
            raise
    return Change(report, affected)
