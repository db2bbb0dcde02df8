"""The document registry: uploads and generated files, stored by checksum with a version per name.

Files are content-addressed (`documents/ab/abcdef...`), so a transaction that fails after the
file is written leaves only an unreferenced file, never a row that points at nothing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sopflow.store.models import Document

ALLOWED_SUFFIXES = {".pdf", ".docx", ".xlsx", ".jpg", ".jpeg", ".png", ".odt", ".ods", ".txt"}
MAX_BYTES = 20 * 1024 * 1024


def safe_filename(name: str) -> str:
    """A file name safe to store and to mail: no directories, no control characters."""
    name = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    name = re.sub(r"[\x00-\x1f\x7f<>:\"/|?*]", "_", name).strip(" .")
    return name[:200] or "dokumen"


def store_bytes(documents_dir: Path, data: bytes) -> tuple[str, Path]:
    digest = hashlib.sha256(data).hexdigest()
    path = Path(documents_dir) / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return digest, path


def register(session: Session, documents_dir: Path, *, dag_id: str, run_id: str, name: str, data: bytes,
             jenis: str, created_by: str, step_instance_id: int | None = None) -> Document:
    name = safe_filename(name)
    digest, path = store_bytes(documents_dir, data)
    latest = session.scalar(select(func.max(Document.version)).where(
        Document.dag_id == dag_id, Document.run_id == run_id, Document.name == name))
    doc = Document(dag_id=dag_id, run_id=run_id, step_instance_id=step_instance_id, name=name, jenis=jenis,
                   version=(latest or 0) + 1, sha256=digest, size=len(data), path=str(path), created_by=created_by)
    session.add(doc)
    session.flush()
    return doc


def check_upload(path: Path) -> bytes:
    """Read an upload, refusing what the registry does not take. Raises ValueError with the reason."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    if path.suffix.lower() not in ALLOWED_SUFFIXES:
        raise ValueError(f"file type {path.suffix or '(none)'} is not accepted; use one of {', '.join(sorted(ALLOWED_SUFFIXES))}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(f"file is {size} bytes; the limit is {MAX_BYTES} bytes")
    return path.read_bytes()


def run_documents(session: Session, dag_id: str, run_id: str) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.dag_id == dag_id, Document.run_id == run_id)
                                .order_by(Document.id)))
