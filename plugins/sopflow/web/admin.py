"""The admin pages: the dashboard of runs, a run's timeline, the audit log (and its CSV), and the
Plh/Plt delegations an admin adds or revokes.

Only a signed-in person with `admin: true` in staff.yaml sees them; anyone else is refused (and
the refusal audited). The data comes from `domain.progress` and `domain.delegation`.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sopflow.domain import delegation, links, progress
from sopflow.domain.errors import ActionRefused
from sopflow.domain.office import load_office
from sopflow.domain.period import JAKARTA
from sopflow.domain.reminders import lama
from sopflow.store.db import session_scope
from sopflow.web.common import Viewer, check_csrf, page, refused, settings, signed_in

router = APIRouter()


def _admin(request: Request, where: str) -> tuple[Viewer | None, Response | None]:
    viewer = signed_in(request)
    if viewer is None:
        return None, refused(request, links.LinkRefused("signin"), actor=None, where=where)
    if not viewer.admin:
        return None, refused(request, links.LinkRefused("admin"), actor=viewer.email, where=where)
    return viewer, None


def _base_office():
    """The office as configured, without web-added delegations: the domain adds those itself."""
    return load_office(settings().config_dir)


def run_path(dag_id: str, run_id: str) -> str:
    return f"/admin/run/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"


def _terlambat(minutes: int) -> str:
    return "TERLAMBAT" + (f" {lama(minutes)}" if minutes else "")


# --- dashboard and timeline ----------------------------------------------------------------------
@router.get("/admin")
def dashboard(request: Request, sop: str = "", bagian: str = "", orang: str = "", status: str = "aktif") -> Response:
    viewer, refusal = _admin(request, "GET /admin")
    if refusal:
        return refusal
    status = status if status in progress.STATUSES else "aktif"
    off = _base_office()
    with session_scope() as session:
        rows = progress.runs(session, off, sop_id=sop or None, bagian=bagian or None, person=orang or None,
                             status=status)
    return page(request, "admin_dasbor.html", viewer=viewer, runs=rows, run_path=run_path, terlambat=_terlambat,
                sops=sorted(off.catalogue.sops.values(), key=lambda s: s.id), staff=off.staff,
                saring={"sop": sop, "bagian": bagian, "orang": orang, "status": status}, statuses=progress.STATUSES)


@router.get("/admin/run/{dag_id}/{run_id:path}")
def run_page(request: Request, dag_id: str, run_id: str) -> Response:
    viewer, refusal = _admin(request, "GET /admin/run")
    if refusal:
        return refusal
    try:
        with session_scope() as session:
            line = progress.timeline(session, _base_office(), dag_id, run_id)
    except LookupError as exc:
        return page(request, "pesan.html", status_code=404, viewer=viewer, judul="Run tidak ditemukan",
                    pesan=str(exc), jenis="galat")
    return page(request, "admin_run.html", viewer=viewer, t=line, terlambat=_terlambat)


# --- audit log -----------------------------------------------------------------------------------
def _audit_filter(actor: str, action: str, dag: str, dari: str, sampai: str) -> progress.AuditFilter:
    """The filters of the form; ValueError naming the field for a date that is not YYYY-MM-DD."""
    dates = {}
    for name, value in (("dari", dari), ("sampai", sampai)):
        try:
            dates[name] = dt.date.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            raise ValueError(f"Tanggal '{name}' tidak valid: {value!r} (gunakan format TTTT-BB-HH)") from None
    return progress.AuditFilter(actor=actor, action=action, dag_id=dag, **dates)


@router.get("/admin/audit")
def audit_page(request: Request, actor: str = "", action: str = "", dag: str = "", dari: str = "",
               sampai: str = "") -> Response:
    viewer, refusal = _admin(request, "GET /admin/audit")
    if refusal:
        return refusal
    given = {"actor": actor, "action": action, "dag": dag, "dari": dari, "sampai": sampai}
    galat = None
    try:
        filters = _audit_filter(**given)
    except ValueError as exc:
        galat, filters = str(exc), None
    with session_scope() as session:
        entries = progress.audit_entries(session, filters) if filters else []
        actions, dags = progress.audit_choices(session)
    query = urlencode({k: v for k, v in given.items() if v})
    return page(request, "admin_audit.html", status_code=400 if galat else 200, viewer=viewer, entries=entries,
                actions=actions, dags=dags, saring=given, galat=galat, batas=progress.AUDIT_LIMIT,
                csv_href="/admin/audit.csv" + (f"?{query}" if query else ""))


@router.get("/admin/audit.csv")
def audit_csv(request: Request, actor: str = "", action: str = "", dag: str = "", dari: str = "",
              sampai: str = "") -> Response:
    viewer, refusal = _admin(request, "GET /admin/audit.csv")
    if refusal:
        return refusal
    try:
        filters = _audit_filter(actor, action, dag, dari, sampai)
    except ValueError as exc:
        return Response(str(exc) + "\n", status_code=400, media_type="text/plain; charset=utf-8")
    with session_scope() as session:
        body = progress.audit_csv(progress.audit_entries(session, filters, limit=None))
    name = f"audit-sopflow-{dt.datetime.now(JAKARTA):%Y%m%d-%H%M}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# --- delegations ---------------------------------------------------------------------------------
def _delegation_page(request: Request, viewer: Viewer, *, pesan: str | None = None) -> Response:
    off = _base_office()
    today = dt.datetime.now(JAKARTA).date()
    with session_scope() as session:
        listed = delegation.list_delegations(session, off.staff)
    names = {p.id: p.nama for p in off.staff.people}
    return page(request, "admin_delegasi.html", viewer=viewer, daftar=listed, nama=names, today=today,
                people=off.staff.people, pesan=pesan)


def _send_mail_now() -> None:
    """Hand-over mail goes out at once; on an SMTP failure it stays in the outbox for the outbox DAG."""
    from sopflow.mail import send_pending

    try:
        send_pending()
    except Exception:  # kept in the outbox; nothing is lost
        pass


def _date(field: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ActionRefused(f"{field}: tanggal tidak valid ({value!r}); gunakan format TTTT-BB-HH") from None


@router.get("/admin/delegasi")
def delegations(request: Request) -> Response:
    viewer, refusal = _admin(request, "GET /admin/delegasi")
    if refusal:
        return refusal
    return _delegation_page(request, viewer)


@router.post("/admin/delegasi")
def add_delegation(request: Request, csrf: str = Form(""), person: str = Form(""), delegate: str = Form(""),
                   jenis: str = Form(""), mulai: str = Form(""), sampai: str = Form("")) -> Response:
    where = "POST /admin/delegasi"
    viewer, refusal = _admin(request, where)
    if refusal:
        return refusal
    try:
        check_csrf(request, csrf)
        with session_scope() as session:
            record = delegation.add(session, _base_office(), person=person, delegate=delegate, jenis=jenis,
                                    mulai=_date("mulai", mulai), sampai=_date("sampai", sampai), by=viewer.email)
            record_id = record.id
    except (links.LinkRefused, ActionRefused) as exc:
        return refused(request, exc, actor=viewer.email, where=where)
    _send_mail_now()
    off = _base_office()
    return _delegation_page(request, viewer, pesan=(
        f"Delegasi {record_id} dicatat: {off.staff.person(delegate).nama} sebagai {jenis} untuk "
        f"{off.staff.person(person).nama}. Bila sudah berlaku hari ini, tugas terbuka telah dikirim kepadanya."))


@router.post("/admin/delegasi/{record_id}/cabut")
def revoke_delegation(request: Request, record_id: int, csrf: str = Form("")) -> Response:
    where = "POST /admin/delegasi/{id}/cabut"
    viewer, refusal = _admin(request, where)
    if refusal:
        return refusal
    try:
        check_csrf(request, csrf)
        with session_scope() as session:
            delegation.revoke(session, record_id, by=viewer.email)
    except (links.LinkRefused, ActionRefused) as exc:
        return refused(request, exc, actor=viewer.email, where=where)
    _send_mail_now()
    return _delegation_page(request, viewer, pesan=f"Delegasi {record_id} dicabut.")
