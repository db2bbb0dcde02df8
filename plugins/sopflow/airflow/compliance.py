"""The quarterly compliance report: computed for the quarter just ended (Asia/Jakarta), registered
as documents (PDF and XLSX) and mailed to every person with the role `kabag`.

`send_compliance_report` holds the whole task and needs no Airflow: the operator only hands it the
run's date and id. It is idempotent per run id: a retried task finds the documents registered
(they are written in the same transaction as the mails) and queues nothing again; the outbox key
(run, "laporan_kepatuhan", recipient) guards the mails as well. A manual re-run of the DAG has a
new run id and so produces and sends a fresh report.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from airflow.sdk import BaseOperator

from sopflow.airflow.runctx import run_context

log = logging.getLogger(__name__)

DAG_ID = "sopflow_compliance"
JENIS = "laporan_kepatuhan"
RECIPIENT_ROLE = "kabag"


def _flush_mail() -> None:
    """Send what was queued now; whatever fails stays in the outbox for the outbox DAG."""
    from sopflow.mail import send_pending

    try:
        log.info("sopflow mail: %s", send_pending())
    except Exception as exc:  # the outbox keeps the mail; a later drain retries
        log.warning("sopflow mail: sending failed, kept in the outbox: %s", exc)


def send_compliance_report(now: dt.datetime | None = None, *, run_id: str | None = None,
                           recipient_role: str = RECIPIENT_ROLE, flush: bool = True) -> dict[str, Any]:
    """Produce the report of the quarter that ended before `now` and queue it to `recipient_role`.

    Returns what was done: the period, the document ids, the recipients and how many mails were
    queued by this call (0 on a retry that finds the work done)."""
    from types import SimpleNamespace

    from sqlalchemy import select

    from sopflow.domain import documents, outbox
    from sopflow.domain.compliance import load_report, previous_quarter
    from sopflow.domain.office import load_office
    from sopflow.render.compliance import (REPORT_NAME, summary_row, angka, period_text, render_pdf,
                                           render_xlsx, tanggal_panjang)
    from sopflow.render.templates import render
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope
    from sopflow.store.models import Document

    now = now or dt.datetime.now(dt.timezone.utc)
    start, end, label = previous_quarter(now)
    run_id = run_id or f"triwulan__{start.isoformat()}_{end.isoformat()}"
    settings = get_settings()
    office = load_office(settings.config_dir)
    result: dict[str, Any] = {"periode": label, "from": start.isoformat(), "to": end.isoformat(), "run_id": run_id}

    def registered(session) -> list[Document]:
        return list(session.scalars(select(Document).where(
            Document.dag_id == DAG_ID, Document.run_id == run_id, Document.jenis == JENIS).order_by(Document.id)))

    with session_scope() as session:
        done = registered(session)
        if not done:
            report = load_report(session, office, start, end, title=label)
    if done:
        log.info("sopflow compliance: %s already produced for run %s", label, run_id)
        result.update(documents=[d.id for d in done], recipients=[], queued=0)
        if flush:
            _flush_mail()
        return result

    # Rendering takes seconds: outside any transaction (SQLite holds its write lock per transaction).
    files = {f"{REPORT_NAME} {label}.pdf": render_pdf(report), f"{REPORT_NAME} {label}.xlsx": render_xlsx(report)}
    try:
        people = office.staff.members(recipient_role)
    except KeyError:
        log.warning("sopflow compliance: staff.yaml has no role %r; the report is registered but not mailed",
                    recipient_role)
        people = []

    context = dict(
        periode=label, rentang=f"{tanggal_panjang(start)} s.d. {tanggal_panjang(end)}",
        total=summary_row(report.total),
        bottlenecks=[SimpleNamespace(rank=b.rank, sop_id=b.sop_id, step_no=b.step_no, uraian=b.uraian,
                                     overrun_total=angka(b.overrun_total)) for b in report.bottlenecks[:3]],
        documents=list(files),
    )
    queued = 0
    with session_scope() as session:
        done = registered(session)
        if done:  # a concurrent attempt finished first
            result.update(documents=[d.id for d in done], recipients=[], queued=0)
            return result
        docs = [documents.register(session, settings.documents_dir, dag_id=DAG_ID, run_id=run_id, name=name,
                                   data=data, jenis=JENIS, created_by="system")
                for name, data in files.items()]
        for person in people:
            mail = dict(context, recipient_nama=person.nama)
            message = outbox.enqueue(
                session,
                key=outbox.message_key(DAG_ID, run_id, JENIS, "", 1, "laporan", person.email),
                kind="laporan", recipient=person.email,
                subject=render("email/compliance.subject.txt", **mail).strip(),
                body_text=render("email/compliance.txt", **mail),
                body_html=render("email/compliance.html", **mail),
                attachments=[d.id for d in docs], dag_id=DAG_ID, run_id=run_id,
            )
            queued += message is not None
        result.update(documents=[d.id for d in docs], recipients=[p.email for p in people], queued=queued,
                      steps=report.total.steps, within_share=report.total.within_share,
                      title=period_text(report))
    log.info("sopflow compliance: %s (%d steps) queued to %s", label, report.total.steps, result["recipients"])
    if flush:
        _flush_mail()
    return result


class ComplianceReportOperator(BaseOperator):
    """Produces the compliance report of the quarter just ended and mails it to the Kabag."""

    ui_color = "#d9f99d"

    def __init__(self, *, recipient_role: str = RECIPIENT_ROLE, **kwargs: Any):
        super().__init__(**kwargs)
        self.recipient_role = recipient_role

    def execute(self, context: Any) -> Any:
        rc = run_context(context)
        return send_compliance_report(rc.when, run_id=rc.run_id, recipient_role=self.recipient_role)
