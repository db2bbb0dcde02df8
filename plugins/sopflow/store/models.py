"""SQLAlchemy models of the domain database: runs, step instances, decisions, documents,
the mail outbox, BKU numbering, delegations added by admins, used links and the append-only audit log. The schema is owned by the Alembic
migrations in `store/migrations/`; these classes must match them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the domain database; use an aware one")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class SopRun(Base):
    """One run of an SOP (one Airflow DAG run), with the period it reports on."""

    __tablename__ = "sop_run"
    __table_args__ = (UniqueConstraint("dag_id", "run_id", name="uq_sop_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dag_id: Mapped[str] = mapped_column(String(250), index=True)
    run_id: Mapped[str] = mapped_column(String(250))
    sop_id: Mapped[str] = mapped_column(String(100))
    periode: Mapped[str] = mapped_column(String(50))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StepInstance(Base):
    """One round of one step of one run, for one Bagian when the step fans out per Bagian."""

    __tablename__ = "step_instance"
    __table_args__ = (UniqueConstraint("dag_id", "run_id", "step_id", "bagian", "round", name="uq_step_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dag_id: Mapped[str] = mapped_column(String(250), index=True)
    run_id: Mapped[str] = mapped_column(String(250), index=True)
    sop_id: Mapped[str] = mapped_column(String(100))
    step_id: Mapped[str] = mapped_column(String(100))
    step_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    uraian: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(100))
    bagian: Mapped[str] = mapped_column(String(100), default="")
    round: Mapped[int] = mapped_column(Integer, default=1)
    # open -> done (task, auto) | approved (review IYA, approval) | revised (review TIDAK) | skipped
    status: Mapped[str] = mapped_column(String(20), index=True, default="open")
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    assignee_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    on_behalf_of: Mapped[str | None] = mapped_column(String(320), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The review instance whose TIDAK reopened this round (so finishing it asks the reviewer again).
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("step_instance.id"), nullable=True)

    decisions: Mapped[list["Decision"]] = relationship(back_populates="step_instance", order_by="Decision.id")
    documents: Mapped[list["Document"]] = relationship(back_populates="step_instance", order_by="Document.id")


class Decision(Base):
    """A reviewer's or approver's decision: IYA or TIDAK, with a note."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_instance_id: Mapped[int] = mapped_column(ForeignKey("step_instance.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # iya | tidak
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    by_email: Mapped[str] = mapped_column(String(320))
    on_behalf_of: Mapped[str | None] = mapped_column(String(320), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    step_instance: Mapped[StepInstance] = relationship(back_populates="decisions")


class Document(Base):
    """A document in the registry: an upload or a generated file, versioned per run and name."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("dag_id", "run_id", "name", "version", name="uq_document_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dag_id: Mapped[str] = mapped_column(String(250), index=True)
    run_id: Mapped[str] = mapped_column(String(250), index=True)
    step_instance_id: Mapped[int | None] = mapped_column(ForeignKey("step_instance.id"), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(255))
    jenis: Mapped[str] = mapped_column(String(50))  # upload | lembar_disposisi | rekam_jejak
    version: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    step_instance: Mapped[StepInstance | None] = relationship(back_populates="documents")


class OutboxMessage(Base):
    """A mail waiting to be sent, or sent. The key makes queuing idempotent."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(700), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list)  # document ids
    dag_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="pending")  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class BkuCounter(Base):
    """The last BKU/register number given per fiscal year and bendahara. Incremented under a row
    lock in the transaction that records the approval (domain.bku), so numbers are gapless."""

    __tablename__ = "bku_counter"
    __table_args__ = (UniqueConstraint("fiscal_year", "bendahara", name="uq_bku_counter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    bendahara: Mapped[str] = mapped_column(String(100))
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class BkuNumber(Base):
    """A BKU/register number given to one subject (e.g. an SPJ bundle). Never reused or deleted."""

    __tablename__ = "bku_number"
    __table_args__ = (
        UniqueConstraint("fiscal_year", "bendahara", "subject_key", name="uq_bku_number_subject"),
        UniqueConstraint("fiscal_year", "bendahara", "number", name="uq_bku_number_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    bendahara: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    subject_key: Mapped[str] = mapped_column(String(250))
    # The number as printed, formatted once when given (a later format change leaves it alone).
    nomor: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DelegationRecord(Base):
    """A Plh/Plt added by an admin on the web (staff.yaml holds the others). Revoked, never deleted."""

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(100))  # person id in staff.yaml
    delegate: Mapped[str] = mapped_column(String(100))
    jenis: Mapped[str] = mapped_column(String(10))  # Plh | Plt
    mulai: Mapped[dt.date] = mapped_column(Date)
    sampai: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LinkUse(Base):
    """A signed link (task link or sign-in link) that has been used: a second use is a replay."""

    __tablename__ = "link_use"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # task | masuk
    email: Mapped[str] = mapped_column(String(320))
    step_instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(30))
    used_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuditEntry(Base):
    """Append-only: who did what, when, from where. Never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(50))  # cli | airflow | web
    dag_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    step_instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _audit_is_append_only(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise RuntimeError("the audit log is append-only")


# --- SPJ bundles (SOP VIII) ------------------------------------------------------------------------
from decimal import Decimal  # noqa: E402 - kept with the SPJ models they serve

from sqlalchemy import Numeric  # noqa: E402


class Rupiah(TypeDecorator):
    """An exact Decimal amount of rupiah with two decimals on every engine: NUMERIC(18, 2) on
    PostgreSQL, the decimal text ("1234567.89") on SQLite, whose NUMERIC is a binary float that
    loses sen above about 10^13 (see docs/decisions.md). Floats are refused."""

    impl = Numeric(18, 2, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(24))
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (bool, float)) or not isinstance(value, (int, Decimal)):
            raise TypeError(f"a rupiah amount must be a Decimal or an int, not {type(value).__name__}")
        value = Decimal(value)
        if not value.is_finite() or value != value.quantize(Decimal("0.01")) or abs(value) >= 10**16:
            raise ValueError(f"not an amount of rupiah with at most two decimals: {value}")
        value = value.quantize(Decimal("0.01"))
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"))


class SpjBundle(Base):
    """An SPJ bundle submitted by a BPP for an SPP-UP/GU/TU/LS, and where it stands."""

    __tablename__ = "spj_bundle"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jenis_spp: Mapped[str] = mapped_column(String(2))  # UP | GU | TU | LS
    tahun_anggaran: Mapped[int] = mapped_column(Integer)
    bendahara_email: Mapped[str] = mapped_column(String(320), index=True)
    sub_kegiatan: Mapped[str] = mapped_column(String(50))
    uraian: Mapped[str] = mapped_column(Text)
    total: Mapped[Decimal] = mapped_column(Rupiah())
    # diajukan -> dalam_proses (in a batch) [-> dikembalikan -> dalam_proses, a revision round with
    # the BPP] -> ditandatangani (the PA signed) -> dikirim (in the day's transmittal to BPKAD)
    status: Mapped[str] = mapped_column(String(20), index=True, default="diajukan")
    submitted_by: Mapped[str] = mapped_column(String(320))
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    batch_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # The Airflow batch run that processes the bundle, and its place (map index) in that batch.
    # Its steps are recorded under the domain run `spj-<id>` (spp_flow.run_key).
    dag_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(250), nullable=True, index=True)
    batch_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bku_nomor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    nomor_spp: Mapped[str | None] = mapped_column(String(200), nullable=True)
    nomor_spm: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The transmittal to BPKAD that carried it, e.g. "2027-03-15/1".
    transmittal: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The latest Form Koreksi Ajuan findings: [{"dokumen": ..., "masalah": ...}].
    koreksi: Mapped[list] = mapped_column(JSON, default=list)

    lines: Mapped[list["SpjLine"]] = relationship(back_populates="bundle", order_by="SpjLine.no")
    attachments: Mapped[list["SpjAttachment"]] = relationship(back_populates="bundle", order_by="SpjAttachment.id")


class SpjLine(Base):
    """A receipt line of an SPJ bundle."""

    __tablename__ = "spj_line"
    __table_args__ = (UniqueConstraint("bundle_id", "no", name="uq_spj_line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("spj_bundle.id"), index=True)
    no: Mapped[int] = mapped_column(Integer)
    tanggal: Mapped[dt.date] = mapped_column(Date)
    # Not unique here: a receipt number may come back in a bundle after its first was refused;
    # spj_intake.submit checks it against the BPP's other bundles of the year.
    nomor_bukti: Mapped[str] = mapped_column(String(100), index=True)
    kode_rekening: Mapped[str] = mapped_column(String(50))
    uraian: Mapped[str] = mapped_column(Text)
    jumlah: Mapped[Decimal] = mapped_column(Rupiah())
    penerima: Mapped[str] = mapped_column(String(250))
    ppn: Mapped[Decimal] = mapped_column(Rupiah())
    pph: Mapped[Decimal] = mapped_column(Rupiah())

    bundle: Mapped[SpjBundle] = relationship(back_populates="lines")


class SpjAttachment(Base):
    """A document attached to an SPJ bundle, of a kind named in config/spp.yaml."""

    __tablename__ = "spj_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("spj_bundle.id"), index=True)
    jenis: Mapped[str] = mapped_column(String(100))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))

    bundle: Mapped[SpjBundle] = relationship(back_populates="attachments")
    document: Mapped[Document] = relationship()
