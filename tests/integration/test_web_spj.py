"""The SPJ intake pages (SOP VIII) through the real web app and real databases: a BPP downloads the
template, fills it in, uploads it with its attachments and the bundle is stored exactly as
`sopflow spj submit` stores it; a bad file is refused naming every bad row and cell and stores
nothing; only a BPP (or their Plh/Plt, or an admin) may open the form; forms without a valid CSRF
token and hostile attachments are refused, their names shown escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from sopflow.domain import delegation, links
from sopflow.domain.office import load_office
from sopflow.domain.period import JAKARTA
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import AuditEntry, Document, SpjAttachment, SpjBundle, SpjLine
from sopflow.web.app import create_app

BPP = "lilis.suryaningsih@example.org"  # Bendahara Pengeluaran Pembantu
BP = "siti.maryamah@example.org"  # Bendahara Pengeluaran: not a BPP
PEMBANTU_BP = "yudha.pratamaputra@example.org"  # made the BPP's Plh in one test
ADMIN = "admin.sopflow@example.org"
GU_WAJIB = ["SPTJM SPP", "Pernyataan KPA SPD", "Pernyataan Pengajuan SPM GU/LS", "Bukti Pertanggungjawaban"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOOD_ROWS = [
    [1, dt.date(2027, 3, 15), "KW-001/2027", "5.1.02.01.01.0024", "Alat tulis kantor", 1000000.0, "CV Sumber Rejeki",
     "110.000", 0],
    [2, "16-03-2027", "KW-002/2027", "5.1.02.01.01.0026", "Kertas HVS", "234.567,89", "Toko Makmur", None, "4.691,36"],
]


@pytest.fixture
def client(sopflow_home) -> TestClient:
    return TestClient(create_app(), base_url="http://testserver/sop", root_path="/sop")


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    """A small real PDF for each required GU attachment."""
    from sopflow.render.pdf import html_to_pdf

    return {name: html_to_pdf(f"<h1>{name}</h1><p>Bagian Perencanaan dan Keuangan</p>") for name in GU_WAJIB}


def sign_in(client: TestClient, email: str) -> None:
    client.cookies.set("sopflow_sesi", links.session_cookie(get_settings().secret_key, email), path="/sop")


def csrf_of(page_html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)


def fill(template: bytes, *, header: dict | None = None, rows: list[list] | None = None) -> bytes:
    """Fill the downloaded template the way a BPP does in Excel (as tests/integration/test_spj_intake.py)."""
    wb = load_workbook(io.BytesIO(template))
    values = {"Jenis SPP": "GU", "Tahun Anggaran": 2027, "Sub Kegiatan": "4.01.01.2.01.0001",
              "Uraian": "GU Maret 2027 Bagian Perencanaan dan Keuangan", "Jumlah Total": "1.234.567,89",
              "Email BPP": BPP, **(header or {})}
    for row in wb["Ajuan"].iter_rows(min_col=1, max_col=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    for r in GOOD_ROWS if rows is None else rows:
        wb["Rincian"].append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download_template(client: TestClient) -> bytes:
    response = client.get("/spj/templat.xlsx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "templat-spj.xlsx" in response.headers["content-disposition"]
    return response.content


def post_bundle(client: TestClient, xlsx: bytes | None, attachments: list[tuple[str, str, bytes]],
                csrf: str | None = "from-page"):
    """POST the form as a browser does: the XLSX, then one (jenis, file) per attachment row."""
    if csrf == "from-page":
        csrf = csrf_of(client.get("/spj/ajukan").text)
    data = {} if csrf is None else {"csrf": csrf}
    files = []
    if xlsx is not None:
        files.append(("xlsx", ("ajuan SPJ.xlsx", xlsx, XLSX)))
    for i, (jenis, name, content) in enumerate(attachments, start=1):
        data[f"jenis_{i}"] = jenis
        files.append((f"lampiran_{i}", (name, content, "application/pdf")))
    return client.post("/spj/ajukan", data=data, files=files)


def gu_attachments(pdfs, skip: str | None = None) -> list[tuple[str, str, bytes]]:
    return [(name, f"{name.replace('/', '-')}.pdf", data) for name, data in pdfs.items() if name != skip]


def count(model) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def stored() -> dict[str, int]:
    return {m.__tablename__: count(m) for m in (SpjBundle, SpjLine, SpjAttachment, Document)} | {
        "spj_diajukan": len(audit("spj_diajukan"))}


def audit(action: str) -> list[AuditEntry]:
    with session_scope() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def text_of(response) -> str:
    """The page as a reader sees it (entities decoded, tags kept)."""
    return html.unescape(response.text)


# --- (a) the happy path -----------------------------------------------------------------------------
def test_a_bpp_downloads_fills_and_submits_the_template(db_url, client, pdfs):
    sign_in(client, BPP)
    nav = client.get("/tugas")
    assert 'href="/sop/spj"' in nav.text and ">SPJ</a>" in nav.text
    form = client.get("/spj/ajukan")
    assert form.status_code == 200, form.text
    assert 'href="/sop/spj/templat.xlsx"' in form.text and 'enctype="multipart/form-data"' in form.text
    assert 'type="file" id="xlsx" name="xlsx"' in form.text and "Ajukan SPJ</button>" in form.text
    assert form.text.count('<select id="jenis_') == 8 and form.text.count('name="lampiran_') == 8
    # Every document kind of spp.yaml is offered once, in every row.
    options = re.findall(r'<select id="jenis_1" name="jenis_1">(.*?)</select>', form.text, re.S)[0]
    kinds = [html.unescape(k) for k in re.findall(r'<option value="([^"]*)"', options)]
    assert "SPTJM SPP" in kinds and "Kontrak/SPK" in kinds
    assert "Lembar SPM" not in kinds and "Rekap SPM" not in kinds  # sopflow renders those itself
    assert len(kinds) == len(set(kinds))

    response = post_bundle(client, fill(download_template(client)), gu_attachments(pdfs))
    assert response.status_code == 200, response.text
    with session_scope() as s:
        [b] = s.scalars(select(SpjBundle)).all()
        assert (b.jenis_spp, b.tahun_anggaran, b.bendahara_email, b.submitted_by, b.status, b.koreksi) == (
            "GU", 2027, BPP, BPP, "diajukan", [])
        assert b.total == Decimal("1234567.89")
        assert [(l.no, l.nomor_bukti, l.jumlah, l.ppn, l.pph) for l in b.lines] == [
            (1, "KW-001/2027", Decimal("1000000.00"), Decimal("110000.00"), Decimal("0.00")),
            (2, "KW-002/2027", Decimal("234567.89"), Decimal("0.00"), Decimal("4691.36"))]
        assert [a.jenis for a in b.attachments] == GU_WAJIB
        docs = {d.id: d for d in s.scalars(select(Document))}
        assert open(docs[b.attachments[0].document_id].path, "rb").read() == pdfs["SPTJM SPP"]
        bundle_id = b.id
    page = text_of(response)
    assert f"SPJ {bundle_id} diajukan" in page
    assert "SPP-GU" in page and "Rp 1.234.567,89" in page
    assert re.search(r"<dt>Baris rincian</dt><dd>2</dd>", page)
    assert "Form Koreksi Ajuan" not in page
    [entry] = audit("spj_diajukan")  # the domain's one entry, from the web
    assert (entry.actor, entry.source, entry.run_id) == (BPP, "web", f"spj-{bundle_id}")

    # "SPJ saya" lists it with its status and total; the BKU number shows once it has one.
    mine = client.get("/spj")
    assert mine.status_code == 200
    assert f"SPJ {bundle_id}" in mine.text and "Diajukan" in mine.text and "Rp 1.234.567,89" in mine.text
    with session_scope() as s:
        s.get(SpjBundle, bundle_id).bku_nomor = "0007/BKU/BPP/2027"
    assert "0007/BKU/BPP/2027" in client.get("/spj").text
    # An admin sees every bundle; someone else sees none of the BPP's.
    sign_in(client, ADMIN)
    assert f"SPJ {bundle_id}" in client.get("/spj").text
    sign_in(client, BP)
    other = client.get("/spj")
    assert other.status_code == 200 and f"SPJ {bundle_id}" not in other.text and "Belum ada SPJ" in other.text
    assert 'href="/sop/spj/ajukan"' not in other.text


def test_a_missing_attachment_goes_on_the_form_koreksi(db_url, client, pdfs):
    sign_in(client, BPP)
    response = post_bundle(client, fill(download_template(client)), gu_attachments(pdfs, skip="Pernyataan KPA SPD"))
    assert response.status_code == 200, response.text
    page = text_of(response)
    assert re.search(r"SPJ \d+ diajukan", page)
    assert "Form Koreksi Ajuan" in page and "Pernyataan KPA SPD" in page and "wajib diajukan oleh BPP" in page
    with session_scope() as s:
        [b] = s.scalars(select(SpjBundle)).all()
        assert b.koreksi == [{"dokumen": "Pernyataan KPA SPD",
                              "masalah": "belum ada; wajib diajukan oleh BPP untuk SPP-GU"}]


def test_the_template_needs_a_sign_in(db_url, client):
    assert client.get("/spj/templat.xlsx").status_code == 401
    assert client.get("/spj/ajukan").status_code == 401
    assert client.get("/spj").status_code == 401


# --- (b) a bad file: every problem named, nothing stored --------------------------------------------
def test_bad_cells_are_all_named_and_nothing_is_stored(db_url, client, pdfs):
    sign_in(client, BPP)
    template = download_template(client)
    assert post_bundle(client, fill(template), gu_attachments(pdfs)).status_code == 200  # something stored already
    before = stored()
    rows = [[1, dt.date(2026, 12, 30), "KW-101", "5.1.02.01.01.0024", "Konsumsi rapat", "1.000.000", "Katering", None,
             None],
            [2, dt.date(2027, 4, 2), "KW-102", "5.1.02.01.01.0024", "Fotokopi", "12,5.000", "Toko Fotokopi", None,
             None]]
    response = post_bundle(client, fill(template, rows=rows, header={"Jumlah Total": "1.012.500"}),
                           gu_attachments(pdfs))
    assert response.status_code == 422, response.text
    page = text_of(response)
    assert "SPJ ditolak, tidak ada yang disimpan" in page
    items = re.findall(r"<li><strong>(.*?)</strong>: (.*?)</li>", page)
    assert items == [
        ("baris 2, kolom Tanggal (Rincian!B2)", "tanggal 30-12-2026 di luar Tahun Anggaran 2027"),
        ("baris 3, kolom Jumlah (Rincian!F3)", "'12,5.000' bukan jumlah rupiah yang sah"),
    ]
    # The form is shown again, ready for the corrected file.
    assert 'name="xlsx"' in response.text and "Ajukan SPJ</button>" in response.text
    assert stored() == before

    # A file that is not a workbook, or no file at all, is refused the same way.
    not_xlsx = post_bundle(client, b"PK\x03\x04 not really", gu_attachments(pdfs))
    assert not_xlsx.status_code == 422 and "bukan berkas XLSX yang dapat dibaca" in not_xlsx.text
    none = post_bundle(client, None, gu_attachments(pdfs))
    assert none.status_code == 422 and "pilih berkas templat SPJ" in none.text
    assert stored() == before


# --- (c) who may submit -----------------------------------------------------------------------------
def test_someone_who_is_not_a_bpp_is_refused(db_url, client, pdfs):
    sign_in(client, BPP)
    template = download_template(client)
    sign_in(client, BP)
    page = client.get("/spj/ajukan")
    assert page.status_code == 403 and "hanya untuk Bendahara Pengeluaran Pembantu" in page.text
    before = stored()
    # Even with a valid form token (from another page) and a filled-in file naming the BPP.
    token = csrf_of(client.get("/spj").text)
    response = post_bundle(client, fill(template), gu_attachments(pdfs), csrf=token)
    assert response.status_code == 403 and "Tindakan ditolak" in response.text
    assert stored() == before
    assert [r.actor for r in audit("refused")] == [BP, BP]


def test_an_active_plh_submits_for_the_bpp(db_url, client, pdfs):
    today = dt.datetime.now(JAKARTA).date()
    with session_scope() as s:
        delegation.add(s, load_office(get_settings().config_dir), person="bendahara_pembantu",
                       delegate="pembantu_bendahara", jenis="Plh", mulai=today, sampai=today + dt.timedelta(days=3),
                       by=ADMIN)
    sign_in(client, PEMBANTU_BP)
    template = download_template(client)
    response = post_bundle(client, fill(template), gu_attachments(pdfs))
    assert response.status_code == 200, response.text
    assert "sebagai Plh/Plt" in response.text
    with session_scope() as s:
        [b] = s.scalars(select(SpjBundle)).all()
        assert (b.bendahara_email, b.submitted_by) == (BPP, PEMBANTU_BP)
    # Both see it in "SPJ saya".
    assert f"SPJ {b.id}" in client.get("/spj").text
    sign_in(client, BPP)
    assert f"SPJ {b.id}" in client.get("/spj").text


def test_an_admin_may_open_the_form_but_not_submit_for_a_bpp(db_url, client, pdfs):
    sign_in(client, ADMIN)
    assert client.get("/spj/ajukan").status_code == 200
    before = stored()
    response = post_bundle(client, fill(download_template(client)), gu_attachments(pdfs))
    assert response.status_code == 403
    assert f"{ADMIN} tidak dapat mengajukan SPJ atas nama {BPP}" in response.text
    assert stored() == before


# --- (d) CSRF ---------------------------------------------------------------------------------------
def test_a_post_without_a_valid_csrf_token_stores_nothing(db_url, client, pdfs):
    sign_in(client, BPP)
    xlsx = fill(download_template(client))
    client.get("/spj/ajukan")  # sets the CSRF cookie
    before = stored()
    assert post_bundle(client, xlsx, gu_attachments(pdfs), csrf=None).status_code == 403
    assert post_bundle(client, xlsx, gu_attachments(pdfs), csrf="0" * 64).status_code == 403
    # A cross-site page posting in the BPP's browser: the session, but no cookie-matching token.
    other = TestClient(create_app(), base_url="http://testserver/sop", root_path="/sop")
    sign_in(other, BPP)
    token = csrf_of(client.get("/spj/ajukan").text)
    assert post_bundle(other, xlsx, gu_attachments(pdfs), csrf=token).status_code == 403
    # Not signed in at all.
    anonymous = TestClient(create_app(), base_url="http://testserver/sop", root_path="/sop")
    assert post_bundle(anonymous, xlsx, gu_attachments(pdfs), csrf=None).status_code == 401
    assert stored() == before
    assert [r.detail["reason"] for r in audit("refused")] == ["csrf", "csrf", "csrf", "signin"]


# --- (e) hostile attachments --------------------------------------------------------------------------
def test_hostile_attachments_are_refused_with_their_names_escaped(db_url, client, pdfs):
    sign_in(client, BPP)
    xlsx = fill(download_template(client))
    before = stored()
    hostile = '../../<img src=x onerror=alert(1)>.pdf'
    attachments = [
        ("SPTJM SPP", hostile, b"<html><script>alert(1)</script></html>"),  # not a PDF, named .pdf
        ("Pernyataan KPA SPD", "kpa.exe", b"MZ\x90\x00"),
        ("<script>alert(2)</script>", "lain.pdf", pdfs["SPTJM SPP"]),  # a kind no select offers
        *gu_attachments(pdfs)[2:],
    ]
    response = post_bundle(client, xlsx, attachments)
    assert response.status_code == 422, response.text
    assert "SPJ ditolak, tidak ada yang disimpan" in response.text
    assert "<img src=x" not in response.text and "<script>alert" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in response.text
    page = text_of(response)
    assert "isi berkas bukan PDF" in page and "jenis berkas .exe tidak diterima" in page
    assert "jenis lampiran '<script>alert(2)</script>' tidak dikenal" in page
    assert stored() == before
