"""SOP VIII documents: every PDF kind read back with pdftotext (amounts, words, numbers, the right
signers), the Form Koreksi Ajuan's findings, the Surat Pengantar's day list and total, and the
SPP/SPM register and BKU extract read back with openpyxl (rows, headers, exact amounts)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from sopflow.domain.spp_documents import (
    DOCUMENT_KINDS, BkuEntry, BundleData, Finding, Line, Official, bku_entries, bku_rows,
    signatories_from_staff, totals_by_account,
)
from sopflow.domain.staff import load_staff
from sopflow.render import render
from sopflow.render import spp

CONFIG = Path(__file__).resolve().parents[2] / "config"
TOTAL = "Rp 3.751.250,50"
WORDS = "tiga juta tujuh ratus lima puluh satu ribu dua ratus lima puluh rupiah lima puluh sen"

# The fictional people of config/staff.yaml.
PA = ("Dr. Bambang Kusumawardana, M.Si.", "196805121994031999")
KPA = ("Drs. Hendro Prasetyaning, M.M.", "197003141996031999")
PPK = ("Endang Purwaningtyas, S.E., M.Ak.", "197811092003122999")
BP = ("Siti Maryamah, S.E.", "198406272009032999")
BPP = ("Lilis Suryaningsih, A.Md.", "198912052014022999")
VERIFIKATOR = ("Hadi Susantoro, S.E.", "198601312011011999")


@pytest.fixture(scope="module")
def staff():
    return load_staff(CONFIG / "staff.yaml")


@pytest.fixture(scope="module")
def signatories(staff):
    return signatories_from_staff(staff)


def bundle(signatories, staff, **overrides) -> BundleData:
    values = dict(
        jenis_spp="GU",
        tahun_anggaran=2027,
        tanggal=dt.date(2027, 3, 15),
        sub_kegiatan="4.01.01.2.01.01 Penyusunan Dokumen Perencanaan Perangkat Daerah",
        uraian="Ganti Uang Persediaan belanja ATK dan makan minum rapat",
        bendahara=Official.of(staff.person("bendahara_pembantu")),
        lines=(
            Line(dt.date(2027, 3, 1), "BKT-001", "5.1.02.01.01.0024", "Belanja Alat/Bahan Kantor-ATK",
                 Decimal("1250000"), "CV Sinar Contoh", ppn=Decimal("123873.87"), pph=Decimal("0")),
            Line(dt.date(2027, 3, 3), "BKT-002", "5.1.02.01.01.0052", "Belanja Makanan dan Minuman Rapat",
                 Decimal("2001250"), "Rumah Makan Contoh", pph=Decimal("40025")),
            Line(dt.date(2027, 3, 5), "BKT-003", "5.1.02.01.01.0024", "Belanja Alat/Bahan Kantor-Kertas",
                 Decimal("500000.50"), "Toko Contoh Jaya"),
        ),
        signatories=signatories,
        nomor_spp="0012/SPP-GU/409.1.10/2027",
        nomor_spm="0009/SPM-GU/409.1.10/2027",
        nomor_bku="0007/BKU/BPP/2027",
        kode="SPJ-2027-0031",
    )
    values.update(overrides)
    return BundleData(**values)


@pytest.fixture()
def gu(signatories, staff):
    return bundle(signatories, staff)


def _pdftotext(pdf: bytes, tmp_path, *options: str) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([exe, *options, str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text with runs of whitespace as one space (a wrapped line reads on)."""
    return " ".join(_pdftotext(pdf, tmp_path).split())


def pdf_lines(pdf: bytes, tmp_path) -> list[str]:
    """The PDF's lines as laid out on the page (a table row is a line), spaces collapsed."""
    return [" ".join(line.split()) for line in _pdftotext(pdf, tmp_path, "-layout").splitlines() if line.strip()]


def assert_person(text: str, person: tuple[str, str]) -> None:
    nama, nip = person
    assert nama in text, nama
    assert f"NIP. {nip}" in text, nip


# --- domain ----------------------------------------------------------------------------------------

def test_bundle_sums_and_groups_per_account(gu):
    assert gu.total == Decimal("3751250.50")
    assert [(a.kode_rekening, a.jumlah, a.bukti) for a in gu.akun] == [
        ("5.1.02.01.01.0024", Decimal("1750000.50"), 2), ("5.1.02.01.01.0052", Decimal("2001250.00"), 1)]
    assert totals_by_account(gu.lines)[0].ppn == Decimal("123873.87")
    assert gu.ppn + gu.pph == Decimal("163898.87")
    assert gu.potongan == 0 and gu.dibayarkan == gu.total  # GU: taxes are information only
    ls = dataclasses.replace(gu, jenis_spp="LS", penerima="CV Sinar Contoh")
    assert ls.potongan == Decimal("163898.87") and ls.dibayarkan == Decimal("3587351.63")
    assert ls.dibayar_kepada == "CV Sinar Contoh" and gu.dibayar_kepada == BPP[0]


def test_bundle_refuses_what_a_document_could_not_print(signatories, staff, gu):
    line = gu.lines[0]
    with pytest.raises(TypeError):  # the total is the lines' sum, never passed in
        bundle(signatories, staff, total=Decimal("3751250.00"))
    with pytest.raises(ValueError, match="jenis_spp"):
        bundle(signatories, staff, jenis_spp="XX")
    with pytest.raises(ValueError, match="outside the fiscal year"):
        bundle(signatories, staff, lines=(dataclasses.replace(line, tanggal=dt.date(2026, 12, 31)),))
    with pytest.raises(TypeError, match="float"):
        dataclasses.replace(line, jumlah=1250000.0)
    with pytest.raises(ValueError, match="two decimals"):
        dataclasses.replace(line, jumlah=Decimal("1.001"))
    with pytest.raises(ValueError, match="non-negative"):
        dataclasses.replace(line, jumlah=Decimal("-1"))
    with pytest.raises(ValueError, match="exceed"):
        dataclasses.replace(line, ppn=Decimal("1250000"), pph=Decimal("1"))
    with pytest.raises(ValueError, match="at least one line"):
        bundle(signatories, staff, lines=())
    assert dataclasses.replace(line, jumlah="1.250.000,25").jumlah == Decimal("1250000.25")  # Indonesian text


def test_signatories_come_from_the_staff_directory(signatories):
    assert (signatories.pa.nama, signatories.pa.nip) == PA
    assert (signatories.kpa.nama, signatories.ppk.nama, signatories.bp.nama) == (KPA[0], PPK[0], BP[0])
    assert signatories.verifikator.nama == VERIFIKATOR[0]
    assert signatories.pengguna == signatories.pa and signatories.pengguna_peran == "Pengguna Anggaran"
    kpa = dataclasses.replace(signatories, penandatangan_spm="kpa")
    assert kpa.pengguna == signatories.kpa and kpa.pengguna_peran == "Kuasa Pengguna Anggaran"


def test_rupiah_and_terbilang_filters():
    from sopflow.render.templates import get_environment

    env = get_environment()
    out = env.from_string("{{ a | rupiah }} / {{ a | terbilang }}").render(a=Decimal("1001000.50"))
    assert out == "Rp 1.001.000,50 / Satu juta seribu rupiah lima puluh sen"
    assert env.from_string("{{ a | terbilang }}").render(a=Decimal("0.05")) == "Lima sen"
    with pytest.raises(TypeError):  # a float is not an amount
        env.from_string("{{ a | rupiah }}").render(a=1.5)


# --- PDFs ------------------------------------------------------------------------------------------

# Who must sign each document (name and NIP printed), and who must not appear at all.
SIGNERS = {
    "spp": ([BPP, PPK], [PA, KPA]),
    "pengesahan_spj": ([PA, PPK], [KPA]),
    "spm": ([PA], [KPA, PPK]),
    "nota_dinas_spm": ([KPA], [PA]),
    "sptjm_spp": ([PA], [KPA]),
    "sptjm_spm": ([PA], [KPA]),
    "rekap_spm": ([PA, BP], [KPA]),
    "suket_pencairan": ([PA], [KPA]),
    "form_koreksi_ajuan": ([BPP, VERIFIKATOR, BP, PPK], [PA, KPA]),
}
NUMBERS = {  # the numbers each kind prints
    "spp": ["0012/SPP-GU/409.1.10/2027", "0007/BKU/BPP/2027"],
    "pengesahan_spj": ["0012/SPP-GU/409.1.10/2027", "0007/BKU/BPP/2027"],
    "spm": ["0009/SPM-GU/409.1.10/2027", "0012/SPP-GU/409.1.10/2027", "0007/BKU/BPP/2027"],
    "nota_dinas_spm": ["0009/SPM-GU/409.1.10/2027"],
    "sptjm_spp": ["0012/SPP-GU/409.1.10/2027"],
    "sptjm_spm": ["0009/SPM-GU/409.1.10/2027"],
    "rekap_spm": ["0009/SPM-GU/409.1.10/2027", "0012/SPP-GU/409.1.10/2027", "0007/BKU/BPP/2027"],
    "suket_pencairan": ["0009/SPM-GU/409.1.10/2027", "0012/SPP-GU/409.1.10/2027"],
    "form_koreksi_ajuan": ["SPJ-2027-0031"],
}
TITLES = {
    "spp": "SURAT PERMINTAAN PEMBAYARAN", "pengesahan_spj": "LEMBAR PENGESAHAN SPJ",
    "spm": "SURAT PERINTAH MEMBAYAR", "nota_dinas_spm": "NOTA DINAS",
    "sptjm_spp": "SURAT PERNYATAAN TANGGUNG JAWAB MUTLAK", "sptjm_spm": "SURAT PERNYATAAN TANGGUNG JAWAB MUTLAK",
    "rekap_spm": "REKAPITULASI SURAT PERINTAH MEMBAYAR", "suket_pencairan": "SURAT KETERANGAN PENGAJUAN PENCAIRAN DANA",
    "form_koreksi_ajuan": "FORM KOREKSI AJUAN",
}
FINDINGS = (
    Finding("SPTJM SPP", "belum dilampirkan"),
    Finding("Bukti pengeluaran", "PPh 23 atas jasa katering belum dipotong", baris=2),
    Finding("Kuitansi BKT-003", "tanda tangan penerima tidak ada"),
)


def test_every_kind_has_a_template_and_a_test():
    assert set(SIGNERS) == set(NUMBERS) == set(TITLES) == set(DOCUMENT_KINDS) == set(spp.KINDS)


@pytest.mark.parametrize("kind", list(DOCUMENT_KINDS))
def test_pdf_shows_amounts_words_numbers_and_signers(kind, gu, tmp_path):
    data = dataclasses.replace(gu, findings=FINDINGS) if kind == "form_koreksi_ajuan" else gu
    text = pdf_text(spp.render_pdf(kind, data), tmp_path)
    assert "PEMERINTAH KABUPATEN BLITAR" in text and "SEKRETARIAT DAERAH" in text
    assert TITLES[kind] in text
    assert TOTAL in text
    assert WORDS[0].upper() + WORDS[1:] in text  # capitalised, at the start of the words
    assert "GU" in text and "2027" in text
    for number in NUMBERS[kind]:
        assert number in text, number
    signers, absent = SIGNERS[kind]
    for person in signers:
        assert_person(text, person)
    for nama, nip in absent:
        assert nama not in text and nip not in text, (kind, nama)
    if kind not in ("nota_dinas_spm",):
        assert "15 Maret 2027" in text  # the bundle's date, the Indonesian way


def test_spp_lists_each_account_and_spm_each_deduction(gu, tmp_path):
    pdf = spp.render_pdf("spp", gu)
    lines = pdf_lines(pdf, tmp_path)
    assert "1 5.1.02.01.01.0024 Belanja Alat/Bahan Kantor-ATK 2 Rp 1.750.000,50" in lines
    assert "2 5.1.02.01.01.0052 Belanja Makanan dan Minuman Rapat 1 Rp 2.001.250,00" in lines
    assert "JUMLAH Rp 3.751.250,50" in lines
    assert "Bendahara Pengeluaran Pembantu" in pdf_text(pdf, tmp_path)
    ls = dataclasses.replace(gu, jenis_spp="LS", penerima="CV Sinar Contoh",
                             nomor_spm="0010/SPM-LS/409.1.10/2027")
    text = pdf_text(spp.render_pdf("spm", ls), tmp_path)
    assert "SPM-LS" in text and "CV Sinar Contoh" in text
    assert "Jumlah potongan Rp 163.898,87" in text
    assert "Jumlah yang dibayarkan Rp 3.587.351,63" in text
    assert "Tiga juta lima ratus delapan puluh tujuh ribu tiga ratus lima puluh satu rupiah enam puluh tiga sen" in text


def test_kpa_signs_the_spm_papers_when_delegated(gu, tmp_path):
    delegated = dataclasses.replace(gu, signatories=dataclasses.replace(gu.signatories, penandatangan_spm="kpa"))
    text = pdf_text(spp.render_pdf("sptjm_spm", delegated), tmp_path)
    assert_person(text, KPA)
    assert "selaku Kuasa Pengguna Anggaran" in text and PA[0] not in text
    text = pdf_text(spp.render_pdf("suket_pencairan", delegated), tmp_path)
    assert_person(text, PA)  # the Suket stays with the PA


def test_form_koreksi_lists_each_finding_for_the_bpp(gu, tmp_path):
    unnumbered = dataclasses.replace(gu, nomor_spp=None, nomor_spm=None, nomor_bku=None, findings=FINDINGS)
    pdf = spp.render_pdf("form_koreksi_ajuan", unnumbered)
    text, lines = pdf_text(pdf, tmp_path), pdf_lines(pdf, tmp_path)
    for line in ("1 SPTJM SPP — belum dilampirkan",
                 "2 Bukti pengeluaran, baris 2 — PPh 23 atas jasa katering belum dipotong",
                 "3 Kuitansi BKT-003 — tanda tangan penerima tidak ada"):
        assert line in lines, line
    assert any(line.startswith(f"Kepada : {BPP[0]} (NIP. {BPP[1]})") for line in lines)
    assert "NomorSPP/BKU:-/-" in [line.replace(" ", "") for line in lines]  # not numbered yet
    for role in ("Verifikator", "Bendahara Pengeluaran", "Pejabat Penatausahaan Keuangan SKPD"):
        assert role in text
    no_verifikator = dataclasses.replace(
        unnumbered, signatories=dataclasses.replace(unnumbered.signatories, verifikator=None))
    text = pdf_text(spp.render_pdf("form_koreksi_ajuan", no_verifikator), tmp_path)
    assert VERIFIKATOR[0] not in text and "(......" in text  # a blank to write the name in
    assert str(FINDINGS[1]) == "Bukti pengeluaran, baris 2 — PPh 23 atas jasa katering belum dipotong"


def test_missing_values_fail_before_any_pdf(gu, signatories):
    unnumbered = dataclasses.replace(gu, nomor_spm=None)
    with pytest.raises(ValueError, match="nomor_spm"):
        spp.render_pdf("spm", unnumbered)
    with pytest.raises(ValueError, match="nomor_bku"):
        spp.render_pdf("spp", dataclasses.replace(gu, nomor_bku=None))
    with pytest.raises(ValueError, match="finding"):
        spp.render_pdf("form_koreksi_ajuan", gu)
    with pytest.raises(ValueError, match="unknown document kind"):
        spp.render_pdf("kwitansi", gu)
    with pytest.raises(jinja2.UndefinedError):  # StrictUndefined: a value missing from the context
        render("documents/spp/spm.html")
    with pytest.raises(jinja2.UndefinedError):
        render("documents/spp/spp.html", b=dataclasses.make_dataclass("Partial", ["jenis_spp", "tahun_anggaran"])("GU", 2027))


def test_file_names_are_unique_per_kind(gu):
    names = {spp.file_name(kind, gu) for kind in DOCUMENT_KINDS}
    assert len(names) == len(DOCUMENT_KINDS)
    assert spp.file_name("spm", gu) == "SPM-GU_0007-BKU-BPP-2027.pdf"
    assert all("/" not in n for n in names)


# --- Surat Pengantar -------------------------------------------------------------------------------

def day_bundles(gu):
    tu = dataclasses.replace(
        gu, jenis_spp="TU", nomor_spp="0013/SPP-TU/409.1.10/2027", nomor_spm="0010/SPM-TU/409.1.10/2027",
        nomor_bku="0008/BKU/BPP/2027", uraian="Tambahan Uang rapat koordinasi", kode="SPJ-2027-0032",
        lines=(Line(dt.date(2027, 3, 10), "BKT-010", "5.1.02.02.01.0003", "Honorarium narasumber",
                    Decimal("1001000"), "Narasumber Contoh"),))
    ls = dataclasses.replace(
        gu, jenis_spp="LS", nomor_spp="0014/SPP-LS/409.1.10/2027", nomor_spm="0011/SPM-LS/409.1.10/2027",
        nomor_bku="0009/BKU/BPP/2027", uraian="Pembayaran cetak dokumen Renja", kode="SPJ-2027-0033",
        penerima="CV Percetakan Contoh",
        lines=(Line(dt.date(2027, 3, 12), "BKT-020", "5.1.02.01.01.0026", "Belanja cetak", Decimal("12500000"),
                    "CV Percetakan Contoh", ppn=Decimal("1238738.74"), pph=Decimal("187500")),))
    return [gu, tu, ls]


def test_transmittal_lists_every_bundle_of_the_day_with_the_total(gu, tmp_path):
    bundles = day_bundles(gu)
    assert sum(b.total for b in bundles) == Decimal("17252250.50")
    pdf = spp.transmittal_letter_pdf(dt.date(2027, 3, 16), bundles, nomor="900/123/409.1.10/2027")
    text, lines = pdf_text(pdf, tmp_path), pdf_lines(pdf, tmp_path)
    assert "SURAT PENGANTAR" in text and "900/123/409.1.10/2027" in text
    assert "Badan Pengelolaan Keuangan dan Aset Daerah" in text and "16 Maret 2027" in text
    assert "sebanyak 3 berkas" in text
    rows = [("1", "0009/SPM-GU/409.1.10/2027", "0012/SPP-GU/409.1.10/2027", "SPM-GU", TOTAL),
            ("2", "0010/SPM-TU/409.1.10/2027", "0013/SPP-TU/409.1.10/2027", "SPM-TU", "Rp 1.001.000,00"),
            ("3", "0011/SPM-LS/409.1.10/2027", "0014/SPP-LS/409.1.10/2027", "SPM-LS", "Rp 12.500.000,00")]
    starts = []
    for no, spm_no, spp_no, jenis, amount in rows:
        # A row: number, SPM number, jenis, uraian, amount; under it the SPP number and the year.
        i = next(i for i, line in enumerate(lines) if line.startswith(f"{no} {spm_no} {jenis} "))
        assert lines[i].endswith(amount), lines[i]
        assert lines[i + 1].startswith(f"{spp_no} 2027"), lines[i + 1]
        starts.append(i)
    assert starts == sorted(starts)
    assert "JUMLAH Rp 17.252.250,50" in lines
    assert "Tujuh belas juta dua ratus lima puluh dua ribu dua ratus lima puluh rupiah lima puluh sen" in text
    assert_person(text, PA)


def test_transmittal_refuses_an_empty_day_and_unnumbered_bundles(gu):
    with pytest.raises(ValueError, match="at least one bundle"):
        spp.transmittal_letter_pdf(dt.date(2027, 3, 16), [])
    with pytest.raises(ValueError, match="SPM number"):
        spp.transmittal_letter_pdf(dt.date(2027, 3, 16), [dataclasses.replace(gu, nomor_spm=None)])
    with pytest.raises(ValueError, match="together"):
        spp.transmittal_letter_pdf(dt.date(2027, 3, 16), [gu], penandatangan=gu.signatories.kpa)


# --- XLSX ------------------------------------------------------------------------------------------

def _open(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data)).active


def test_register_has_one_row_per_bundle_with_exact_amounts(gu):
    bundles = day_bundles(gu)
    bundles[2] = dataclasses.replace(bundles[2], status="dikirim ke BPKAD")
    bundles.append(dataclasses.replace(gu, nomor_spp=None, nomor_spm=None, nomor_bku=None, status="dikembalikan",
                                       kode="SPJ-2027-0034"))
    ws = _open(spp.register_xlsx(bundles))
    assert [c.value for c in ws[1]] == ["No", "Tanggal", "Nomor SPP", "Nomor SPM", "Jenis", "Uraian", "Jumlah (Rp)",
                                        "Nomor BKU", "Status"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["F"].width == 50
    assert ws.max_row == 5
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows[0][:6] == [1, dt.datetime(2027, 3, 15), "0012/SPP-GU/409.1.10/2027", "0009/SPM-GU/409.1.10/2027", "GU",
                           "Ganti Uang Persediaan belanja ATK dan makan minum rapat"]
    assert [r[4] for r in rows] == ["GU", "TU", "LS", "GU"]
    assert [r[7] for r in rows] == ["0007/BKU/BPP/2027", "0008/BKU/BPP/2027", "0009/BKU/BPP/2027", None]
    assert [r[8] for r in rows] == ["diajukan", "diajukan", "dikirim ke BPKAD", "dikembalikan"]
    assert [Decimal(str(r[6])) for r in rows] == [b.total for b in bundles]
    assert ws["G2"].number_format == "#,##0.00" and ws["B2"].number_format == "DD-MM-YYYY"
    assert isinstance(ws["G2"].value, (int, float))  # a number, so it sums and sorts


def test_register_refuses_an_amount_a_cell_cannot_hold_exactly(gu):
    huge = dataclasses.replace(gu, lines=(dataclasses.replace(gu.lines[0], jumlah=Decimal("12345678901234.56")),))
    with pytest.raises(ValueError, match="exactly"):
        spp.register_xlsx([huge])
    big = dataclasses.replace(gu, lines=(dataclasses.replace(gu.lines[0], jumlah=Decimal("9999999999999.99")),))
    assert Decimal(str(_open(spp.register_xlsx([big]))["G2"].value)) == Decimal("9999999999999.99")


def test_bku_extract_runs_the_balance(gu):
    entries = [BkuEntry(dt.date(2027, 3, 1), "0006/BKU/BPP/2027", "Penerimaan SP2D UP", penerimaan=Decimal("5000000"))]
    entries += bku_entries(day_bundles(gu)[:2])
    assert len(entries) == 5
    rows = bku_rows(entries, Decimal("100.10"))
    assert rows[-1].saldo == Decimal("100.10") + Decimal("5000000") - Decimal("3751250.50") - Decimal("1001000")
    ws = _open(spp.bku_extract_xlsx(entries, saldo_awal=Decimal("100.10")))
    assert [c.value for c in ws[1]] == ["Tanggal", "Nomor BKU", "Uraian", "Penerimaan (Rp)", "Pengeluaran (Rp)",
                                        "Saldo (Rp)"]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert values[0][2:] == ["Saldo awal", None, None, 100.1]
    assert values[1][:3] == [dt.datetime(2027, 3, 1), "0006/BKU/BPP/2027", "Penerimaan SP2D UP"]
    assert values[4][1:3] == ["0007/BKU/BPP/2027", "Belanja Alat/Bahan Kantor-Kertas (BKT-003)"]
    assert [Decimal(str(v[4])) for v in values[1:]] == [e.pengeluaran for e in entries]
    assert [Decimal(str(v[5])) for v in values[1:]] == [r.saldo for r in rows]
    assert Decimal(str(values[-1][5])) == Decimal("247849.60")
    assert ws["D3"].number_format == "#,##0.00" and ws["A3"].number_format == "DD-MM-YYYY"
