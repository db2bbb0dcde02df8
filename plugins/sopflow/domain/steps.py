"""The step lifecycle: opening steps, people acting on them, and revision rounds.

The domain database is the source of truth. Airflow's sensors, the CLI and the web pages all
call these functions; none of them decides anything on its own.

States of a step instance (one round of one step, for one Bagian when the step fans out):
  task, auto:       open -> done
  review:           open -> approved (IYA) | revised (TIDAK, with a note)
  approval:         open -> approved
  any:              -> skipped (a forward-branch review said IYA, so this step is not needed)
A review's TIDAK reopens its `on_reject` step as the next round for that step's actor; when that
round is done the review is opened again as its next round. The Airflow graph stays acyclic: the
review's sensor simply waits until the latest round is approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sopflow.domain import audit, delegation, documents, notify
from sopflow.domain.errors import ActionRefused
from sopflow.domain.office import Office
from sopflow.domain.period import JAKARTA
from sopflow.domain.sop import SopDefinition, Step
from sopflow.store.models import Decision, SopRun, StepInstance

RESOLVED = ("done", "approved", "skipped")


@dataclass
class Outcome:
    """What an action changed, for the caller to report ("what happens next")."""

    instance: StepInstance
    opened: list[StepInstance] = field(default_factory=list)
    message: str = ""


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.timezone.utc)


# --- runs --------------------------------------------------------------------------------------
def ensure_run(session: Session, *, sop: SopDefinition, dag_id: str, run_id: str, periode: str,
               params: dict) -> SopRun:
    run = session.scalar(select(SopRun).where(SopRun.dag_id == dag_id, SopRun.run_id == run_id))
    if run is None:
        try:
            with session.begin_nested():
                run = SopRun(dag_id=dag_id, run_id=run_id, sop_id=sop.id, periode=periode, params=params)
                session.add(run)
        except IntegrityError:  # another task of the same run registered it a moment ago
            run = session.scalar(select(SopRun).where(SopRun.dag_id == dag_id, SopRun.run_id == run_id))
    return run


def get_run(session: Session, dag_id: str, run_id: str) -> SopRun:
    run = session.scalar(select(SopRun).where(SopRun.dag_id == dag_id, SopRun.run_id == run_id))
    if run is None:
        raise LookupError(f"run {dag_id}/{run_id} is not known to sopflow")
    return run


# --- who ---------------------------------------------------------------------------------------
def _groups(office: Office, sop: SopDefinition, step: Step, run: SopRun | None = None) -> dict[str, list[str]]:
    """Candidate emails per Bagian partition ('' when the step does not fan out).

    A run may name who holds a role for it (`params["pelaksana"]`, e.g. the BPP whose SPJ bundle
    the run processes): that role's steps go to those people only. A step the system waits on
    (not a person's) has no candidates.

    A per-Bagian step of a group role (Perencana Pembantu of each Bagian) goes to each Bagian's own
    members. A per-Bagian step of a single office (the Perencana checking every Bagian's report) still
    gets one instance per Bagian (those of the per-Bagian step it sends back to, else every Bagian),
    each for all the role's members.
    """
    staff = office.staff
    if not step.is_human:
        return {"": []}
    bound = ((run.params or {}).get("pelaksana") or {}).get(step.pelaksana) if run is not None else None
    members = [p.email for p in staff.members(step.pelaksana)]
    bound = [e for e in (str(x).strip().lower() for x in bound or []) if e in members]  # only holders of the role
    if bound:
        return {"": bound}
    if step.per != "bagian":
        return {"": [p.email for p in staff.members(step.pelaksana)]}
    if staff.roles[step.pelaksana].group:
        return {b: [p.email for p in people] for b, people in staff.members_by_bagian(step.pelaksana).items()}
    target = sop.step(step.on_reject) if step.on_reject else None
    partitions = (list(staff.members_by_bagian(target.pelaksana))
                  if target is not None and target.per == "bagian" and staff.roles[target.pelaksana].group
                  else [b.id for b in staff.bagian])
    everyone = [p.email for p in staff.members(step.pelaksana)]
    return {b: list(everyone) for b in partitions}


def _candidates(office: Office, sop: SopDefinition, step: Step, bagian: str, fallback: list[str],
                run: SopRun | None = None) -> list[str]:
    """The step's people now (the directory may have changed since round 1), or the earlier ones."""
    return _groups(office, sop, step, run).get(bagian) or list(fallback)


def _due(office: Office, step: Step, opened: dt.datetime) -> dt.datetime | None:
    if step.batas_hari_kerja:
        return office.calendar.add_working_days(opened, step.batas_hari_kerja)
    if step.waktu_menit:
        return office.calendar.add_working_minutes(opened, step.waktu_menit)
    return None


def _new_instance(office: Office, sop: SopDefinition, step: Step, *, dag_id: str, run_id: str, bagian: str,
                  candidates: list[str], round_: int, now: dt.datetime, reopened_by: StepInstance | None = None
                  ) -> StepInstance:
    return StepInstance(
        dag_id=dag_id, run_id=run_id, sop_id=sop.id, step_id=step.id, step_no=step.no, kind=step.kind,
        uraian=step.uraian, role=step.pelaksana, bagian=bagian, round=round_, status="open",
        candidates=candidates, assignee_email=candidates[0] if candidates else None, opened_at=now,
        due_at=_due(office, step, now), reopened_by_id=reopened_by.id if reopened_by else None,
    )


# --- opening -----------------------------------------------------------------------------------
def instances_of(session: Session, dag_id: str, run_id: str, step_id: str) -> list[StepInstance]:
    return list(session.scalars(select(StepInstance).where(
        StepInstance.dag_id == dag_id, StepInstance.run_id == run_id, StepInstance.step_id == step_id,
    ).order_by(StepInstance.bagian, StepInstance.round)))


def latest_rounds(instances: list[StepInstance]) -> dict[str, StepInstance]:
    latest: dict[str, StepInstance] = {}
    for inst in instances:
        if inst.bagian not in latest or inst.round > latest[inst.bagian].round:
            latest[inst.bagian] = inst
    return latest


def open_step(session: Session, office: Office, sop: SopDefinition, step: Step, *, dag_id: str, run_id: str,
              source: str = "airflow", now: dt.datetime | None = None) -> list[StepInstance]:
    """Open round 1 of a step (once per Bagian when it fans out) and queue its task emails.

    Idempotent: a retried Airflow task finds the instances already there and opens nothing new.
    Returns the instances that were newly opened.
    """
    now = _now(now)
    if instances_of(session, dag_id, run_id, step.id):
        return []
    office = delegation.effective(session, office)
    run = get_run(session, dag_id, run_id)
    try:
        # All or nothing: a concurrent opener of the same step (a retry racing the first try)
        # loses on the unique key and leaves everything to the winner, mails included.
        with session.begin_nested():
            opened = _open_round_one(session, office, sop, step, run, dag_id=dag_id, run_id=run_id,
                                     source=source, now=now)
    except IntegrityError:
        return []
    return opened


def _open_round_one(session: Session, office: Office, sop: SopDefinition, step: Step, run: SopRun, *,
                    dag_id: str, run_id: str, source: str, now: dt.datetime) -> list[StepInstance]:
    opened = []
    for bagian, candidates in _groups(office, sop, step, run).items():
        inst = _new_instance(office, sop, step, dag_id=dag_id, run_id=run_id, bagian=bagian,
                             candidates=candidates, round_=1, now=now)
        session.add(inst)
        session.flush()
        opened.append(inst)
        audit.record(session, actor="system", action="opened", source=source, instance=inst,
                     detail={"step_no": step.no, "bagian": bagian, "candidates": candidates})
        if not step.is_human or _checked_and_sent_back(session, office, sop, step, inst, run, now):
            continue
        if step.dokumen == "lembar_disposisi":
            notify.prepare_disposition(session, office, sop, step, inst, run)
        notify.queue_task_mail(session, office, sop, step, inst, run)
    return opened


def record_done(session: Session, office: Office, sop: SopDefinition, step: Step, *, dag_id: str, run_id: str,
                actor: str, at: dt.datetime, note: str, source: str) -> StepInstance | None:
    """Record a step a person did before the run started (e.g. the BPP preparing the SPJ they
    submitted), as round 1 done by them at `at`. Idempotent: None when the step has a record."""
    if instances_of(session, dag_id, run_id, step.id):
        return None
    actor = actor.strip().lower()
    inst = _new_instance(office, sop, step, dag_id=dag_id, run_id=run_id, bagian="", candidates=[actor],
                         round_=1, now=at)
    _close(inst, "done", actor, None, note, at)
    try:
        with session.begin_nested():  # the step's own task may open round 1 at this very moment
            session.add(inst)
            session.flush()
    except IntegrityError:
        return None
    audit.record(session, actor=actor, action="done", source=source, instance=inst, detail={"note": note})
    return inst


def _checked_and_sent_back(session: Session, office: Office, sop: SopDefinition, step: Step, inst: StepInstance,
                           run: SopRun, now: dt.datetime) -> bool:
    """A review with `cek_otomatis`: the system checks first. True when what it found sent the work
    back (the review is decided TIDAK by the system; no one is asked to look)."""
    if not step.cek_otomatis:
        return False
    from sopflow.domain import spp_flow  # SOP VIII's check; imported only where a step asks for it

    found = spp_flow.check_before_review(session, office, sop, step, inst, run, now)
    if found is None:
        return False
    note, attachment = found
    _close(inst, "revised", "system", None, note, now)
    session.add(Decision(step_instance_id=inst.id, decision="tidak", note=note, by_email="system", at=now))
    audit.record(session, actor="system", action="revised", source="system", instance=inst,
                 detail={"note": note, "check": step.cek_otomatis})
    _send_back(session, office, sop, step, inst, run, note, now, source="system", attachment=attachment)
    return True


def skip_step(session: Session, sop: SopDefinition, step: Step, *, dag_id: str, run_id: str, gate: Step,
              now: dt.datetime | None = None) -> None:
    if instances_of(session, dag_id, run_id, step.id):
        return
    inst = StepInstance(dag_id=dag_id, run_id=run_id, sop_id=sop.id, step_id=step.id, step_no=step.no,
                        kind=step.kind, uraian=step.uraian, role=step.pelaksana, bagian="", round=1,
                        status="skipped", candidates=[], opened_at=_now(now), closed_at=_now(now),
                        closed_by="system", note=f"Tidak diperlukan: langkah {gate.no} memutuskan IYA")
    session.add(inst)
    session.flush()
    audit.record(session, actor="system", action="skipped", source="airflow", instance=inst,
                 detail={"gate_step": gate.no})


def skip_unless_branch_taken(session: Session, sop: SopDefinition, step: Step, *, dag_id: str,
                             run_id: str) -> Step | None:
    """When a forward-branch review before this step said IYA, record the step as skipped and
    return that review; otherwise None (the step runs)."""
    gate = sop.branch_gate(step)
    if gate is None or branch_taken(session, sop, gate, dag_id, run_id):
        return None
    skip_step(session, sop, step, dag_id=dag_id, run_id=run_id, gate=gate)
    return gate


def step_resolved(session: Session, sop: SopDefinition, step: Step, dag_id: str, run_id: str) -> bool:
    """True when the Airflow task of this step may finish: every partition's latest round is through."""
    latest = latest_rounds(instances_of(session, dag_id, run_id, step.id))
    if not latest:
        return False
    ok = RESOLVED + (("revised",) if sop.is_forward_branch(step) else ())
    return all(inst.status in ok for inst in latest.values())


def branch_taken(session: Session, sop: SopDefinition, gate: Step, dag_id: str, run_id: str) -> bool:
    """For a forward-branch review: True when it decided TIDAK, so the steps from its target on run."""
    latest = latest_rounds(instances_of(session, dag_id, run_id, gate.id))
    return any(inst.status == "revised" for inst in latest.values())


# --- acting ------------------------------------------------------------------------------------
def _load_for_action(session: Session, instance_id: int) -> StepInstance:
    try:
        inst = session.get(StepInstance, int(instance_id), with_for_update=True)
    except (TypeError, ValueError):
        inst = None
    if inst is None:
        raise ActionRefused(f"tugas {instance_id} tidak ada")
    return inst


def _authorise(office: Office, inst: StepInstance, actor: str, expected_kinds: tuple[str, ...], verb: str,
               now: dt.datetime) -> str | None:
    if inst.kind not in expected_kinds:
        hint = {"task": "gunakan 'sopflow done'", "review": "gunakan 'sopflow approve' atau 'sopflow revise'",
                "approval": "gunakan 'sopflow approve'", "auto": "langkah ini dikerjakan sistem"}[inst.kind]
        raise ActionRefused(f"tugas {inst.id} adalah langkah jenis {inst.kind} dan tidak bisa {verb}: {hint}")
    if inst.status != "open":
        raise ActionRefused(f"tugas {inst.id} berstatus {inst.status}, bukan open")
    on_behalf = office.staff.may_act_for(actor, list(inst.candidates), now.astimezone(JAKARTA).date())
    if on_behalf is None:
        raise ActionRefused(f"{actor} bukan pelaksana tugas {inst.id} (pelaksana: {', '.join(inst.candidates)})")
    return None if on_behalf == actor.strip().lower() else on_behalf


def _close(inst: StepInstance, status: str, actor: str, on_behalf: str | None, note: str | None,
           now: dt.datetime) -> None:
    inst.status, inst.closed_at, inst.closed_by = status, now, actor.strip().lower()
    inst.on_behalf_of, inst.note = on_behalf, note


def complete(session: Session, office: Office, instance_id: int, *, actor: str, note: str | None = None,
             file: Path | None = None, upload: tuple[str, bytes] | None = None, source: str = "cli",
             now: dt.datetime | None = None, documents_dir: Path) -> Outcome:
    """A person finished a task ("Selesai"), optionally with the output document: a `file` on disk
    (CLI) or an `upload` (name, content) from the task page."""
    now = _now(now)
    office = delegation.effective(session, office)
    inst = _load_for_action(session, instance_id)
    on_behalf = _authorise(office, inst, actor, ("task",), "diselesaikan", now)
    data = name = None
    try:
        if file is not None:
            data, name = documents.check_upload(file), Path(file).name
        elif upload is not None:
            name, data = documents.check_upload_bytes(*upload), upload[1]
    except ValueError as exc:
        raise ActionRefused(str(exc)) from None
    _close(inst, "done", actor, on_behalf, note, now)
    detail: dict = {"note": note}
    if data is not None:
        doc = documents.register(session, documents_dir, dag_id=inst.dag_id, run_id=inst.run_id,
                                 name=name, data=data, jenis="upload", created_by=inst.closed_by,
                                 step_instance_id=inst.id)
        detail.update(document=doc.name, version=doc.version, sha256=doc.sha256)
    audit.record(session, actor=inst.closed_by, action="done", source=source, instance=inst, detail=detail,
                 on_behalf_of=on_behalf)
    sop = office.sop(inst.sop_id)
    step = sop.step(inst.step_id)
    if step.distribusi:
        notify.queue_distribution(session, office, sop, step, inst)
    outcome = Outcome(inst, message=f"Langkah {inst.step_no} selesai.")
    if inst.reopened_by_id is not None:
        outcome.opened = _ask_reviewer_again(session, office, sop, inst, now)
        again = sop.step(session.get(StepInstance, inst.reopened_by_id).step_id)
        if not outcome.opened and again.cek_otomatis and latest_rounds(
                instances_of(session, inst.dag_id, inst.run_id, inst.step_id)).get(inst.bagian, inst).status == "open":
            outcome.message += (f" Pemeriksaan otomatis langkah {again.no} masih menemukan kekurangan: "
                                "dikembalikan lagi dengan Form Koreksi Ajuan yang baru.")
        if outcome.opened:
            names = ", ".join(i.assignee_email or "?" for i in outcome.opened)
            outcome.message += f" Hasil revisi dikirim kembali untuk diperiksa oleh {names}."
    else:
        outcome.message += " " + next_step_hint(session, office, sop, inst)
    return outcome


def next_step_hint(session: Session, office: Office, sop: SopDefinition, inst: StepInstance) -> str:
    """What happens after this instance is through, in the words a person expects."""
    waiting = [i for i in latest_rounds(instances_of(session, inst.dag_id, inst.run_id, inst.step_id)).values()
               if i.status == "open"]
    if waiting:
        return f"Menunggu {len(waiting)} pelaksana lain menyelesaikan langkah {inst.step_no}."
    if inst.step_no >= len(sop.steps):
        return "Ini langkah terakhir SOP."
    following = sop.steps[inst.step_no]
    if not following.is_human:
        return f"Berikutnya langkah {following.no} ({following.uraian}) dikerjakan sistem."
    people = ", ".join(p.nama for p in office.staff.members(following.pelaksana)[:3])
    more = " dkk." if len(office.staff.members(following.pelaksana)) > 3 else ""
    return f"Berikutnya langkah {following.no} ({following.uraian}) untuk {people}{more}; email tugas dikirim sistem."


def _ask_reviewer_again(session: Session, office: Office, sop: SopDefinition, revised: StepInstance,
                        now: dt.datetime) -> list[StepInstance]:
    review = session.get(StepInstance, revised.reopened_by_id)
    pending = session.scalar(select(func.count()).select_from(StepInstance).where(
        StepInstance.reopened_by_id == review.id, StepInstance.status == "open"))
    if pending:
        return []  # other Bagian still revising what the same review sent back
    step = sop.step(review.step_id)
    run = get_run(session, review.dag_id, review.run_id)
    inst = _new_instance(office, sop, step, dag_id=review.dag_id, run_id=review.run_id, bagian=review.bagian,
                         candidates=_candidates(office, sop, step, review.bagian, review.candidates, run),
                         round_=review.round + 1, now=now)
    session.add(inst)
    session.flush()
    audit.record(session, actor="system", action="opened", source="system", instance=inst,
                 detail={"step_no": step.no, "round": inst.round, "after_revision_of": revised.id})
    if _checked_and_sent_back(session, office, sop, step, inst, run, now):
        return []
    notify.queue_task_mail(session, office, sop, step, inst, run)
    return [inst]


def approve(session: Session, office: Office, instance_id: int, *, actor: str, note: str | None = None,
            source: str = "cli", now: dt.datetime | None = None) -> Outcome:
    """IYA on a review, or the sign-off of an approval."""
    now = _now(now)
    office = delegation.effective(session, office)
    inst = _load_for_action(session, instance_id)
    on_behalf = _authorise(office, inst, actor, ("review", "approval"), "disetujui", now)
    _close(inst, "approved", actor, on_behalf, note, now)
    session.add(Decision(step_instance_id=inst.id, decision="iya", note=note, by_email=inst.closed_by,
                         on_behalf_of=on_behalf, at=now))
    audit.record(session, actor=inst.closed_by, action="approved", source=source, instance=inst,
                 detail={"note": note}, on_behalf_of=on_behalf)
    step = office.sop(inst.sop_id).step(inst.step_id)
    if step.saat_iya:  # in this transaction: the IYA and what it causes stand or fall together
        from sopflow.domain import spp_flow

        spp_flow.on_approve(session, office, step, inst, now)
    return Outcome(inst, message=f"Langkah {inst.step_no} disetujui (IYA). "
                                 + next_step_hint(session, office, office.sop(inst.sop_id), inst))


def revise(session: Session, office: Office, instance_id: int, *, actor: str, note: str,
           source: str = "cli", now: dt.datetime | None = None) -> Outcome:
    """TIDAK on a review: the note goes back to the on_reject step's actor as the next round."""
    now = _now(now)
    office = delegation.effective(session, office)
    if not (note or "").strip():
        raise ActionRefused("revisi wajib disertai catatan apa yang harus diperbaiki (--note)")
    inst = _load_for_action(session, instance_id)
    on_behalf = _authorise(office, inst, actor, ("review", "approval"), "dikembalikan untuk revisi", now)
    sop = office.sop(inst.sop_id)
    step = sop.step(inst.step_id)
    if step.on_reject is None:
        raise ActionRefused(f"langkah {step.no} {sop.id} tidak punya jalur revisi (on_reject); hanya bisa disetujui")
    _close(inst, "revised", actor, on_behalf, note, now)
    session.add(Decision(step_instance_id=inst.id, decision="tidak", note=note, by_email=inst.closed_by,
                         on_behalf_of=on_behalf, at=now))
    audit.record(session, actor=inst.closed_by, action="revised", source=source, instance=inst,
                 detail={"note": note}, on_behalf_of=on_behalf)
    if sop.is_forward_branch(step):
        target = sop.step(step.on_reject)
        return Outcome(inst, message=f"Keputusan TIDAK dicatat: proses berlanjut ke langkah {target.no}.")
    target = sop.step(step.on_reject)
    opened = _send_back(session, office, sop, step, inst, get_run(session, inst.dag_id, inst.run_id), note, now,
                        source=source)
    who = ", ".join(i.assignee_email or "?" for i in opened)
    return Outcome(inst, opened, f"Dikembalikan untuk revisi: langkah {target.no} dibuka lagi untuk {who}.")


def _send_back(session: Session, office: Office, sop: SopDefinition, step: Step, inst: StepInstance, run: SopRun,
               note: str, now: dt.datetime, *, source: str,
               attachment: tuple[str, bytes, str] | None = None) -> list[StepInstance]:
    """Reopen the `on_reject` step of a review decided TIDAK as its next round, and mail its people
    the note (and `attachment` (name, content, jenis), e.g. the Form Koreksi Ajuan)."""
    target = sop.step(step.on_reject)
    latest = latest_rounds(instances_of(session, inst.dag_id, inst.run_id, target.id))
    targets = [latest[inst.bagian]] if inst.bagian in latest else list(latest.values())
    opened = []
    for previous in targets:
        new = _new_instance(office, sop, target, dag_id=inst.dag_id, run_id=inst.run_id, bagian=previous.bagian,
                            candidates=_candidates(office, sop, target, previous.bagian, previous.candidates, run),
                            round_=previous.round + 1, now=now,
                            reopened_by=inst)
        session.add(new)
        session.flush()
        audit.record(session, actor="system", action="reopened", source=source, instance=new,
                     detail={"round": new.round, "by_review": inst.id, "note": note})
        if attachment is not None:
            from sopflow.settings import get_settings

            name, data, jenis = attachment
            documents.register(session, get_settings().documents_dir, dag_id=inst.dag_id, run_id=inst.run_id,
                               name=name, data=data, jenis=jenis, created_by="system", step_instance_id=new.id)
        notify.queue_task_mail(session, office, sop, target, new, run, revision_note=note)
        opened.append(new)
    return opened


# --- queries -----------------------------------------------------------------------------------
def list_instances(session: Session, *, assignee: str | None = None, status: str = "open",
                   dag_id: str | None = None) -> list[StepInstance]:
    query = select(StepInstance).order_by(StepInstance.id)
    if status == "open":
        query = query.where(StepInstance.status == "open")
    elif status == "done":
        query = query.where(StepInstance.status.in_(("done", "approved", "revised", "skipped")))
    if dag_id:
        query = query.where(StepInstance.dag_id == dag_id)
    rows = list(session.scalars(query))
    if assignee:
        assignee = assignee.strip().lower()
        rows = [r for r in rows if assignee in (r.candidates or []) or r.closed_by == assignee]
    return rows
