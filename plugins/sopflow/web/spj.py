"""The SPJ intake pages of SOP VIII: the XLSX template to download, the form on which a BPP (or
their Plh/Plt) submits a filled-in template with its attachments, and "SPJ saya".

This module owns only the web side: who may open the pages, reading the multipart form into an
`SpjDraft` and `Lampiran`, and showing the outcome. Reading the workbook, validating the bundle
and storing it (with its audit entry) are `domain.spj_intake`'s, exactly as `sopflow spj submit`
uses them; a refused file stores nothing. `bundle_box` is what a task page of a bundle's run shows
of it (web.tasks).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from types import SimpleNamespace

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from sopflow.domain import links
from sopflow.domain import spp_flow
from sopflow.domain.documents import ALLOWED_SUFFIXES, MAX_BYTES
from sopflow.domain.errors import ActionRefused
from sopflow.domain.money import format_rupiah
from sopflow.domain.office import load_office
from sopflow.domain.period import JAKARTA
from sopflow.domain.spj import AFTER_ROWS, Lampiran, Problem, SpjDraft, SpjRejected
from sopflow.domain.spj_intake import read_xlsx, submit, write_template
from sopflow.domain.spp_checklist import JENIS_SPP, doc_key, spp_config
from sopflow.store.db import session_scope
from sopflow.store.models import SpjBundle, SpjLine
from sopflow.web.common import Viewer, check_csrf, office, page, refused, settings, signed_in

router = APIRouter()

ATTACHMENT_ROWS = 8
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_ALLOWED = ("Halaman ini hanya untuk Bendahara Pengeluaran Pembantu (BPP), Plh/Plt BPP yang sedang "
               "berlaku, atau admin sopflow.")
STATUS_LABELS = {
    "diajukan": "Diajukan", "dalam_proses": "Dalam proses", "dikembalikan": "Dikembalikan",
    "ditandatangani": "Ditandatangani", "dikirim": "Dikirim ke BPKAD", "ditolak": "Ditolak",
}


# --- who may use the pages -----------------------------------------------------------------------
def _signed_in_or_refuse(request: Request, where: str) -> tuple[Viewer | None, Response | None]:
    viewer = signed_in(request)
    if viewer is None:
        return None, refused(request, links.LinkRefused("signin"), actor=None, where=where)
    return viewer, None


def may_submit(off, viewer: Viewer, day: dt.date) -> bool:
    """A BPP, someone standing in (Plh/Plt) for a BPP that day, or an admin. Whether the bundle may
    be submitted for the BPP it names is `spj_intake.submit`'s rule."""
    if viewer.admin:
        return True
    staff = off.staff
    if "bpp" not in staff.roles:
        return False
    bpps = [p.email for p in staff.members("bpp")]
    return staff.may_act_for(viewer.email, bpps, day) is not None


def _today() -> dt.date:
    return dt.datetime.now(JAKARTA).date()


def _allowed(viewer: Viewer) -> bool:
    with session_scope() as session:
        return may_submit(office(session), viewer, _today())


# --- the form --------------------------------------------------------------------------------------
def _kinds(config) -> tuple[list[str], list[str]]:
    """The document kinds a BPP may pick (those required at intake first), and the intake ones."""
    intake: dict[str, str] = {}
    for jenis_spp in JENIS_SPP:
        for name in config.dokumen(jenis_spp).lampiran_wajib:
            intake.setdefault(doc_key(name), name)
    others = [n for n in spp_flow.attachable_documents(config) if doc_key(n) not in intake]
    return [*intake.values(), *others], list(intake.values())


def _form_page(request: Request, viewer: Viewer, *, chosen: list[str] | None = None,
               problems: list[Problem] | None = None, status_code: int = 200) -> Response:
    config = spp_config(settings().config_dir)
    kinds, intake = _kinds(config)
    chosen = chosen if chosen is not None else intake
    rows = [SimpleNamespace(n=i, jenis=chosen[i - 1] if i <= len(chosen) else "")
            for i in range(1, ATTACHMENT_ROWS + 1)]
    wajib = [SimpleNamespace(jenis=j, dokumen=config.dokumen(j).lampiran_wajib,
                             rincian=config.dokumen(j).rincian_wajib) for j in JENIS_SPP]
    return page(request, "spj_ajukan.html", status_code=status_code, viewer=viewer, kinds=kinds, rows=rows,
                wajib=wajib, problems=problems or [], koreksi_mode=config.lampiran_kurang == "koreksi",
                max_mb=MAX_BYTES // 1024 // 1024, accept=",".join(sorted(ALLOWED_SUFFIXES)))


async def _read_form(request: Request) -> dict:
    """The fields of the form; files are read up to one byte past the limit (to tell it was too big)."""
    form = await request.form()

    async def read(field: str) -> tuple[str, bytes] | None:
        upload = form.get(field)
        if upload is None or isinstance(upload, str) or not upload.filename:
            return None
        return upload.filename, await upload.read(MAX_BYTES + 1)

    rows = []
    for i in range(1, ATTACHMENT_ROWS + 1):
        jenis = form.get(f"jenis_{i}")
        rows.append((i, jenis.strip() if isinstance(jenis, str) else "", await read(f"lampiran_{i}")))
    return {"csrf": form.get("csrf"), "xlsx": await read("xlsx"), "rows": rows}


def _attachments(rows) -> tuple[list[Lampiran], list[Problem]]:
    """The non-empty attachment rows as Lampiran, and the problems of rows that cannot be used
    (as `cli_spj._attachments` does for --lampiran)."""
    found, problems = [], []
    for i, jenis, upload in rows:
        if upload is None:
            continue  # a row with no file is an unused row, whatever its select shows
        name, data = upload
        where = f"lampiran baris {i} ({name})"
        if not jenis:
            problems.append(Problem(where, "pilih jenis dokumen lampiran ini", urut=AFTER_ROWS + 1))
        elif len(data) > MAX_BYTES:
            problems.append(Problem(f"lampiran {jenis} ({name})", f"berkas lebih dari {MAX_BYTES // 1024 // 1024} "
                                    "MB; perkecil berkasnya", urut=AFTER_ROWS + 1))
        else:
            found.append(Lampiran(jenis, name, data))
    return found, problems


def _draft(form: dict, file_problems: list[Problem]) -> SpjDraft:
    """The workbook read into a draft (with the attachment problems), or SpjRejected."""
    if form["xlsx"] is None:
        raise SpjRejected([Problem("berkas XLSX", "pilih berkas templat SPJ yang sudah diisi"), *file_problems])
    name, data = form["xlsx"]
    if len(data) > MAX_BYTES:
        raise SpjRejected([Problem(f"berkas XLSX ({name})", f"lebih dari {MAX_BYTES // 1024 // 1024} MB"),
                           *file_problems])
    try:
        draft = read_xlsx(data)
    except SpjRejected as exc:
        raise SpjRejected([*exc.problems, *file_problems]) from None
    if file_problems:  # reported with everything else the bundle has wrong
        draft = SpjDraft(draft.header, draft.rincian, draft.sel, [*draft.problems, *file_problems])
    return draft


# --- the "Berkas SPJ" box of a task page ------------------------------------------------------------
def bundle_box(session, dag_id: str, run_id: str) -> SimpleNamespace | None:
    """What a task page of an SPJ bundle's run shows of the bundle (its number, type, total, BKU
    number, status, receipt lines, attachments by kind and the open Form Koreksi Ajuan findings),
    read from the store through `spp_flow.bundle_of`; None when the run is not an SPJ bundle."""
    if dag_id != spp_flow.DAG_ID or not spp_flow.RUN_KEY.match(run_id or ""):
        return None
    try:
        b = spp_flow.bundle_of(session, run_id)
    except LookupError:
        return None
    by_kind: dict[str, list[SimpleNamespace]] = {}
    for a in b.attachments:
        by_kind.setdefault(a.jenis, []).append(SimpleNamespace(id=a.document_id, name=a.document.name,
                                                               version=a.document.version))
    return SimpleNamespace(
        id=b.id, jenis_spp=b.jenis_spp, tahun_anggaran=b.tahun_anggaran, uraian=b.uraian,
        sub_kegiatan=b.sub_kegiatan, total=format_rupiah(b.total), bku_nomor=b.bku_nomor,
        status=STATUS_LABELS.get(b.status, b.status), status_kode=b.status,
        lines=[SimpleNamespace(no=l.no, tanggal=l.tanggal, nomor_bukti=l.nomor_bukti, kode_rekening=l.kode_rekening,
                               uraian=l.uraian, jumlah=format_rupiah(l.jumlah)) for l in b.lines],
        lampiran=[SimpleNamespace(jenis=jenis, dokumen=docs) for jenis, docs in by_kind.items()],
        koreksi=[SimpleNamespace(dokumen=str(k.get("dokumen", "")), masalah=str(k.get("masalah", "")))
                 for k in (b.koreksi or [])],
    )


# --- pages -----------------------------------------------------------------------------------------
@router.get("/spj/templat.xlsx")
def template(request: Request) -> Response:
    viewer, refusal = _signed_in_or_refuse(request, "GET /spj/templat.xlsx")
    if refusal:
        return refusal
    with tempfile.TemporaryDirectory(prefix="sopflow-templat-") as tmp:
        path = write_template(Path(tmp) / "templat-spj.xlsx", spp_config(settings().config_dir))
        body = path.read_bytes()
    return Response(body, media_type=XLSX_MEDIA, headers={
        "Content-Disposition": 'attachment; filename="templat-spj.xlsx"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@router.get("/spj/ajukan")
def submit_form(request: Request) -> Response:
    where = "GET /spj/ajukan"
    viewer, refusal = _signed_in_or_refuse(request, where)
    if refusal:
        return refusal
    if not _allowed(viewer):
        return refused(request, ActionRefused(NOT_ALLOWED), actor=viewer.email, where=where, status_code=403)
    return _form_page(request, viewer)


@router.post("/spj/ajukan")
async def submit_bundle(request: Request) -> Response:
    where = "POST /spj/ajukan"
    form = await _read_form(request)
    viewer = await run_in_threadpool(signed_in, request)

    def act():
        if viewer is None:
            raise links.LinkRefused("signin")
        check_csrf(request, form["csrf"])
        if not _allowed(viewer):
            raise ActionRefused(NOT_ALLOWED)
        config = spp_config(settings().config_dir)
        attachments, file_problems = _attachments(form["rows"])
        draft = _draft(form, file_problems)
        with session_scope() as session:
            # The office as configured: submit() adds the web-added delegations itself.
            result = submit(session, load_office(settings().config_dir), draft, attachments, viewer.email, "web",
                            config=config, documents_dir=settings().documents_dir)
            b = result.bundle
            return SimpleNamespace(
                id=b.id, jenis_spp=b.jenis_spp, tahun_anggaran=b.tahun_anggaran, uraian=b.uraian,
                sub_kegiatan=b.sub_kegiatan, bendahara_email=b.bendahara_email, total=b.total,
                baris=len(result.spj.rincian), lampiran=[a.jenis for a in result.spj.lampiran],
                koreksi=list(b.koreksi or []), submitted_at=b.submitted_at)

    try:
        bundle = await run_in_threadpool(act)
    except SpjRejected as exc:
        # Validation feedback, not a security refusal: nothing is stored, not even an audit entry.
        chosen = [jenis for _, jenis, _ in form["rows"]]
        return await run_in_threadpool(lambda: _form_page(request, viewer, chosen=chosen, problems=exc.problems,
                                                          status_code=422))
    except links.LinkRefused as exc:
        return await run_in_threadpool(refused, request, exc, actor=viewer.email if viewer else None, where=where)
    except ActionRefused as exc:
        return await run_in_threadpool(lambda: refused(request, exc, actor=viewer.email, where=where,
                                                       status_code=403))
    return await run_in_threadpool(lambda: _result_page(request, viewer, bundle))


def _result_page(request: Request, viewer: Viewer, bundle) -> Response:
    off = office()
    bpp = off.staff.by_email(bundle.bendahara_email)
    return page(request, "spj_hasil.html", viewer=viewer, b=bundle,
                bpp_nama=bpp.nama if bpp else bundle.bendahara_email, atas_nama=bundle.bendahara_email != viewer.email)


@router.get("/spj")
def my_bundles(request: Request) -> Response:
    viewer, refusal = _signed_in_or_refuse(request, "GET /spj")
    if refusal:
        return refusal
    with session_scope() as session:
        off = office(session)
        query = select(SpjBundle).order_by(SpjBundle.id.desc())
        if not viewer.admin:
            query = query.where(or_(SpjBundle.submitted_by == viewer.email, SpjBundle.bendahara_email == viewer.email))
        bundles = list(session.scalars(query))
        lines = dict(session.execute(select(SpjLine.bundle_id, func.count()).group_by(SpjLine.bundle_id)
                                     .where(SpjLine.bundle_id.in_([b.id for b in bundles]))).all()) if bundles else {}
        may = may_submit(off, viewer, _today())

    def name(email: str) -> str:
        person = off.staff.by_email(email)
        return person.nama if person else email

    rows = [SimpleNamespace(
        id=b.id, jenis_spp=b.jenis_spp, tahun_anggaran=b.tahun_anggaran, uraian=b.uraian, total=b.total,
        status=STATUS_LABELS.get(b.status, b.status), status_kode=b.status, bku_nomor=b.bku_nomor,
        submitted_at=b.submitted_at, baris=lines.get(b.id, 0), koreksi=len(b.koreksi or []),
        bpp=name(b.bendahara_email), pengaju=name(b.submitted_by) if b.submitted_by != b.bendahara_email else None)
        for b in bundles]
    return page(request, "spj_saya.html", viewer=viewer, rows=rows, may_submit=may)
