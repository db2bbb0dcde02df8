"""The data behind the admin pages: how far each SOP run is, who holds its open steps and since
when, a run's whole timeline, and the audit log (query and CSV export).

Read-only over the domain database and the office configuration; no Airflow, no web framework.
Times stay aware UTC datetimes here; pages and the CSV show them in Asia/Jakarta.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from sopflow.domain import delegation, steps
from sopflow.domain.office import Office
from sopflow.domain.period import JAKARTA
from sopflow.domain.sop import SopDefinition, Step
from sopflow.store.models import AuditEntry, Document, SopRun, StepInstance

STATUSES = ("aktif", "selesai", "semua")
AUDIT_LIMIT = 200
CSV_HEADER = ("id", "waktu", "actor", "action", "source", "dag_id", "run_id", "step_instance_id", "detail")


# --- runs ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Holder:
    """An open step instance and who holds it."""

    instance_id: int
    step_no: int
    uraian: str
    round: int
    bagian: str  # Bagian name, '' when the step does not fan out
    pelaksana: list[str]  # names of the candidates
    delegates: list[str]  # "Nama (Plh untuk Nama)" active today
    opened_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    overdue_minutes: int  # working minutes past due_at (0 when not overdue)


@dataclass(frozen=True)
class RunProgress:
    dag_id: str
    run_id: str
    sop_id: str
    sop_nama: str
    sop_nomor: str
    periode: str
    started_at: dt.datetime
    done: int
    total: int
    finished: bool
    current: list[Holder]
    revisions: int
    bagian: list[str]  # names, in directory order
    bagian_ids: frozenset[str] = field(repr=False)
    people: frozenset[str] = field(repr=False)  # candidates of open steps and closers of any step


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.timezone.utc)


def _sop(office: Office, sop_id: str) -> SopDefinition | None:
    try:
        return office.sop(sop_id)
    except KeyError:  # SOP file removed or broken since the run: still list the run
        return None


def _name(office: Office, email: str | None) -> str | None:
    if not email:
        return None
    person = office.staff.by_email(email)
    return person.nama if person else email


def _resolved(sop: SopDefinition, step: Step, instances: list[StepInstance]) -> bool:
    # steps.step_resolved's rule, applied to rows loaded once for the whole dashboard.
    latest = steps.latest_rounds(instances)
    ok = steps.RESOLVED + (("revised",) if sop.is_forward_branch(step) else ())
    return bool(latest) and all(i.status in ok for i in latest.values())


def _is_revision(sop: SopDefinition | None, inst: StepInstance) -> bool:
    """A review's TIDAK that sent work back; a forward branch's TIDAK is a choice, not a revision."""
    if inst.status != "revised":
        return False
    try:
        return sop is None or not sop.is_forward_branch(sop.step(inst.step_id))
    except KeyError:
        return True


def _overdue(office: Office, due_at: dt.datetime | None, now: dt.datetime) -> tuple[bool, int]:
    if due_at is None or now <= due_at:
        return False, 0
    return True, office.calendar.working_minutes_between(due_at, now)


def _holder(office: Office, inst: StepInstance, now: dt.datetime) -> Holder:
    today = now.astimezone(JAKARTA).date()
    delegates = [f"{p.nama} ({d.jenis} untuk {_name(office, email)})"
                 for email in inst.candidates or [] for p, d in office.staff.delegates_for(email, today)]
    overdue, minutes = _overdue(office, inst.due_at, now)
    return Holder(instance_id=inst.id, step_no=inst.step_no, uraian=inst.uraian, round=inst.round,
                  bagian=office.staff.bagian_name(inst.bagian) if inst.bagian else "",
                  pelaksana=[_name(office, e) for e in inst.candidates or []], delegates=delegates,
                  opened_at=inst.opened_at, due_at=inst.due_at, overdue=overdue, overdue_minutes=minutes)


def _progress(office: Office, run: SopRun, instances: list[StepInstance], now: dt.datetime) -> RunProgress:
    sop = _sop(office, run.sop_id)
    by_step: dict[str, list[StepInstance]] = defaultdict(list)
    for inst in instances:
        by_step[inst.step_id].append(inst)
    total = len(sop.steps) if sop else 0
    done = sum(1 for s in sop.steps if _resolved(sop, s, by_step[s.id])) if sop else 0
    open_ = sorted((i for i in instances if i.status == "open"), key=lambda i: (i.step_no, i.bagian, i.round))
    people = {e for i in open_ for e in i.candidates or []} | {i.closed_by for i in instances if i.closed_by}
    # Involved: the Bagian a step fanned out to, and those of who did the work or holds it now
    # (not every member of a cross-Bagian team that could have taken a finished step).
    bagian_ids = {i.bagian for i in instances if i.bagian}
    for email in people:
        person = office.staff.by_email(email)
        if person and person.bagian:
            bagian_ids.add(person.bagian)
    return RunProgress(
        dag_id=run.dag_id, run_id=run.run_id, sop_id=run.sop_id, sop_nama=sop.nama if sop else run.sop_id,
        sop_nomor=sop.nomor if sop else "", periode=run.periode, started_at=run.started_at, done=done, total=total,
        finished=bool(sop) and done == total, current=[_holder(office, i, now) for i in open_],
        revisions=sum(1 for i in instances if _is_revision(sop, i)),
        bagian=[b.nama for b in office.staff.bagian if b.id in bagian_ids],
        bagian_ids=frozenset(bagian_ids), people=frozenset(people))


def runs(session: Session, office: Office, *, sop_id: str | None = None, bagian: str | None = None,
         person: str | None = None, status: str = "aktif", now: dt.datetime | None = None) -> list[RunProgress]:
    """Every run matching the filters, newest first. `status`: aktif | selesai | semua;
    `person` (email): a candidate of an open step or whoever closed any step of the run."""
    now = _now(now)
    office = delegation.effective(session, office)
    query = select(SopRun).order_by(SopRun.started_at.desc(), SopRun.id.desc())
    if sop_id:
        query = query.where(SopRun.sop_id == sop_id)
    run_rows = list(session.scalars(query))
    grouped: dict[tuple[str, str], list[StepInstance]] = defaultdict(list)
    if run_rows:
        dag_ids = {r.dag_id for r in run_rows}
        for inst in session.scalars(select(StepInstance).where(StepInstance.dag_id.in_(dag_ids))):
            grouped[(inst.dag_id, inst.run_id)].append(inst)
    person = (person or "").strip().lower()
    result = []
    for run in run_rows:
        item = _progress(office, run, grouped[(run.dag_id, run.run_id)], now)
        if (status == "aktif" and item.finished) or (status == "selesai" and not item.finished):
            continue
        if (bagian and bagian not in item.bagian_ids) or (person and person not in item.people):
            continue
        result.append(item)
    return result


# --- one run's timeline --------------------------------------------------------------------------
@dataclass(frozen=True)
class DecisionView:
    decision: str  # iya | tidak
    note: str | None
    by: str
    on_behalf_of: str | None
    at: dt.datetime


@dataclass(frozen=True)
class DocumentView:
    id: int
    name: str
    version: int
    jenis: str
    created_at: dt.datetime


@dataclass(frozen=True)
class InstanceView:
    id: int
    round: int
    bagian: str
    status: str
    pelaksana: list[str]
    opened_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by: str | None
    on_behalf_of: str | None
    note: str | None
    overdue_minutes: int | None  # None when not overdue
    decisions: list[DecisionView]
    documents: list[DocumentView]


@dataclass(frozen=True)
class TimelineStep:
    no: int
    id: str
    uraian: str
    kind: str
    pelaksana: str  # the role's name
    waktu_menit: int | None
    keadaan: str  # belum | terbuka | terlambat | selesai | dilewati | revisi
    instances: list[InstanceView]


@dataclass(frozen=True)
class Timeline:
    progress: RunProgress
    steps: list[TimelineStep]
    other_documents: list[DocumentView]  # of the run but of no step instance


def _document(doc: Document) -> DocumentView:
    return DocumentView(id=doc.id, name=doc.name, version=doc.version, jenis=doc.jenis, created_at=doc.created_at)


def _instance_view(office: Office, inst: StepInstance, now: dt.datetime) -> InstanceView:
    overdue, minutes = _overdue(office, inst.due_at, now) if inst.status == "open" else (False, 0)
    return InstanceView(
        id=inst.id, round=inst.round, bagian=office.staff.bagian_name(inst.bagian) if inst.bagian else "",
        status=inst.status, pelaksana=[_name(office, e) for e in inst.candidates or []], opened_at=inst.opened_at,
        due_at=inst.due_at, closed_at=inst.closed_at, closed_by=_name(office, inst.closed_by),
        on_behalf_of=_name(office, inst.on_behalf_of), note=inst.note, overdue_minutes=minutes if overdue else None,
        decisions=[DecisionView(decision=d.decision, note=d.note, by=_name(office, d.by_email),
                                on_behalf_of=_name(office, d.on_behalf_of), at=d.at) for d in inst.decisions],
        documents=[_document(d) for d in inst.documents])


def _keadaan(sop: SopDefinition, step: Step, instances: list[StepInstance], views: list[InstanceView]) -> str:
    if not instances:
        return "belum"
    if any(v.status == "open" for v in views):
        return "terlambat" if any(v.overdue_minutes is not None for v in views) else "terbuka"
    if all(i.status == "skipped" for i in instances):
        return "dilewati"
    return "selesai" if _resolved(sop, step, instances) else "revisi"


def timeline(session: Session, office: Office, dag_id: str, run_id: str,
             now: dt.datetime | None = None) -> Timeline:
    """Every step of the run's SOP in order with all its rounds; raises LookupError for an unknown run."""
    now = _now(now)
    office = delegation.effective(session, office)
    run = steps.get_run(session, dag_id, run_id)
    instances = list(session.scalars(
        select(StepInstance).where(StepInstance.dag_id == dag_id, StepInstance.run_id == run_id)
        .options(selectinload(StepInstance.decisions), selectinload(StepInstance.documents))
        .order_by(StepInstance.step_no, StepInstance.bagian, StepInstance.round, StepInstance.id)))
    sop = _sop(office, run.sop_id)
    if sop is None:
        raise LookupError(f"SOP {run.sop_id!r} of run {dag_id}/{run_id} is not in config/sops any more")
    rows = []
    for step in sop.steps:
        mine = [i for i in instances if i.step_id == step.id]
        views = [_instance_view(office, i, now) for i in mine]
        role = office.staff.roles.get(step.pelaksana)
        rows.append(TimelineStep(no=step.no, id=step.id, uraian=step.uraian, kind=step.kind,
                                 pelaksana=role.nama if role else step.pelaksana, waktu_menit=step.waktu_menit,
                                 keadaan=_keadaan(sop, step, mine, views), instances=views))
    loose = session.scalars(select(Document).where(Document.dag_id == dag_id, Document.run_id == run_id,
                                                   Document.step_instance_id.is_(None)).order_by(Document.id))
    return Timeline(progress=_progress(office, run, instances, now), steps=rows,
                    other_documents=[_document(d) for d in loose])


# --- the audit log -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # substring, any case
    action: str = ""
    dag_id: str = ""
    dari: dt.date | None = None  # Asia/Jakarta dates, both inclusive
    sampai: dt.date | None = None


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=JAKARTA)


def audit_entries(session: Session, filters: AuditFilter, limit: int | None = AUDIT_LIMIT) -> list[AuditEntry]:
    """Entries matching the filters, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if filters.actor.strip():
        query = query.where(func.lower(AuditEntry.actor).contains(filters.actor.strip().lower(), autoescape=True))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.dag_id:
        query = query.where(AuditEntry.dag_id == filters.dag_id)
    if filters.dari:
        query = query.where(AuditEntry.at >= _start_of(filters.dari))
    if filters.sampai:
        query = query.where(AuditEntry.at < _start_of(filters.sampai + dt.timedelta(days=1)))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def audit_choices(session: Session) -> tuple[list[str], list[str]]:
    """The actions and DAG ids present in the log, for the filter form."""
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    dags = session.scalars(select(AuditEntry.dag_id).where(AuditEntry.dag_id.is_not(None)).distinct()
                           .order_by(AuditEntry.dag_id))
    return list(actions), list(dags)


def audit_csv(entries: list[AuditEntry]) -> str:
    """The entries as CSV: a header row, then one row each; times ISO 8601 in Asia/Jakarta."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in entries:
        writer.writerow([e.id, e.at.astimezone(JAKARTA).isoformat(), e.actor, e.action, e.source, e.dag_id or "",
                         e.run_id or "", e.step_instance_id if e.step_instance_id is not None else "",
                         json.dumps(e.detail or {}, ensure_ascii=False, sort_keys=True)])
    return out.getvalue()
