"""Steps the system does itself: archive (the run's record, final documents marked) and distribute."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.domain import audit, documents, notify
from sopflow.domain.office import Office
from sopflow.domain.sop import SopDefinition, Step
from sopflow.domain.steps import get_run, instances_of
from sopflow.render.pdf import html_to_pdf
from sopflow.render.templates import render
from sopflow.store.models import Decision, Document, StepInstance


def _archive(session: Session, office: Office, sop: SopDefinition, inst: StepInstance, documents_dir) -> Document:
    run = get_run(session, inst.dag_id, inst.run_id)
    instances = list(session.scalars(select(StepInstance).where(
        StepInstance.dag_id == inst.dag_id, StepInstance.run_id == inst.run_id).order_by(StepInstance.id)))
    decisions = []
    for d in session.scalars(select(Decision).join(StepInstance).where(
            StepInstance.dag_id == inst.dag_id, StepInstance.run_id == inst.run_id).order_by(Decision.id)):
        decisions.append(dict(step_no=d.step_instance.step_no, round=d.step_instance.round, decision=d.decision,
                              note=d.note, by_email=d.by_email, at=d.at))
    docs = documents.run_documents(session, inst.dag_id, inst.run_id)
    nama = {p.email: p.nama for p in office.staff.people} | {"system": "sistem"}
    peran = {role_id: role.nama for role_id, role in office.staff.roles.items()}
    html = render("documents/rekam_jejak.html", sop=sop, periode=run.periode, run_id=inst.run_id,
                  instances=instances, decisions=decisions, documents=docs, nama=nama, peran=peran)
    for doc in notify.latest_uploads(session, inst.dag_id, inst.run_id):
        doc.archived = True
    record = documents.register(session, documents_dir, dag_id=inst.dag_id, run_id=inst.run_id,
                                name=f"Rekam Jejak {sop.id} {run.periode}.pdf", data=html_to_pdf(html),
                                jenis="rekam_jejak", created_by="system", step_instance_id=inst.id)
    record.archived = True
    return record


def run_auto_step(session: Session, office: Office, sop: SopDefinition, step: Step, *, dag_id: str, run_id: str,
                  documents_dir, now: dt.datetime | None = None) -> StepInstance:
    """Do an auto step once. A retry finds it done and does nothing again."""
    existing = instances_of(session, dag_id, run_id, step.id)
    if existing and existing[-1].status == "done":
        return existing[-1]
    now = now or dt.datetime.now(dt.timezone.utc)
    inst = StepInstance(dag_id=dag_id, run_id=run_id, sop_id=sop.id, step_id=step.id, step_no=step.no,
                        kind="auto", uraian=step.uraian, role=step.pelaksana, bagian="", round=1, status="open",
                        candidates=[], opened_at=now)
    session.add(inst)
    session.flush()
    detail: dict = {"actions": list(step.actions)}
    extra = []
    if "archive" in step.actions:
        record = _archive(session, office, sop, inst, documents_dir)
        extra.append(record)
        detail["archived"] = record.name
    for action in step.actions:
        if action in ("nomor_bku", "dokumen_spp", "dokumen_spm"):  # SOP VIII's payment papers
            from sopflow.domain import spp_flow

            detail[action] = spp_flow.run_action(session, office, step, inst, action)
    if "distribute" in step.actions:
        detail["distributed_to"] = notify.queue_distribution(session, office, sop, step, inst, extra=extra)
    inst.status, inst.closed_at, inst.closed_by = "done", dt.datetime.now(dt.timezone.utc), "system"
    audit.record(session, actor="system", action="done", source="airflow", instance=inst, detail=detail)
    return inst
