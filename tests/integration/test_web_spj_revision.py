"""An SPJ bundle sent back with a Form Koreksi Ajuan, completed on the BPP's task page (SOP VIII, step 2
round 2), through the real web app on SQLite and PostgreSQL.

The situation is built as production builds it: the bundle submitted through `spj_intake.submit`
without its SPTJM SPP, taken by the batch (`spp_flow.collect_batch`), registered at step 3, and sent
back by step 4's automatic completeness check. The BPP then opens the signed link, sees the bundle
and what the Form Koreksi asks for, and adds the document while pressing Selesai: the attachment and
the step stand or fall together, and the check that follows passes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sopflow.domain import links, notify, spj_intake, spp_flow, steps
from sopflow.domain.money import format_rupiah
from sopflow.domain.office import load_office
from sopflow.domain.spj import Lampiran, RincianDraft, SpjDraft
from sopflow.domain.spp_checklist import spp_config
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import AuditEntry, Document, OutboxMessage, SpjAttachment, SpjBundle, StepInstance
from sopflow.web.app import create_app

from tests.integration.test_lifecycle import snapshot

DAG = spp_flow.DAG_ID
BPP = "lilis.suryaningsih@example.org"  # Bendahara Pengeluaran Pembantu
PETUGAS_ADMINISTRASI = "rina.dewanti@example.org"
VERIFIKATOR = "hadi.susantoro@example.org"
MISSING = "SPTJM SPP"
TOTAL = Decimal("1234567.89")
PATH = re.compile(r"/sop(/t/[A-Za-z0-9_.\-]+)$")


@pytest.fixture
def client(sopflow_home) -> TestClient:
    return TestClient(create_app(), base_url="http://testserver/sop", root_path="/sop")


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    """A small real PDF for each document an SPP-LS needs at intake."""
    from sopflow.render.pdf import html_to_pdf

    config = spp_config(get_settings().config_dir)
    return {name: html_to_pdf(f"<h1>{html.escape(name)}</h1><p>SPP-LS Bagian Perencanaan dan Keuangan</p>")
            for name in config.dokumen("LS").lampiran_wajib}


def ls_draft() -> SpjDraft:
    """An SPP-LS bundle as typed (two receipt lines), as tests/unit/test_spj_validation.py builds one."""
    def line(baris: int, **values) -> RincianDraft:
        return RincianDraft(baris, {"no": baris - 1, "tanggal": dt.date(2027, 3, 15), "nomor_bukti": f"KW-LS-{baris:03d}",
                                    "kode_rekening": "5.1.02.01.01.0024", "uraian": "Pengadaan alat tulis kantor",
                                    "jumlah": "1.000.000", "penerima": "CV Sumber Rejeki", "ppn": "110.000",
                                    "pph": None, **values})

    return SpjDraft({"jenis_spp": "LS", "tahun_anggaran": 2027, "sub_kegiatan": "4.01.01.2.01.0001",
                     "uraian": "LS alat tulis kantor Maret 2027", "jumlah_total": "1.234.567,89", "email_bpp": BPP},
                    [line(2), line(3, jumlah="234.567,89", uraian="Kertas HVS", kode_rekening="5.1.02.01.01.0026")])


def returned_bundle(pdfs) -> tuple[int, int]:
    """(bundle id, step-2 round-2 instance id): an SPP-LS bundle without its SPTJM SPP, sent back to the BPP."""
    settings = get_settings()
    off = load_office(settings.config_dir)
    sop = off.sop(DAG)
    now = dt.datetime.now(dt.timezone.utc)
    attachments = [Lampiran(name, f"{name.replace('/', '-')}.pdf", data) for name, data in pdfs.items()
                   if name != MISSING]
    with session_scope() as s:
        bundle_id = spj_intake.submit(s, off, ls_draft(), attachments, BPP, "web",
                                      config=spp_config(settings.config_dir), documents_dir=settings.documents_dir,
                                      now=now - dt.timedelta(minutes=5)).bundle.id
    with session_scope() as s:
        assert spp_flow.collect_batch(s, off, sop, batch_run_id="manual__t", cutoff=now) == [bundle_id]
    run_id = spp_flow.run_key(bundle_id)
    with session_scope() as s:
        [register] = steps.open_step(s, off, sop, sop.step("s03_register_spj"), dag_id=DAG, run_id=run_id)
        register_id = register.id
    with session_scope() as s:
        steps.complete(s, off, register_id, actor=PETUGAS_ADMINISTRASI, source="test",
                       documents_dir=settings.documents_dir)
    with session_scope() as s:
        [check] = steps.open_step(s, off, sop, sop.step("s04_periksa_kelengkapan"), dag_id=DAG, run_id=run_id)
        assert (check.status, check.closed_by) == ("revised", "system")
    revision = latest(run_id, "s02_verifikasi_bukti")
    assert (revision.round, revision.status, revision.candidates) == (2, "open", [BPP])
    return bundle_id, revision.id


def latest(run_id: str, step_id: str) -> StepInstance:
    with session_scope() as s:
        return s.scalars(select(StepInstance).where(StepInstance.dag_id == DAG, StepInstance.run_id == run_id,
                                                    StepInstance.step_id == step_id)
                         .order_by(StepInstance.round.desc())).first()


def link_path(instance_id: int, email: str) -> str:
    """The page path of the signed link a task mail carries (sopflow.domain.notify.task_link)."""
    with session_scope() as s:
        inst = s.get(StepInstance, instance_id)
    return PATH.search(notify.task_link(inst, email)).group(1)


def csrf_of(page_html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)


def attachments_of(bundle_id: int) -> list[tuple[str, bytes]]:
    with session_scope() as s:
        rows = s.scalars(select(SpjAttachment).where(SpjAttachment.bundle_id == bundle_id)
                         .order_by(SpjAttachment.id)).all()
        return [(a.jenis, open(a.document.path, "rb").read()) for a in rows]


def audit(action: str) -> list[AuditEntry]:
    with session_scope() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- the BPP completes the returned SPJ ------------------------------------------------------------------
def test_the_bpp_adds_the_missing_document_and_the_check_passes(db_url, client, pdfs):
    bundle_id, revision_id = returned_bundle(pdfs)
    run_id = spp_flow.run_key(bundle_id)
    # The revision mail the BPP gets carries the same link, and the Form Koreksi Ajuan is on the round.
    with session_scope() as s:
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.run_id == run_id,
                                                     OutboxMessage.recipient == BPP)).one()
        [form_koreksi] = s.scalars(select(Document).where(Document.jenis == "form_koreksi_ajuan")).all()
        assert form_koreksi.step_instance_id == revision_id
    path = link_path(revision_id, BPP)
    assert "Langkah 2:" in mail.subject

    page = client.get(path)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    box = text[text.index("<h2>Berkas SPJ</h2>"):]
    assert f"SPJ {bundle_id}" in box and "SPP-LS" in box and format_rupiah(TOTAL) in box
    assert "Rp 1.234.567,89" in box and "Dikembalikan" in box and "Nomor BKU" not in box
    # The receipt lines, each with its own amount.
    assert "<th>No</th><th>Tanggal</th><th>Nomor Bukti</th><th>Kode Rekening</th><th>Uraian</th><th>Jumlah</th>" in box
    assert re.search(r"<td>1</td><td>15-03-2027</td><td>KW-LS-002</td><td>5\.1\.02\.01\.01\.0024</td>"
                     r"<td>Pengadaan alat tulis kantor</td><td[^>]*>Rp 1\.000\.000,00</td>", box)
    assert "KW-LS-003" in box and "Rp 234.567,89" in box
    # The attachments by kind (linked), and what the Form Koreksi asks for.
    assert "<dt>Kontrak/SPK</dt>" in box and "<dt>Pernyataan KPA SPD</dt>" in box and f"<dt>{MISSING}</dt>" not in box
    koreksi = box[box.index("Yang harus dilengkapi (Form Koreksi Ajuan)"):]
    koreksi = koreksi[:koreksi.index("</ul>")]
    assert re.findall(r"<li><strong>(.*?)</strong>: (.*?)</li>", koreksi) == [
        (MISSING, "belum ada; wajib diajukan oleh BPP untuk SPP-LS")]
    assert form_koreksi.name in text
    # The Selesai form offers attachment rows, the missing kind preselected in the first.
    assert page.text.count('<select id="jenis_') == 4 and page.text.count('name="lampiran_') == 4
    first = re.search(r'<select id="jenis_1" name="jenis_1">(.*?)</select>', page.text, re.S).group(1)
    kinds = [html.unescape(k) for k in re.findall(r'<option value="([^"]*)"', first)]
    # What a BPP attaches: not the papers sopflow renders itself (SPP, SPM, Rekap SPM ...).
    assert set(kinds) == {"", *spp_flow.attachable_documents(spp_config(get_settings().config_dir))}
    assert "SPTJM SPP" in kinds and "Lembar SPM" not in kinds
    assert re.search(rf'<option value="{MISSING}" selected>', first)

    sptjm = pdfs[MISSING]
    done = client.post(path, data={"csrf": csrf_of(page.text), "keputusan": "selesai", "catatan": "SPTJM dilampirkan",
                                   "jenis_1": MISSING, "jenis_2": "Kontrak/SPK"},  # row 2: a kind but no file
                       files={"lampiran_1": ("SPTJM SPP ditandatangani.pdf", sptjm, "application/pdf")})
    assert done.status_code == 200, done.text
    assert "Langkah 2 selesai" in done.text and f"diperiksa oleh {VERIFIKATOR}" in done.text

    assert attachments_of(bundle_id)[-1] == (MISSING, sptjm)
    assert [j for j, _ in attachments_of(bundle_id)].count("Kontrak/SPK") == 1
    step2 = latest(run_id, "s02_verifikasi_bukti")
    assert (step2.round, step2.status, step2.closed_by, step2.note) == (2, "done", BPP, "SPTJM dilampirkan")
    step4 = latest(run_id, "s04_periksa_kelengkapan")
    assert (step4.round, step4.status, step4.candidates) == (2, "open", [VERIFIKATOR])
    with session_scope() as s:
        bundle = s.get(SpjBundle, bundle_id)
        assert (bundle.status, bundle.koreksi) == ("dalam_proses", [])
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.run_id == run_id,
                                                     OutboxMessage.recipient == VERIFIKATOR)).all()
    [added] = audit("spj_dilengkapi")
    assert (added.actor, added.source, added.detail["lampiran"]) == (BPP, "web", [MISSING])
    assert [(e.actor, e.source) for e in audit("done") if e.step_instance_id == revision_id] == [(BPP, "web")]

    # The Verifikator's page shows the bundle complete, without the attachment rows (not a revision round).
    verifikator = client.get(link_path(step4.id, VERIFIKATOR))
    assert verifikator.status_code == 200
    assert "Berkas SPJ" in verifikator.text and "Yang harus dilengkapi" not in verifikator.text
    assert f"<dt>{MISSING}</dt>" in verifikator.text and 'name="jenis_1"' not in verifikator.text
    # The BPP's link acted once.
    assert client.get(path).status_code == 403


# --- a refused document changes nothing ----------------------------------------------------------------
def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_changes(db_url, client, pdfs):
    bundle_id, revision_id = returned_bundle(pdfs)
    run_id = spp_flow.run_key(bundle_id)
    path = link_path(revision_id, BPP)
    page = client.get(path)
    before = snapshot()
    hostile = "<img src=x onerror=alert(1)>.pdf"
    response = client.post(path, data={"csrf": csrf_of(page.text), "keputusan": "selesai", "catatan": "lengkap",
                                       "jenis_1": MISSING, "jenis_2": ""},
                           files=[("lampiran_1", (hostile, b"<html><script>alert(1)</script></html>", "application/pdf")),
                                  ("lampiran_2", ("kontrak.pdf", pdfs["Kontrak/SPK"], "application/pdf"))])
    assert response.status_code == 422, response.text
    assert "Lampiran ditolak, tidak ada yang disimpan" in response.text
    assert "<img src=x" not in response.text and "<script>alert" not in response.text
    items = re.findall(r"<li><strong>(.*?)</strong>: (.*?)</li>",
                       response.text[:response.text.index("</ol>")])
    assert [(html.unescape(t), html.unescape(m)) for t, m in items] == [
        ("lampiran baris 2 (kontrak.pdf)", "pilih jenis dokumen lampiran ini"),
        (f"lampiran {MISSING} ({hostile})", "isi berkas bukan PDF (akhiran nama tidak cocok dengan isinya)")]
    # The page comes back ready to try again: the choices and the note kept, the form still there.
    assert re.search(rf'<select id="jenis_1" name="jenis_1">.*?<option value="{MISSING}" selected>', response.text,
                     re.S)
    assert ">lengkap</textarea>" in response.text

    assert snapshot() == before  # not a row, not a file, not an audit entry; the link unused
    assert latest(run_id, "s02_verifikasi_bukti").status == "open"
    assert MISSING not in [j for j, _ in attachments_of(bundle_id)]

    # Without a valid CSRF token nothing is added either (refused and audited, as on every task page).
    assert client.post(path, data={"keputusan": "selesai", "jenis_1": MISSING},
                       files={"lampiran_1": ("sptjm.pdf", pdfs[MISSING], "application/pdf")}).status_code == 403
    assert [r.detail["reason"] for r in audit("refused")] == ["csrf"]
    assert MISSING not in [j for j, _ in attachments_of(bundle_id)]

    # Signed in ("Tugas saya"), the same refusal; then the corrected file goes through.
    client.cookies.set("sopflow_sesi", links.session_cookie(get_settings().secret_key, BPP), path="/sop")
    signed = client.get(f"/tugas/{revision_id}")
    again = client.post(f"/tugas/{revision_id}", data={"csrf": csrf_of(signed.text), "keputusan": "selesai",
                                                        "jenis_1": MISSING},
                        files={"lampiran_1": ("sptjm.pdf", b"GIF89a", "application/pdf")})
    assert again.status_code == 422 and "isi berkas bukan PDF" in again.text
    assert latest(run_id, "s02_verifikasi_bukti").status == "open"
    fixed = client.post(path, data={"csrf": csrf_of(page.text), "keputusan": "selesai", "jenis_1": MISSING},
                        files={"lampiran_1": ("sptjm.pdf", pdfs[MISSING], "application/pdf")})
    assert fixed.status_code == 200, fixed.text
    assert attachments_of(bundle_id)[-1] == (MISSING, pdfs[MISSING])
    assert latest(run_id, "s04_periksa_kelengkapan").status == "open"
