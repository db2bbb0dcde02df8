"""SPJ intake against real databases (SQLite and PostgreSQL): the XLSX template filled in and read
back, storing a bundle in one transaction (or nothing at all), exact Decimal amounts, receipt
numbers unique per BPP and fiscal year, who may submit, and the `sopflow spj` and `sopflow
validate` commands as a BPP and an admin run them."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sopflow.domain import delegation
from sopflow.domain.errors import ActionRefused
from sopflow.domain.money import format_rupiah
from sopflow.domain.office import load_office
from sopflow.domain.spj import Lampiran, SpjRejected, validate
from sopflow.domain.spj_intake import read_xlsx, submit, write_template
from sopflow.domain.spp_checklist import load_spp_config
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import AuditEntry, Document, SpjAttachment, SpjBundle, SpjLine

from tests.integration.test_lifecycle import snapshot

REPO = Path(__file__).resolve().parents[2]
SOPFLOW = Path(sys.executable).parent / "sopflow"
BPP = "lilis.suryaningsih@example.org"  # Bendahara Pengeluaran Pembantu
BP = "siti.maryamah@example.org"  # Bendahara Pengeluaran: not a BPP
PEMBANTU_BP = "yudha.pratamaputra@example.org"
PDF = b"%PDF-1.4 test document"
CONFIG = load_spp_config(REPO / "config" / "spp.yaml")


def office():
    return load_office(get_settings().config_dir)


def fill(path: Path, *, header: dict | None = None, rows: list[list] | None = None, out: Path | None = None) -> Path:
    """Fill the template the way a BPP does in Excel: header values in column B, one row per receipt."""
    wb = load_workbook(path)
    values = {"Jenis SPP": "GU", "Tahun Anggaran": 2027, "Sub Kegiatan": "4.01.01.2.01.0001",
              "Uraian": "GU Maret 2027 Bagian Perencanaan dan Keuangan", "Jumlah Total": "1.234.567,89",
              "Email BPP": BPP}
    values.update(header or {})
    ajuan = wb["Ajuan"]
    for row in ajuan.iter_rows(min_col=1, max_col=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    rincian = wb["Rincian"]
    for r in rows if rows is not None else [
        [1, dt.date(2027, 3, 15), "KW-001/2027", "5.1.02.01.01.0024", "Alat tulis kantor", 1000000.0, "CV Sumber Rejeki",
         "110.000", 0],
        [2, "16-03-2027", "KW-002/2027", "5.1.02.01.01.0026", "Kertas HVS", "234.567,89", "Toko Makmur", None, "4.691,36"],
    ]:
        rincian.append(r)
    out = out or path.with_name("ajuan.xlsx")
    wb.save(out)
    return out


@pytest.fixture
def template(tmp_path) -> Path:
    return write_template(tmp_path / "templat.xlsx", CONFIG)


def gu_attachments() -> list[Lampiran]:
    return [Lampiran(name, f"{name.replace('/', '-')}.pdf", PDF + name.encode())
            for name in CONFIG.dokumen("GU").lampiran_wajib]


def do_submit(draft, attachments=None, by=BPP, config=CONFIG, now=None):
    with session_scope() as s:
        result = submit(s, office(), draft, gu_attachments() if attachments is None else attachments, by, "test",
                        config=config, documents_dir=get_settings().documents_dir, now=now)
        return result.bundle.id


# --- the template -----------------------------------------------------------------------------------------
def test_template_is_in_indonesian_with_a_type_list(template):
    wb = load_workbook(template)
    assert wb.sheetnames == ["Ajuan", "Rincian", "Petunjuk"]
    ajuan = wb["Ajuan"]
    assert [ajuan.cell(r, 1).value for r in range(3, 9)] == [
        "Jenis SPP", "Tahun Anggaran", "Sub Kegiatan", "Uraian", "Jumlah Total", "Email BPP"]
    [validation] = ajuan.data_validations.dataValidation
    assert validation.type == "list" and validation.formula1 == '"UP,GU,TU,LS"' and str(validation.sqref) == "B3"
    rincian = wb["Rincian"]
    assert [c.value for c in rincian[1]] == ["No", "Tanggal", "Nomor Bukti", "Kode Rekening", "Uraian", "Jumlah",
                                             "Penerima", "PPN", "PPh"]
    assert rincian.max_row == 1  # nothing but the titles: a BPP's first receipt goes in row 2
    assert rincian.column_dimensions["D"].number_format == "@"  # codes stay text in Excel
    assert any("CONTOH" in str(c.value) for c in wb["Petunjuk"]["A"])


def test_filled_template_reads_back_exactly(template):
    draft = read_xlsx(fill(template))
    assert draft.problems == []
    assert draft.sel["jumlah_total"] == "Ajuan!B7"
    assert [d.baris for d in draft.rincian] == [2, 3]
    assert draft.rincian[0].values["jumlah"] == Decimal("1000000.00")  # an Excel float, exactly
    assert draft.rincian[1].sel["pph"] == "Rincian!I3"
    spj = validate(draft, gu_attachments(), CONFIG)
    assert spj.total == Decimal("1234567.89")
    assert [(r.no, r.tanggal, r.jumlah, r.ppn, r.pph) for r in spj.rincian] == [
        (1, dt.date(2027, 3, 15), Decimal("1000000.00"), Decimal("110000.00"), Decimal("0.00")),
        (2, dt.date(2027, 3, 16), Decimal("234567.89"), Decimal("0.00"), Decimal("4691.36"))]
    same = read_xlsx(fill(template).read_bytes())  # bytes (an upload) read the same
    assert validate(same, gu_attachments(), CONFIG) == spj


def test_binary_floats_are_read_as_excel_shows_them(template):
    rows = [[1, dt.date(2027, 1, 5), "A", "5.1.02.01.01.0024", "x", 0.1 + 0.2, "p", None, None],
            [2, dt.date(2027, 1, 5), "B", "5.1.02.01.01.0024", "x", 1250000.10, "p", None, None],
            [3, dt.date(2027, 1, 5), "C", "5.1.02.01.01.0024", "x", 1250.125, "p", None, None]]
    draft = read_xlsx(fill(template, rows=rows, header={"Jumlah Total": 1250000.40}))
    assert [d.values["jumlah"] for d in draft.rincian[:2]] == [Decimal("0.30"), Decimal("1250000.10")]
    assert [str(p) for p in draft.problems] == [
        "baris 4, kolom Jumlah (Rincian!F4): '1250.125' lebih dari dua angka desimal (sen)"]


def test_unreadable_cells_are_named_by_their_excel_address(template):
    rows = [[1, 45000, "A", 5.1, "x", dt.date(2027, 1, 1), "p", None, None],
            [2, "besok", "B", "5.1.02.01.01.0024", "x", "1.000", "p", True, None]]
    with pytest.raises(SpjRejected) as info:
        validate(read_xlsx(fill(template, rows=rows, header={"Tahun Anggaran": "2O27"})), gu_attachments(), CONFIG)
    assert [str(p) for p in info.value.problems] == [
        "Tahun Anggaran (Ajuan!B4): '2O27' bukan tahun (misalnya 2027)",
        "baris 2, kolom Tanggal (Rincian!B2): berisi angka 45000, bukan tanggal (format sel sebagai tanggal atau "
        "tulis 15-03-2027)",
        "baris 2, kolom Kode Rekening (Rincian!D2): berisi angka 5.1; tulis sebagai teks",
        "baris 2, kolom Jumlah (Rincian!F2): berisi tanggal 01-01-2027, bukan jumlah rupiah",
        "baris 3, kolom Tanggal (Rincian!B3): 'besok' bukan tanggal yang sah (tulis misalnya 15-03-2027)",
        "baris 3, kolom PPN (Rincian!H3): berisi nilai benar/salah (True), bukan isian",
    ]


def test_not_a_template_is_refused(tmp_path):
    with pytest.raises(SpjRejected, match="bukan berkas XLSX"):
        read_xlsx(b"this is not a workbook")
    from openpyxl import Workbook

    other = tmp_path / "lain.xlsx"
    Workbook().save(other)
    with pytest.raises(SpjRejected) as info:
        read_xlsx(other)
    assert [str(p) for p in info.value.problems] == [
        "berkas: lembar 'Ajuan' tidak ada; gunakan templat dari 'sopflow spj template'",
        "berkas: lembar 'Rincian' tidak ada; gunakan templat dari 'sopflow spj template'"]


# --- storing ------------------------------------------------------------------------------------------------
def test_submit_stores_bundle_lines_attachments_and_audit(db_url, template):
    bundle_id = do_submit(read_xlsx(fill(template)))
    with session_scope() as s:
        b = s.get(SpjBundle, bundle_id)
        assert (b.jenis_spp, b.tahun_anggaran, b.bendahara_email, b.status, b.submitted_by) == (
            "GU", 2027, BPP, "diajukan", BPP)
        assert b.total == Decimal("1234567.89") and isinstance(b.total, Decimal)
        assert (b.batch_date, b.dag_id, b.run_id, b.bku_nomor, b.koreksi) == (None, None, None, None, [])
        assert [(l.no, l.nomor_bukti, l.jumlah, l.ppn, l.pph) for l in b.lines] == [
            (1, "KW-001/2027", Decimal("1000000.00"), Decimal("110000.00"), Decimal("0.00")),
            (2, "KW-002/2027", Decimal("234567.89"), Decimal("0.00"), Decimal("4691.36"))]
        assert [a.jenis for a in b.attachments] == CONFIG.dokumen("GU").lampiran_wajib
        docs = s.scalars(select(Document).order_by(Document.id)).all()
        assert {(d.dag_id, d.run_id, d.jenis) for d in docs} == {("sop08_spp", f"spj-{bundle_id}", "lampiran_spj")}
        assert Path(docs[0].path).read_bytes() == PDF + b"SPTJM SPP"
        [entry] = s.scalars(select(AuditEntry)).all()
        assert (entry.actor, entry.action, entry.source, entry.run_id) == (BPP, "spj_diajukan", "test", f"spj-{bundle_id}")
        assert entry.detail["total"] == "1234567.89" and entry.detail["baris"] == 2


@pytest.mark.parametrize("amount", ["1234567.89", "999999999999999.99", "0.01", "10000000000000.01"])
def test_amounts_round_trip_exactly(db_url, template, amount):
    value = Decimal(amount)
    # As Indonesian text ("Rp 999.999.999.999.999,99"): an Excel number has 15 significant digits only.
    rows = [[1, dt.date(2027, 6, 1), "KW-1", "5.1.02.01.01.0024", "x", format_rupiah(value), "p",
             format_rupiah(value), None]]
    draft = read_xlsx(fill(template, rows=rows, header={"Jumlah Total": format_rupiah(value)}))
    bundle_id = do_submit(draft)
    with session_scope() as s:
        b = s.get(SpjBundle, bundle_id)
        line = b.lines[0]
        assert (b.total, line.jumlah, line.ppn, line.pph) == (value, value, value, Decimal("0.00"))
        assert str(b.total) == amount
        assert s.scalar(select(SpjBundle.id).where(SpjBundle.total == value)) == bundle_id


def test_a_bad_row_stores_nothing(db_url, template):
    do_submit(read_xlsx(fill(template)))  # something there already, so "nothing" is not trivially true
    before = snapshot()
    rows = [[1, dt.date(2027, 4, 1), "KW-101", "5.1.02.01.01.0024", "x", "1.000.000", "p", None, None],
            [2, dt.date(2027, 4, 2), "KW-102", "5.1.02.01.01.0024", "x", "12,5.000", "p", None, None]]
    attachments = [Lampiran(a.jenis, a.nama_berkas, a.data + b" new") for a in gu_attachments()]
    with pytest.raises(SpjRejected) as info:
        do_submit(read_xlsx(fill(template, rows=rows, header={"Jumlah Total": "1.000.000"}, out=template.with_name("b.xlsx"))),
                  attachments)
    assert [str(p) for p in info.value.problems] == [
        "baris 3, kolom Jumlah (Rincian!F3): '12,5.000' bukan jumlah rupiah yang sah"]
    assert snapshot() == before


def test_duplicate_receipt_across_bundles_of_one_bpp_and_year(db_url, template):
    first = do_submit(read_xlsx(fill(template)))
    rows = [[1, dt.date(2027, 5, 2), "KW-050", "5.1.02.01.01.0024", "x", "100", "p", None, None],
            [2, dt.date(2027, 5, 2), "kw-002/2027", "5.1.02.01.01.0024", "x", "200", "p", None, None]]
    again = read_xlsx(fill(template, rows=rows, header={"Jumlah Total": "300"}, out=template.with_name("2.xlsx")))
    before = snapshot()
    with pytest.raises(SpjRejected) as info:
        do_submit(again)
    assert [str(p) for p in info.value.problems] == [
        f"baris 3, kolom Nomor Bukti (Rincian!C3): nomor bukti 'kw-002/2027' sudah diajukan dalam SPJ {first} "
        "Tahun Anggaran 2027"]
    assert snapshot() == before
    # Another fiscal year is another sequence of receipts.
    other_year = read_xlsx(fill(template, rows=[[*r[:1], dt.date(2028, 5, 2), *r[2:]] for r in rows],
                                header={"Jumlah Total": "300", "Tahun Anggaran": 2028}, out=template.with_name("3.xlsx")))
    do_submit(other_year)
    # A bundle refused as a whole frees its receipt numbers.
    with session_scope() as s:
        s.get(SpjBundle, first).status = "ditolak"
    assert do_submit(again) > first


def test_concurrent_submissions_of_one_receipt_store_it_once(db_url, template):
    drafts = [read_xlsx(fill(template, out=template.with_name(f"c{i}.xlsx"))) for i in range(4)]
    barrier = threading.Barrier(len(drafts))
    outcomes: list[str] = []

    def go(draft):
        barrier.wait()
        try:
            do_submit(draft)
            outcomes.append("stored")
        except SpjRejected:
            outcomes.append("refused")

    threads = [threading.Thread(target=go, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["refused"] * 3 + ["stored"]
    with session_scope() as s:
        assert len(s.scalars(select(SpjLine)).all()) == 2


def test_only_a_bpp_or_their_active_delegate_may_submit(db_url, template):
    draft = read_xlsx(fill(template))
    before = snapshot()
    with pytest.raises(ActionRefused, match=f"{BP} tidak dapat mengajukan SPJ atas nama {BPP}"):
        do_submit(draft, by=BP)
    not_bpp = read_xlsx(fill(template, header={"Email BPP": BP}, out=template.with_name("bp.xlsx")))
    with pytest.raises(ActionRefused, match=f"{BP} bukan Bendahara Pengeluaran Pembantu"):
        do_submit(not_bpp, by=BP)
    assert snapshot() == before
    now = dt.datetime(2027, 3, 17, 3, 0, tzinfo=dt.timezone.utc)
    with session_scope() as s:
        delegation.add(s, office(), person="bendahara_pembantu", delegate="pembantu_bendahara", jenis="Plh",
                       mulai=dt.date(2027, 3, 15), sampai=dt.date(2027, 3, 19), by="admin.sopflow@example.org",
                       now=now)
    bundle_id = do_submit(draft, by=PEMBANTU_BP, now=now)
    with session_scope() as s:
        b = s.get(SpjBundle, bundle_id)
        assert (b.bendahara_email, b.submitted_by) == (BPP, PEMBANTU_BP)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "spj_diajukan")).one()
        assert entry.detail["on_behalf_of"] == BPP
    with pytest.raises(ActionRefused):  # the delegation is over
        do_submit(read_xlsx(fill(template, rows=[], header={"Jenis SPP": "UP"}, out=template.with_name("u.xlsx"))),
                  by=PEMBANTU_BP, now=now + dt.timedelta(days=7))


def test_an_empty_email_bpp_is_the_submitter(db_url, template):
    bundle_id = do_submit(read_xlsx(fill(template, header={"Email BPP": None})))
    with session_scope() as s:
        assert s.get(SpjBundle, bundle_id).bendahara_email == BPP


def test_missing_attachments_go_to_the_form_koreksi_or_refuse(db_url, template):
    draft = read_xlsx(fill(template))
    partial = [a for a in gu_attachments() if a.jenis != "Pernyataan KPA SPD"]
    bundle_id = do_submit(draft, partial)
    with session_scope() as s:
        assert s.get(SpjBundle, bundle_id).koreksi == [
            {"dokumen": "Pernyataan KPA SPD", "masalah": "belum ada; wajib diajukan oleh BPP untuk SPP-GU"}]
    strict = CONFIG.model_copy(update={"lampiran_kurang": "tolak"})
    other = read_xlsx(fill(template, rows=[], header={"Jenis SPP": "UP"}, out=template.with_name("up.xlsx")))
    before = snapshot()
    with pytest.raises(SpjRejected) as info:
        do_submit(other, [], config=strict)
    assert [str(p) for p in info.value.problems] == [
        "SPTJM SPP: belum ada; wajib diajukan oleh BPP untuk SPP-UP",
        "Pernyataan KPA SPD: belum ada; wajib diajukan oleh BPP untuk SPP-UP"]
    assert snapshot() == before


# --- the commands -------------------------------------------------------------------------------------------
def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SOPFLOW), *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=dict(os.environ))


def test_cli_template_submit_and_list(db_url, tmp_path):
    out = cli("spj", "template", "templat.xlsx", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "Templat SPJ ditulis: templat.xlsx"
    filled = fill(tmp_path / "templat.xlsx")
    files = []
    for a in gu_attachments():
        (tmp_path / a.nama_berkas).write_bytes(a.data)
        files += ["--lampiran", f"{a.jenis}={tmp_path / a.nama_berkas}"]
    out = cli("spj", "submit", str(filled), "--by", BPP, *files, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "SPJ 1 diajukan: SPP-GU 2027, 2 baris rincian, total Rp 1.234.567,89\n"

    listed = json.loads(cli("spj", "list", "--json", cwd=tmp_path).stdout)
    assert [(b["id"], b["total"], b["total_rupiah"], b["status"], b["baris"], b["lampiran"]) for b in listed] == [
        (1, "1234567.89", "Rp 1.234.567,89", "diajukan", 2, 4)]
    assert json.loads(cli("spj", "list", "--json", "--status", "dikirim", cwd=tmp_path).stdout) == []
    text = cli("spj", "list", cwd=tmp_path).stdout
    assert "SPP-GU 2027" in text and "Rp 1.234.567,89" in text


def test_cli_submit_refused_lists_every_problem_and_stores_nothing(db_url, tmp_path):
    cli("spj", "template", "templat.xlsx", cwd=tmp_path)
    rows = [[1, dt.date(2027, 3, 1), "KW-1", "5.1.02.01.01.0024", "x", "12,5.000", "p", None, None],
            [2, dt.date(2026, 3, 1), "KW-1", "5.1.2", "x", "-100", "p", None, None]]
    filled = fill(tmp_path / "templat.xlsx", rows=rows, header={"Jumlah Total": "100"})
    before = snapshot()
    out = cli("spj", "submit", str(filled), "--by", BPP, "--lampiran", "SPTJM SPP=tidak-ada.pdf", cwd=tmp_path)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "SPJ ditolak, tidak ada yang disimpan (6 masalah):",
        "baris 2, kolom Jumlah (Rincian!F2): '12,5.000' bukan jumlah rupiah yang sah",
        "baris 3, kolom Tanggal (Rincian!B3): tanggal 01-03-2026 di luar Tahun Anggaran 2027",
        "baris 3, kolom Nomor Bukti (Rincian!C3): nomor bukti 'KW-1' sudah dipakai di baris 2",
        "baris 3, kolom Kode Rekening (Rincian!D3): '5.1.2' tidak sesuai format kode (contoh: 5.1.02.01.01.0024)",
        "baris 3, kolom Jumlah (Rincian!F3): '-100' negatif; jumlah tidak boleh negatif",
        "lampiran SPTJM SPP (tidak-ada.pdf): berkas tidak ditemukan",
    ]
    assert snapshot() == before
    out = cli("spj", "submit", str(fill(tmp_path / "templat.xlsx", out=tmp_path / "ok.xlsx")), "--by", BP, cwd=tmp_path)
    assert out.returncode == 1 and out.stderr.startswith(f"Ditolak: {BP} tidak dapat mengajukan SPJ")
    assert snapshot() == before


def test_cli_submit_reports_what_goes_on_the_form_koreksi(db_url, tmp_path):
    cli("spj", "template", "templat.xlsx", cwd=tmp_path)
    filled = fill(tmp_path / "templat.xlsx", rows=[], header={"Jenis SPP": "UP", "Jumlah Total": "50.000.000"})
    (tmp_path / "sptjm.pdf").write_bytes(PDF)
    out = cli("spj", "submit", str(filled), "--by", BPP, "--lampiran", f"sptjm spp={tmp_path / 'sptjm.pdf'}",
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "SPJ 1 diajukan: SPP-UP 2027, 0 baris rincian, total Rp 50.000.000,00",
        "Kelengkapan belum lengkap (1), dicatat untuk Form Koreksi Ajuan:",
        "- Pernyataan KPA SPD: belum ada; wajib diajukan oleh BPP untuk SPP-UP",
    ]


def validate_cmd(tmp_path: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPFLOW_")}
    env.update(SOPFLOW_HOME=str(tmp_path / "home"), SOPFLOW_CONFIG_DIR=str(config),
               SOPFLOW_DATABASE_URL="sqlite:////nonexistent/dir/x.db")
    return subprocess.run([str(SOPFLOW), "validate", *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)


def test_validate_checks_spp_yaml(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    good = validate_cmd(tmp_path, config)
    assert good.returncode == 0 and good.stdout.rstrip().endswith(", spp.yaml"), good.stderr
    spp = config / "spp.yaml"
    spp.write_text(spp.read_text(encoding="utf-8").replace('contoh: "5.1.02.01.01.0024"', 'contoh: "5.1.2"'),
                   encoding="utf-8")
    broken = validate_cmd(tmp_path, config)
    assert broken.returncode == 1
    assert broken.stderr.splitlines() == [
        f"{spp}, field 'kode_rekening': the example '5.1.2' does not match the pattern "
        "'^5\\.\\d\\.\\d{2}\\.\\d{2}\\.\\d{2}\\.\\d{4}$'"]
    only = validate_cmd(tmp_path, config, str(spp))
    assert only.returncode == 1 and "field 'kode_rekening'" in only.stderr
    shutil.copy(REPO / "config" / "spp.yaml", spp)
    spp.write_text(spp.read_text(encoding="utf-8").replace("penerima_bpkad: bpkad", "penerima_bpkad: bpkad_pusat"),
                   encoding="utf-8")
    unknown = validate_cmd(tmp_path, config)
    assert unknown.returncode == 1 and unknown.stderr.splitlines() == [
        f"{spp}, field 'penerima_bpkad': unknown recipient 'bpkad_pusat' (not a role or an external office in "
        "staff.yaml)"]
