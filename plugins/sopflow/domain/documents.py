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


# What a file of each accepted type starts with: a name ending in .pdf is not enough.
_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".odt": (b"PK\x03\x04",), ".ods": (b"PK\x03\x04",),
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def check_upload_bytes(name: str, data: bytes) -> str:
    """Check an upload by name and content; returns the safe file name. Raises ValueError with the reason."""
    suffix = Path(safe_filename(name)).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValueError(f"jenis berkas {suffix or '(tanpa akhiran)'} tidak diterima; gunakan salah satu dari "
                         f"{', '.join(sorted(ALLOWED_SUFFIXES))}")
    if len(data) > MAX_BYTES:
        raise ValueError(f"berkas {len(data)} byte; batasnya {MAX_BYTES} byte ({MAX_BYTES // 1024 // 1024} MB)")
    if not data:
        raise ValueError("berkas kosong")
    if suffix == ".txt":
        if b"\x00" in data:
            raise ValueError("berkas .txt berisi data biner")
    elif not data.startswith(_MAGIC[suffix]):
        raise ValueError(f"isi berkas bukan {suffix.lstrip('.').upper()} (akhiran nama tidak cocok dengan isinya)")
    return safe_filename(name)


def check_upload(path: Path) -> bytes:
    """Read an upload from disk (the CLI), refusing what the registry does not take."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"berkas tidak ditemukan: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"berkas {path.stat().st_size} byte; batasnya {MAX_BYTES} byte")
    data = path.read_bytes()
    check_upload_bytes(path.name, data)
    return data


def run_documents(session: Session, dag_id: str, run_id: str) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.dag_id == dag_id, Document.run_id == run_id)
                                .order_by(Document.id)))
