"""The task page and its actions, reached two ways with one set of rules:

- `/t/{token}`: the signed link in a task email, for one person and one task;
- `/tugas/{id}`: the same page for a signed-in person ("Tugas saya"); admins may look, not act
  for others.
Acting calls `domain.steps` (the same functions as the CLI); a link acts once (its nonce is
recorded in the action's transaction). Every refusal is audited and shown as a clear page.

A task of an SPJ bundle's run (SOP VIII, `spj-<id>`) shows the bundle ("Berkas SPJ"). On the step
an SPJ is sent back to (step 2, the BPP's revision round) "Selesai" also takes the documents the
Form Koreksi Ajuan asks for: `spj_intake.add_attachments` then `steps.complete`, in one
transaction (as `sopflow spj lengkapi` then `sopflow done`); attachments refused show the page
again with every problem (422) and change nothing.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from sopflow.domain import documents, links, spj_intake, spp_flow, steps
from sopflow.domain.errors import ActionRefused
from sopflow.domain.office import load_office
from sopflow.domain.period import JAKARTA
from sopflow.domain.reminders import lama
from sopflow.domain.spj import SpjRejected, check_attachments
from sopflow.domain.spp_checklist import doc_key, spp_config
from sopflow.store.db import session_scope
from sopflow.store.models import Document, SopRun, StepInstance
from sopflow.web import spj as spj_pages
from sopflow.web.common import Viewer, check_csrf, client, office, page, refused, settings, signed_in, viewer_for

router = APIRouter()
ACTIONS = {"task": ("selesai",), "review": ("iya", "tidak"), "approval": ("iya",)}
SPJ_ROWS = 4  # attachment rows the revision form offers at least (more when the Form Koreksi lists more)


def send_mail_now() -> None:
    """Deliver what the action queued (the next person's task); the outbox DAG retries failures."""
    from sopflow.mail import send_pending

    try:
        send_pending()
    except Exception:  # kept in the outbox; nothing is lost
        pass


# --- what the page shows -----------------------------------------------------------------------------
def _names(off, emails) -> list[str]:
    return [("sistem" if e == "system" else off.staff.by_email(e).nama if off.staff.by_email(e) else e)
            for e in emails or []]


def _history(session, off, inst: StepInstance) -> list[SimpleNamespace]:
    """Every round of every step of the run so far, with decisions and notes."""
    rows = session.scalars(select(StepInstance).where(StepInstance.dag_id == inst.dag_id,
                                                      StepInstance.run_id == inst.run_id)
                           .order_by(StepInstance.step_no, StepInstance.round, StepInstance.id))
    return [SimpleNamespace(
        step_no=r.step_no, uraian=r.uraian, round=r.round, status=r.status, kind=r.kind,
        bagian=off.staff.bagian_name(r.bagian) if r.bagian else "", opened_at=r.opened_at, closed_at=r.closed_at,
        closed_by=_names(off, [r.closed_by])[0] if r.closed_by else None,
        on_behalf_of=_names(off, [r.on_behalf_of])[0] if r.on_behalf_of else None,
        note=r.note, current=r.id == inst.id) for r in rows]


def _due_text(off, inst: StepInstance, now: dt.datetime) -> str:
    if inst.due_at is None:
        return "tidak ditetapkan (langkah ini tidak punya mutu baku waktu)"
    if inst.status != "open":
        return ""
    if now >= inst.due_at:
        late = off.calendar.working_minutes_between(inst.due_at, now)
        return f"terlambat {lama(late)} jam kerja" if late else "batas waktu tiba"
    return f"sisa {lama(off.calendar.working_minutes_between(now, inst.due_at))} jam kerja"


def _revision_steps(sop) -> set[str]:
    """The steps an automatic check sends work back to (SOP VIII: step 2, the BPP's)."""
    return {s.on_reject for s in sop.steps if s.cek_otomatis and s.on_reject}


def _takes_attachments(sop, inst: StepInstance) -> bool:
    """An open revision round of an SPJ bundle's run: "Selesai" may add documents to the bundle."""
    return (inst.status == "open" and inst.dag_id == spp_flow.DAG_ID
            and spp_flow.RUN_KEY.match(inst.run_id or "") is not None and inst.step_id in _revision_steps(sop))


def _attachment_rows(spj, chosen: list[str] | None) -> tuple[list[str], list[SimpleNamespace]]:
    """The document kinds to pick from, and the rows of the form: what the Form Koreksi asks for
    preselected, or what the person chose when the page comes back with problems."""
    known = {doc_key(n): n for n in spp_flow.attachable_documents(spp_config(settings().config_dir))}
    if chosen is None:
        chosen = [known[doc_key(k.dokumen)] for k in spj.koreksi if doc_key(k.dokumen) in known]
    while chosen and not chosen[-1]:
        chosen = chosen[:-1]
    count = min(spj_pages.ATTACHMENT_ROWS, max(SPJ_ROWS, len(chosen)))
    rows = [SimpleNamespace(n=i, jenis=chosen[i - 1] if i <= len(chosen) else "") for i in range(1, count + 1)]
    return list(known.values()), rows


def _context(session, off, inst: StepInstance, viewer: Viewer, can_act: bool, action_url: str,
             doc_url: str, *, problems=None, chosen: list[str] | None = None, catatan: str = "") -> dict:
    sop = off.sop(inst.sop_id)
    step = sop.step(inst.step_id)
    run = session.scalar(select(SopRun).where(SopRun.dag_id == inst.dag_id, SopRun.run_id == inst.run_id))
    now = dt.datetime.now(dt.timezone.utc)
    today = now.astimezone(JAKARTA).date()
    delegates = [f"{p.nama} ({d.jenis} untuk {_names(off, [email])[0]})"
                 for email in inst.candidates or [] for p, d in off.staff.delegates_for(email, today)]
    stands_in = off.staff.may_act_for(viewer.email, list(inst.candidates or []), today)
    docs = session.scalars(select(Document).where(Document.dag_id == inst.dag_id, Document.run_id == inst.run_id)
                           .order_by(Document.id))
    spj = spj_pages.bundle_box(session, inst.dag_id, inst.run_id)
    reviewer = session.get(StepInstance, inst.reopened_by_id) if inst.reopened_by_id else None
    kinds, rows = _attachment_rows(spj, chosen) if spj is not None and _takes_attachments(sop, inst) else ([], [])
    return dict(
        sop=sop, step=step, instance=inst, periode=run.periode if run else "", pelaksana=_names(off, inst.candidates),
        delegates=delegates, due_text=_due_text(off, inst, now), history=_history(session, off, inst),
        documents=list(docs), can_act=can_act, action_url=action_url, doc_url=doc_url,
        bagian=off.staff.bagian_name(inst.bagian) if inst.bagian else "",
        atas_nama=_names(off, [stands_in])[0] if stands_in and stands_in != viewer.email else None,
        max_mb=documents.MAX_BYTES // 1024 // 1024, accept=",".join(sorted(documents.ALLOWED_SUFFIXES)),
        revision_note=reviewer.note if reviewer is not None else None,
        revision_by=_names(off, [reviewer.closed_by])[0] if reviewer is not None and reviewer.closed_by else "",
        viewer=viewer, spj=spj, spj_kinds=kinds, spj_rows=rows, problems=list(problems or []), catatan=catatan,
    )


def _may_act(off, inst: StepInstance, email: str) -> bool:
    today = dt.datetime.now(JAKARTA).date()
    return inst.status == "open" and off.staff.may_act_for(email, list(inst.candidates or []), today) is not None


# --- acting ------------------------------------------------------------------------------------------
async def _read_form(request: Request) -> dict:
    form = await request.form()

    async def read(field: str) -> tuple[str, bytes] | None:
        upload = form.get(field)
        if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
            return None
        return upload.filename, await upload.read(documents.MAX_BYTES + 1)

    rows = []  # the SPJ attachment rows (jenis_N, lampiran_N) of a revision round, as web.spj reads them
    for i in range(1, spj_pages.ATTACHMENT_ROWS + 1):
        jenis = form.get(f"jenis_{i}")
        rows.append((i, jenis.strip() if isinstance(jenis, str) else "", await read(f"lampiran_{i}")))
    catatan = form.get("catatan")
    return {"csrf": form.get("csrf"), "keputusan": form.get("keputusan"),
            "catatan": catatan.strip() if isinstance(catatan, str) else "", "berkas": await read("berkas"),
            "lampiran": rows}


def _chosen(form: dict) -> list[str]:
    return [jenis for _, jenis, _ in form["lampiran"]]


def _add_spj_attachments(session, off, inst: StepInstance, actor: str, rows) -> None:
    """The documents the BPP adds to an SPJ bundle sent back to them, in the transaction that then
    marks the step done (so the next completeness check sees them). Nothing when no row has a file."""
    attachments, problems = spj_pages._attachments(rows)
    if not attachments and not problems:
        return
    # The step first, then the bundle: the order in which steps.complete and its check lock them.
    session.refresh(inst, with_for_update=True)
    if not _takes_attachments(off.sop(inst.sop_id), inst):
        raise ActionRefused(f"tugas {inst.id} bukan putaran revisi SPJ yang terbuka: lampiran SPJ hanya dapat "
                            "ditambahkan saat SPJ dikembalikan kepada BPP (langkah 2)")
    if not _may_act(off, inst, actor):
        raise ActionRefused(f"{actor} bukan pelaksana tugas {inst.id} (pelaksana: {', '.join(inst.candidates or [])})")
    config = spp_config(settings().config_dir)
    if problems:  # rows the form could not use, reported with what the domain finds in the others
        if attachments:
            try:
                check_attachments(attachments, config)
            except SpjRejected as exc:
                problems += exc.problems
        raise SpjRejected(problems)
    bundle = spp_flow.bundle_of(session, inst.run_id)
    # The office as configured: add_attachments adds the web-added delegations itself.
    spj_intake.add_attachments(session, load_office(settings().config_dir), bundle.id, attachments, actor, "web",
                               config=config, documents_dir=settings().documents_dir)


def _perform(session, off, inst_id: int, actor: str, form: dict):
    """One domain action, chosen by the step's kind and the button pressed."""
    inst = session.get(StepInstance, inst_id)
    decision = form["keputusan"]
    if inst is None or decision not in ACTIONS.get(inst.kind, ()):
        raise ActionRefused("tindakan tidak dikenal untuk langkah ini")
    note = form["catatan"] or None
    if inst.kind == "task":
        _add_spj_attachments(session, off, inst, actor, form["lampiran"])
        return steps.complete(session, off, inst_id, actor=actor, note=note, upload=form["berkas"], source="web",
                              documents_dir=settings().documents_dir)
    if decision == "tidak":
        return steps.revise(session, off, inst_id, actor=actor, note=form["catatan"], source="web")
    return steps.approve(session, off, inst_id, actor=actor, note=note, source="web")


def _done_page(request: Request, outcome, viewer: Viewer):
    verb = {"done": "Langkah ditandai selesai", "approved": "Keputusan IYA dicatat",
            "revised": "Dikembalikan untuk revisi"}[outcome.instance.status]
    return page(request, "pesan.html", judul=f"{verb}. Terima kasih.", pesan=outcome.message, jenis="berhasil",
                viewer=viewer)


# --- by signed link ---------------------------------------------------------------------------------
def _read_link(token: str) -> links.TaskLink:
    return links.read_task_token(settings().secret_key, token)


@router.get("/t/{token}")
def task_by_link(request: Request, token: str) -> Response:
    return _link_page(request, token)


def _link_page(request: Request, token: str, *, status_code: int = 200, problems=None,
               chosen: list[str] | None = None, catatan: str = "") -> Response:
    try:
        link = _read_link(token)
        with session_scope() as session:
            if links.used(session, link.nonce) is not None:
                raise links.LinkRefused("used")
            inst = session.get(StepInstance, link.instance_id)
            if inst is None:
                raise links.LinkRefused("tampered")
            off = office(session)
            may_act = _may_act(off, inst, link.email)
            if inst.status == "open" and not may_act:
                raise links.LinkRefused("not_yours")
            viewer = viewer_for(link.email, off)
            context = _context(session, off, inst, viewer, may_act, f"/t/{token}", f"/t/{token}/dokumen",
                               problems=problems, chosen=chosen, catatan=catatan)
    except links.LinkRefused as exc:
        return refused(request, exc, actor=None if exc.reason in ("tampered", "expired") else _safe_email(token),
                       where="GET /t", instance_id=_safe_instance(token))
    return page(request, "tugas.html", status_code=status_code, **context)


@router.post("/t/{token}")
async def act_by_link(request: Request, token: str, background: BackgroundTasks) -> Response:
    form = await _read_form(request)

    def act():
        link = _read_link(token)
        check_csrf(request, form["csrf"])
        with session_scope() as session:
            links.consume(session, nonce=link.nonce, purpose="task", email=link.email, action=form["keputusan"] or "?",
                          instance_id=link.instance_id)
            outcome = _perform(session, office(session), link.instance_id, link.email, form)
        return link, outcome

    try:
        link, outcome = await run_in_threadpool(act)
    except SpjRejected as exc:
        # Feedback on the documents, not a security refusal: the transaction (the link's use
        # included) was rolled back, so the page comes back usable and nothing is recorded.
        return await run_in_threadpool(lambda: _link_page(request, token, status_code=422, problems=exc.problems,
                                                          chosen=_chosen(form), catatan=form["catatan"]))
    except (links.LinkRefused, ActionRefused) as exc:
        return await run_in_threadpool(refused, request, exc, actor=_safe_email(token), where="POST /t",
                                       instance_id=_safe_instance(token))
    background.add_task(send_mail_now)
    return await run_in_threadpool(_done_page, request, outcome, viewer_for(link.email))


@router.get("/t/{token}/dokumen/{doc_id}")
def document_by_link(request: Request, token: str, doc_id: int) -> Response:
    try:
        link = _read_link(token)
    except links.LinkRefused as exc:
        return refused(request, exc, actor=None, where="GET /t/dokumen")
    return _document(request, link.instance_id, doc_id, link.email)


def _safe_email(token: str) -> str | None:
    try:
        return _read_link(token).email
    except links.LinkRefused:
        return None


def _safe_instance(token: str) -> int | None:
    try:
        return _read_link(token).instance_id
    except links.LinkRefused:
        return None


# --- signed in ---------------------------------------------------------------------------------------
def _viewer_or_refuse(request: Request, where: str):
    viewer = signed_in(request)
    if viewer is None:
        return None, refused(request, links.LinkRefused("signin"), actor=None, where=where)
    return viewer, None


@router.get("/tugas")
def my_tasks(request: Request) -> Response:
    viewer, refusal = _viewer_or_refuse(request, "GET /tugas")
    if refusal:
        return refusal
    today = dt.datetime.now(JAKARTA).date()
    now = dt.datetime.now(dt.timezone.utc)
    with session_scope() as session:
        off = office(session)
        open_steps = steps.list_instances(session, status="open")
        periods = {(r.dag_id, r.run_id): r.periode for r in session.scalars(select(SopRun))}
        mine, others = [], []
        for inst in open_steps:
            if inst.kind == "auto":
                continue
            on_behalf = off.staff.may_act_for(viewer.email, list(inst.candidates or []), today)
            row = SimpleNamespace(
                id=inst.id, sop_nama=_sop_name(off, inst.sop_id), periode=periods.get((inst.dag_id, inst.run_id), ""),
                step_no=inst.step_no, uraian=inst.uraian, kind=inst.kind, round=inst.round, due_at=inst.due_at,
                keadaan=_due_text(off, inst, now), terlambat=bool(inst.due_at and now > inst.due_at),
                pelaksana=", ".join(_names(off, inst.candidates)),
                atas_nama=_names(off, [on_behalf])[0] if on_behalf and on_behalf != viewer.email else None)
            if on_behalf is not None:
                mine.append(row)
            elif viewer.admin:
                others.append(row)
    return page(request, "tugas_saya.html", mine=mine, others=others, viewer=viewer)


def _sop_name(off, sop_id: str) -> str:
    try:
        return off.sop(sop_id).nama
    except KeyError:
        return sop_id


@router.get("/tugas/{instance_id}")
def task_signed_in(request: Request, instance_id: int) -> Response:
    viewer, refusal = _viewer_or_refuse(request, "GET /tugas/{id}")
    if refusal:
        return refusal
    return _signed_in_page(request, viewer, instance_id)


def _signed_in_page(request: Request, viewer: Viewer, instance_id: int, *, status_code: int = 200, problems=None,
                    chosen: list[str] | None = None, catatan: str = "") -> Response:
    with session_scope() as session:
        off = office(session)
        inst = session.get(StepInstance, instance_id)
        may_act = inst is not None and _may_act(off, inst, viewer.email)
        involved = inst is not None and (may_act or viewer.email in (inst.candidates or [])
                                         or inst.closed_by == viewer.email)
        if inst is None or not (involved or viewer.admin):
            refusal = links.LinkRefused("not_yours")
        else:
            context = _context(session, off, inst, viewer, may_act, f"/tugas/{instance_id}",
                               f"/tugas/{instance_id}/dokumen", problems=problems, chosen=chosen, catatan=catatan)
    if inst is None or not (involved or viewer.admin):
        return refused(request, refusal, actor=viewer.email, where="GET /tugas/{id}",
                       instance_id=instance_id if inst is not None else None)
    return page(request, "tugas.html", status_code=status_code, **context)


@router.post("/tugas/{instance_id}")
async def act_signed_in(request: Request, instance_id: int, background: BackgroundTasks) -> Response:
    form = await _read_form(request)
    viewer = await run_in_threadpool(signed_in, request)

    def act():
        if viewer is None:
            raise links.LinkRefused("signin")
        check_csrf(request, form["csrf"])
        with session_scope() as session:
            return _perform(session, office(session), instance_id, viewer.email, form)

    try:
        outcome = await run_in_threadpool(act)
    except SpjRejected as exc:  # as by link: shown again with every problem, nothing changed
        return await run_in_threadpool(lambda: _signed_in_page(request, viewer, instance_id, status_code=422,
                                                               problems=exc.problems, chosen=_chosen(form),
                                                               catatan=form["catatan"]))
    except (links.LinkRefused, ActionRefused) as exc:
        return await run_in_threadpool(refused, request, exc, actor=viewer.email if viewer else None,
                                       where="POST /tugas/{id}", instance_id=instance_id)
    background.add_task(send_mail_now)
    return await run_in_threadpool(_done_page, request, outcome, viewer)


@router.get("/tugas/{instance_id}/dokumen/{doc_id}")
def document_signed_in(request: Request, instance_id: int, doc_id: int) -> Response:
    viewer, refusal = _viewer_or_refuse(request, "GET /tugas/dokumen")
    if refusal:
        return refusal
    return _document(request, instance_id, doc_id, viewer.email, admin=viewer.admin)


def _document(request: Request, instance_id: int, doc_id: int, email: str, admin: bool = False) -> Response:
    """A document of the task's run, for someone who may see the task."""
    with session_scope() as session:
        inst = session.get(StepInstance, instance_id)
        doc = session.get(Document, doc_id)
        allowed = (inst is not None and doc is not None and (doc.dag_id, doc.run_id) == (inst.dag_id, inst.run_id)
                   and (admin or email in (inst.candidates or []) or inst.closed_by == email
                        or _may_act(office(session), inst, email)))
        path, name = (doc.path, doc.name) if allowed else (None, None)
    if not allowed:
        return refused(request, links.LinkRefused("not_yours"), actor=email, where="GET dokumen",
                       instance_id=instance_id if inst is not None else None)
    return FileResponse(path, filename=name, headers={"X-Content-Type-Options": "nosniff"})
