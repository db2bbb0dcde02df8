"""Delegations (Plh/Plt) in force: those of staff.yaml plus those an admin added on the web.

`effective(session, office)` is the office as it stands today: the staff directory with the
admin's delegations (not revoked) added. Every action and every mail takes its people from it, so
a delegate added at noon can act at once. When a delegation is active, the person's open tasks are
handed over: the delegate gets the task email too (same outbox key as any task email to them, so
at most once). The original person keeps every right to act.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.domain import audit
from sopflow.domain.errors import ActionRefused
from sopflow.domain.office import Office
from sopflow.domain.period import JAKARTA
from sopflow.domain.staff import Delegation, StaffDirectory
from sopflow.store.models import DelegationRecord, SopRun, StepInstance

HUMAN_KINDS = ("task", "review", "approval")


def _records(session: Session) -> list[DelegationRecord]:
    return list(session.scalars(select(DelegationRecord).where(DelegationRecord.revoked_at.is_(None))
                                .order_by(DelegationRecord.id)))


def _as_delegation(record: DelegationRecord) -> Delegation:
    return Delegation(person=record.person, delegate=record.delegate, jenis=record.jenis, mulai=record.mulai,
                      sampai=record.sampai)


def effective_staff(session: Session, staff: StaffDirectory) -> StaffDirectory:
    known = {p.id for p in staff.people}
    added = [_as_delegation(r) for r in _records(session) if r.person in known and r.delegate in known]
    if not added:
        return staff
    return staff.model_copy(update={"delegations": [*staff.delegations, *added]})


def effective(session: Session, office: Office) -> Office:
    """The office with the web-added delegations in force (the YAML-only office when there are none)."""
    staff = effective_staff(session, office.staff)
    return office if staff is office.staff else dataclasses.replace(office, staff=staff)


@dataclasses.dataclass(frozen=True)
class Listed:
    """A delegation as the admin page shows it."""

    id: int | None  # None for staff.yaml (edited in the file, not on the page)
    source: str  # staff.yaml | admin
    delegation: Delegation
    created_by: str | None = None


def list_delegations(session: Session, staff: StaffDirectory) -> list[Listed]:
    rows = [Listed(None, "staff.yaml", d) for d in staff.delegations]
    rows += [Listed(r.id, "admin", _as_delegation(r), r.created_by) for r in _records(session)]
    return rows


def add(session: Session, office: Office, *, person: str, delegate: str, jenis: str, mulai: dt.date,
        sampai: dt.date, by: str, source: str = "web", now: dt.datetime | None = None) -> DelegationRecord:
    """Record a Plh/Plt and, when it is active today, hand the person's open tasks over at once."""
    staff = office.staff
    for field, who in (("person", person), ("delegate", delegate)):
        if who not in {p.id for p in staff.people}:
            raise ActionRefused(f"{field}: orang {who!r} tidak ada di staff.yaml")
    try:
        Delegation(person=person, delegate=delegate, jenis=jenis, mulai=mulai, sampai=sampai)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "tanggal"
        raise ActionRefused(f"{field}: {err['msg'].removeprefix('Value error, ')}") from None
    record = DelegationRecord(person=person, delegate=delegate, jenis=jenis, mulai=mulai, sampai=sampai,
                              created_by=by)
    session.add(record)
    session.flush()
    audit.record(session, actor=by, action="delegation_added", source=source,
                 detail={"delegation": record.id, "person": person, "delegate": delegate, "jenis": jenis,
                         "mulai": mulai.isoformat(), "sampai": sampai.isoformat()})
    hand_over_open_tasks(session, office, now=now)
    return record


def revoke(session: Session, record_id: int, *, by: str, source: str = "web",
           now: dt.datetime | None = None) -> DelegationRecord:
    record = session.get(DelegationRecord, record_id)
    if record is None or record.revoked_at is not None:
        raise ActionRefused(f"delegasi {record_id} tidak ada atau sudah dicabut")
    record.revoked_at, record.revoked_by = now or dt.datetime.now(dt.timezone.utc), by
    audit.record(session, actor=by, action="delegation_revoked", source=source,
                 detail={"delegation": record.id, "person": record.person, "delegate": record.delegate})
    return record


def hand_over_open_tasks(session: Session, office: Office, now: dt.datetime | None = None) -> int:
    """Queue the task email to today's delegate of every open task's people (once per delegate).

    Returns how many open tasks have a delegate today. Called after a delegation is added and by
    the reminders DAG, so a Plh that starts on a later day gets the open tasks that morning.
    """
    from sopflow.domain import notify  # notify imports this module's neighbours; keep the graph flat

    now = now or dt.datetime.now(dt.timezone.utc)
    office = effective(session, office)
    today = now.astimezone(JAKARTA).date()
    handed = 0
    open_steps = session.scalars(select(StepInstance).where(StepInstance.status == "open",
                                                            StepInstance.kind.in_(HUMAN_KINDS)))
    for inst in open_steps:
        if not any(office.staff.delegates_for(email, today) for email in inst.candidates or []):
            continue
        try:
            sop = office.sop(inst.sop_id)
            step = sop.step(inst.step_id)
        except KeyError:  # an SOP file now broken or renamed: its reminders report it
            continue
        run = session.scalar(select(SopRun).where(SopRun.dag_id == inst.dag_id, SopRun.run_id == inst.run_id))
        notify.queue_task_mail(session, office, sop, step, inst, run, only_delegates=True, now=now)
        handed += 1
    return handed
