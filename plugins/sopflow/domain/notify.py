"""What the system tells people: task emails, distribution emails and the disposition sheet.

Every message goes to the outbox in the same transaction as the change that caused it, with a
key (run, step, Bagian, round, kind, recipient) so that a retried task never queues it twice.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.domain import documents, outbox
from sopflow.domain.office import Office
from sopflow.domain.period import JAKARTA
from sopflow.domain.sop import SopDefinition, Step
from sopflow.settings import get_settings
from sopflow.store.models import Document, SopRun, StepInstance


# Documents the system prepared for a step instance that go with its task mail.
MAILED_WITH_TASK = ("lembar_disposisi", "form_koreksi_ajuan")


def _instance_view(office: Office, inst: StepInstance) -> SimpleNamespace:
    return SimpleNamespace(id=inst.id, round=inst.round, due_at=inst.due_at, status=inst.status,
                           bagian=inst.bagian, bagian_nama=office.staff.bagian_name(inst.bagian) if inst.bagian else "")


def _person_view(office: Office, email: str) -> SimpleNamespace:
    person = office.staff.by_email(email)
    if person is None:
        return SimpleNamespace(nama=email, email=email, jabatan="", nip="")
    return SimpleNamespace(nama=person.nama, email=person.email, jabatan=person.jabatan, nip=person.nip)


def action_command(inst: StepInstance, email: str) -> str:
    if inst.kind == "task":
        return f"sopflow done {inst.id} --by {email} --file DOKUMEN --note CATATAN"
    if inst.kind == "review":
        return f"sopflow approve {inst.id} --by {email} --note CATATAN"
    return f"sopflow approve {inst.id} --by {email}"


def task_recipients(office: Office, inst: StepInstance, today: dt.date) -> list[tuple[str, str | None]]:
    """(email, stands in for) for every candidate and every delegate active today."""
    result: list[tuple[str, str | None]] = [(email, None) for email in inst.candidates]
    for email in inst.candidates:
        for delegate, _ in office.staff.delegates_for(email, today):
            if delegate.email not in [r for r, _ in result]:
                result.append((delegate.email, email))
    return result


def task_link(inst: StepInstance, email: str) -> str:
    """The signed link to the task page for this person (see domain.links)."""
    from sopflow.domain.links import task_url

    settings = get_settings()
    return task_url(settings.base_url, settings.secret_key, inst.id, email)


def queue_task_mail(session: Session, office: Office, sop: SopDefinition, step: Step, inst: StepInstance,
                    run: SopRun, revision_note: str | None = None, *, only_delegates: bool = False,
                    now: dt.datetime | None = None) -> None:
    """Queue the task email to each candidate and to each one's delegate active today.

    `only_delegates`: a hand-over of an open task to a Plh/Plt; the candidates had theirs.
    """
    from sopflow.render.templates import render  # Jinja2 and Babel load only when mail is made

    attachments = [d.id for d in session.scalars(select(Document).where(
        Document.step_instance_id == inst.id, Document.jenis.in_(MAILED_WITH_TASK)))]
    if revision_note is None and inst.reopened_by_id is not None and inst.kind == "task":
        reviewer = session.get(StepInstance, inst.reopened_by_id)
        revision_note = reviewer.note if reviewer is not None else None
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(JAKARTA).date()
    for email, stands_in_for in task_recipients(office, inst, today):
        if only_delegates and stands_in_for is None:
            continue
        context = dict(
            sop=sop, step=step, instance=_instance_view(office, inst), person=_person_view(office, email),
            periode=run.periode, command=action_command(inst, email), revision_note=revision_note,
            link=task_link(inst, email), stands_in_for=_person_view(office, stands_in_for) if stands_in_for else None,
        )
        outbox.enqueue(
            session,
            key=outbox.message_key(inst.dag_id, inst.run_id, inst.step_id, inst.bagian, inst.round, "task", email),
            kind="task", recipient=email,
            subject=render("email/task.subject.txt", **context).strip(),
            body_text=render("email/task.txt", **context),
            body_html=render("email/task.html", **context),
            attachments=attachments, dag_id=inst.dag_id, run_id=inst.run_id,
        )


def prepare_disposition(session: Session, office: Office, sop: SopDefinition, step: Step, inst: StepInstance,
                        run: SopRun) -> Document:
    """The lembar disposisi the assigning official signs: to whom, what, by when."""
    from sopflow.render.pdf import html_to_pdf
    from sopflow.render.templates import render

    following = sop.steps[step.no] if step.no < len(sop.steps) else step
    receivers = office.staff.members(following.pelaksana)
    giver = office.staff.by_email(inst.candidates[0]) if inst.candidates else None
    params = run.params or {}
    surat = {
        "dari": "BPKAD Kabupaten Blitar" if params.get("nomor_surat") else "-",
        "nomor": params.get("nomor_surat") or "-",
        "tanggal": params.get("tanggal_surat") or "-",
        "perihal": f"{sop.nama} ({run.periode})",
    }
    html = render(
        "documents/lembar_disposisi.html", sop=sop, step=step, instance=_instance_view(office, inst),
        person=_person_view(office, receivers[0].email) if receivers else _person_view(office, "-"),
        pemberi=giver or SimpleNamespace(nama="-", jabatan="-", nip="-"), periode=run.periode, surat=surat,
    )
    return documents.register(
        session, get_settings().documents_dir, dag_id=inst.dag_id, run_id=inst.run_id,
        name=f"Lembar Disposisi Langkah {step.no}.pdf", data=html_to_pdf(html), jenis="lembar_disposisi",
        created_by="system", step_instance_id=inst.id,
    )


def latest_uploads(session: Session, dag_id: str, run_id: str) -> list[Document]:
    """The documents of the most recent step round that handed in documents: the run's current output."""
    docs = [d for d in documents.run_documents(session, dag_id, run_id) if d.jenis == "upload"]
    if not docs:
        return []
    last_instance = docs[-1].step_instance_id
    return [d for d in docs if d.step_instance_id == last_instance]


def queue_distribution(session: Session, office: Office, sop: SopDefinition, step: Step, inst: StepInstance,
                       extra: list[Document] = ()) -> list[str]:
    from sopflow.render.templates import render

    docs = [d for d in documents.run_documents(session, inst.dag_id, inst.run_id)
            if d.step_instance_id == inst.id and d.jenis == "upload"] or latest_uploads(session, inst.dag_id, inst.run_id)
    docs = [*docs, *extra]
    run = session.scalar(select(SopRun).where(SopRun.dag_id == inst.dag_id, SopRun.run_id == inst.run_id))
    sent_to = []
    for recipient in step.distribusi:
        for email in office.staff.recipient_emails(recipient):
            person = office.staff.by_email(email)
            external = next((e for e in office.staff.external if e.email == email), None)
            context = dict(sop=sop, step=step, periode=run.periode, documents=[d.name for d in docs],
                           recipient_nama=person.nama if person else (external.nama if external else email))
            outbox.enqueue(
                session,
                key=outbox.message_key(inst.dag_id, inst.run_id, inst.step_id, inst.bagian, inst.round,
                                       "distribution", email),
                kind="distribution", recipient=email,
                subject=render("email/distribution.subject.txt", **context).strip(),
                body_text=render("email/distribution.txt", **context),
                body_html=render("email/distribution.html", **context),
                attachments=[d.id for d in docs], dag_id=inst.dag_id, run_id=inst.run_id,
            )
            sent_to.append(email)
    return sent_to
