"""SPJ bundle validation (domain.spj), the checklists of config/spp.yaml and the completeness check
(domain.spp_checklist): golden messages naming the exact row and cell, every problem at once."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sopflow.domain.errors import ConfigError
from sopflow.domain.spj import Lampiran, RincianDraft, Spj, SpjDraft, SpjRejected, validate
from sopflow.domain.spp_checklist import Finding, completeness, load_spp_config, missing_documents
from sopflow.domain.staff import load_staff

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_spp_config(REPO / "config" / "spp.yaml")
BPP = "lilis.suryaningsih@example.org"
COLS = dict(zip(["no", "tanggal", "nomor_bukti", "kode_rekening", "uraian", "jumlah", "penerima", "ppn", "pph"],
                "ABCDEFGHI"))
HEAD = dict(zip(["jenis_spp", "tahun_anggaran", "sub_kegiatan", "uraian", "jumlah_total", "email_bpp"], range(3, 9)))
PDF = b"%PDF-1.4 test"


def line(baris: int, **values) -> RincianDraft:
    base = {"no": baris - 1, "tanggal": dt.date(2027, 3, 15), "nomor_bukti": f"KW-{baris:03d}",
            "kode_rekening": "5.1.02.01.01.0024", "uraian": "Alat tulis kantor", "jumlah": "1.000.000",
            "penerima": "CV Sumber Rejeki", "ppn": None, "pph": None}
    base.update(values)
    return RincianDraft(baris, base, {k: f"Rincian!{c}{baris}" for k, c in COLS.items()})


def draft(lines=None, **header) -> SpjDraft:
    lines = [line(2), line(3, jumlah="250.000")] if lines is None else lines
    base = {"jenis_spp": "GU", "tahun_anggaran": 2027, "sub_kegiatan": "4.01.01.2.01.0001",
            "uraian": "GU Maret 2027", "jumlah_total": "1.250.000", "email_bpp": BPP}
    base.update(header)
    return SpjDraft(base, lines, {k: f"Ajuan!B{r}" for k, r in HEAD.items()})


def all_attachments(jenis_spp: str = "GU") -> list[Lampiran]:
    return [Lampiran(name, f"{i}.pdf", PDF) for i, name in enumerate(CONFIG.dokumen(jenis_spp).lampiran_wajib)]


def problems(d: SpjDraft, attachments=None, **kw) -> list[str]:
    with pytest.raises(SpjRejected) as info:
        validate(d, all_attachments() if attachments is None else attachments, CONFIG, **kw)
    return [str(p) for p in info.value.problems]


# --- a good bundle --------------------------------------------------------------------------------------
def test_a_good_bundle_becomes_typed_data():
    spj = validate(draft(), all_attachments(), CONFIG)
    assert isinstance(spj, Spj)
    assert (spj.jenis_spp, spj.tahun_anggaran, spj.bendahara_email) == ("GU", 2027, BPP)
    assert spj.total == Decimal("1250000.00") and isinstance(spj.total, Decimal)
    assert [(r.baris, r.no, r.jumlah, r.ppn) for r in spj.rincian] == [
        (2, 1, Decimal("1000000.00"), Decimal("0.00")), (3, 2, Decimal("250000.00"), Decimal("0.00"))]
    assert spj.kekurangan == ()
    assert [a.jenis for a in spj.lampiran] == CONFIG.dokumen("GU").lampiran_wajib


def test_amounts_as_numbers_text_and_sen_are_exact():
    lines = [line(2, jumlah=Decimal("1234567.89"), ppn="Rp 123.456,78", pph=Decimal("0.01")),
             line(3, jumlah="0,11"), line(4, jumlah=100)]
    spj = validate(draft(lines, jumlah_total="1.234.668,00"), all_attachments(), CONFIG)
    assert sum(r.jumlah for r in spj.rincian) == Decimal("1234668.00") == spj.total
    assert spj.rincian[0].ppn == Decimal("123456.78") and spj.rincian[0].pph == Decimal("0.01")


def test_spj_rejected_is_a_value_error():
    assert issubclass(SpjRejected, ValueError)


# --- golden problems: one bad cell each ------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("jumlah", "12,5.000", "'12,5.000' bukan jumlah rupiah yang sah"),
    ("jumlah", "seribu", "'seribu' bukan jumlah rupiah yang sah"),
    ("jumlah", "1,001,000", "'1,001,000' bukan jumlah rupiah yang sah"),
    ("jumlah", "-5.000", "'-5.000' negatif; jumlah tidak boleh negatif"),
    ("jumlah", "Rp -5.000", "'Rp -5.000' negatif; jumlah tidak boleh negatif"),
    ("jumlah", Decimal("-5000"), "'-5000' negatif; jumlah tidak boleh negatif"),
    ("jumlah", "1.000,555", "'1.000,555' lebih dari dua angka desimal (sen)"),
    ("jumlah", Decimal("1000.555"), "'1000.555' lebih dari dua angka desimal (sen)"),
    ("jumlah", "0", "harus lebih dari nol"),
    ("jumlah", None, "wajib diisi"),
    ("kode_rekening", "5.1.2.01.01.24", "'5.1.2.01.01.24' tidak sesuai format kode (contoh: 5.1.02.01.01.0024)"),
    ("kode_rekening", "4.1.01.01.01.0001", "'4.1.01.01.01.0001' tidak sesuai format kode (contoh: 5.1.02.01.01.0024)"),
    ("tanggal", dt.date(2026, 12, 31), "tanggal 31-12-2026 di luar Tahun Anggaran 2027"),
    ("tanggal", "01-01-2028", "tanggal 01-01-2028 di luar Tahun Anggaran 2027"),
    ("tanggal", "31-02-2027", "'31-02-2027' bukan tanggal yang sah (tulis misalnya 15-03-2027)"),
    ("ppn", "2.000.000", "Rp 2.000.000,00 melebihi Jumlah Rp 1.000.000,00"),
    ("pph", "-1", "'-1' negatif; jumlah tidak boleh negatif"),
    ("nomor_bukti", "  ", "wajib diisi"),
    ("penerima", dt.date(2027, 1, 1), "'2027-01-01' bukan teks"),
    ("no", "satu", "'satu' bukan nomor urut"),
])
def test_one_bad_cell_is_named_by_row_column_and_cell(field, value, message):
    bad = line(7, **{field: value})
    lines = [line(6), bad]
    total = "2.000.000" if field != "jumlah" else "1.000.000"
    label = {"jumlah": "Jumlah", "kode_rekening": "Kode Rekening", "tanggal": "Tanggal", "ppn": "PPN", "pph": "PPh",
             "nomor_bukti": "Nomor Bukti", "penerima": "Penerima", "no": "No"}[field]
    assert problems(draft(lines, jumlah_total=total)) == [f"baris 7, kolom {label} (Rincian!{COLS[field]}7): {message}"]


def test_the_briefs_example_without_a_cell_address():
    bad = RincianDraft(7, {**line(7).values, "jumlah": "12,5.000"})
    assert problems(draft([bad], jumlah_total="1")) == ["baris 7, kolom Jumlah: '12,5.000' bukan jumlah rupiah yang sah"]


def test_taxes_together_above_the_amount():
    bad = line(2, jumlah="1.000.000", ppn="600.000", pph="500.000")
    assert problems(draft([bad], jumlah_total="1.000.000")) == [
        "baris 2, kolom PPh (Rincian!I2): PPN + PPh Rp 1.100.000,00 melebihi Jumlah Rp 1.000.000,00"]


def test_duplicate_receipt_number_in_the_bundle_names_both_rows():
    lines = [line(2, nomor_bukti="KW-7"), line(3), line(4, nomor_bukti="kw-7 ")]
    assert problems(draft(lines, jumlah_total="3.000.000")) == [
        "baris 4, kolom Nomor Bukti (Rincian!C4): nomor bukti 'kw-7' sudah dipakai di baris 2"]


def test_lines_not_adding_up_to_the_declared_total():
    assert problems(draft(jumlah_total="1.250.000,01")) == [
        "Jumlah Total (Ajuan!B7): jumlah rincian Rp 1.250.000,00 tidak sama dengan Jumlah Total Rp 1.250.000,01 "
        "(selisih Rp 0,01)"]


@pytest.mark.parametrize("field, value, message", [
    ("jenis_spp", "XY", "Jenis SPP (Ajuan!B3): 'XY' bukan jenis SPP (pilih UP, GU, TU, LS)"),
    ("tahun_anggaran", "dua ribu", "Tahun Anggaran (Ajuan!B4): 'dua ribu' bukan tahun (misalnya 2027)"),
    ("sub_kegiatan", "4.01.01", "Sub Kegiatan (Ajuan!B5): '4.01.01' tidak sesuai format kode (contoh: 4.01.01.2.01.0001)"),
    ("uraian", None, "Uraian (Ajuan!B6): wajib diisi"),
    ("email_bpp", "lilis", "Email BPP (Ajuan!B8): 'lilis' bukan alamat email"),
])
def test_header_problems_name_the_cell(field, value, message):
    assert problems(draft(**{field: value})) == [message]


def test_every_problem_is_reported_at_once_in_row_and_column_order():
    lines = [line(2, jumlah="abc", tanggal="2026-05-01"), line(3),
             line(4, kode_rekening="5.1", ppn="-3"), line(5, nomor_bukti="KW-003")]
    found = problems(draft(lines, tahun_anggaran=2027, jenis_spp="gu", uraian=""), attachments=[])
    assert found == [
        "Uraian (Ajuan!B6): wajib diisi",
        "baris 2, kolom Tanggal (Rincian!B2): tanggal 01-05-2026 di luar Tahun Anggaran 2027",
        "baris 2, kolom Jumlah (Rincian!F2): 'abc' bukan jumlah rupiah yang sah",
        "baris 4, kolom Kode Rekening (Rincian!D4): '5.1' tidak sesuai format kode (contoh: 5.1.02.01.01.0024)",
        "baris 4, kolom PPN (Rincian!H4): '-3' negatif; jumlah tidak boleh negatif",
        "baris 5, kolom Nomor Bukti (Rincian!C5): nomor bukti 'KW-003' sudah dipakai di baris 3",
        "SPTJM SPP: belum ada; wajib diajukan oleh BPP untuk SPP-GU",
        "Pernyataan KPA SPD: belum ada; wajib diajukan oleh BPP untuk SPP-GU",
        "Pernyataan Pengajuan SPM GU/LS: belum ada; wajib diajukan oleh BPP untuk SPP-GU",
        "Bukti Pertanggungjawaban: belum ada; wajib diajukan oleh BPP untuk SPP-GU",
    ]


# --- lines required or not, attachments -------------------------------------------------------------------
def test_up_needs_no_lines_but_gu_does():
    spj = validate(draft([], jenis_spp="UP", jumlah_total="50.000.000"), all_attachments("UP"), CONFIG)
    assert spj.rincian == () and spj.total == Decimal("50000000.00")
    assert problems(draft([], jumlah_total="50.000.000")) == [
        "Rincian: belum ada baris rincian; SPP-GU wajib berisi rincian bukti"]


def test_missing_required_attachment_refuses_or_is_kept_for_the_form_koreksi():
    attached = [a for a in all_attachments("LS") if a.jenis != "SPTJM SPP"]
    d = draft(jenis_spp="LS")
    assert problems(d, attached) == ["SPTJM SPP: belum ada; wajib diajukan oleh BPP untuk SPP-LS"]
    spj = validate(d, attached, CONFIG, require_attachments=False)
    assert [(p.tempat, p.jenis) for p in spj.kekurangan] == [("SPTJM SPP", "lampiran")]


def test_attachment_kinds_match_loosely_and_unknown_or_fake_files_are_refused():
    attached = [Lampiran("  sptjm   SPP ", "a.pdf", PDF), *all_attachments()[1:]]
    spj = validate(draft(), attached, CONFIG)
    assert spj.lampiran[0].jenis == "SPTJM SPP"
    found = problems(draft(), [*all_attachments(), Lampiran("Foto Kegiatan", "f.jpg", b"\xff\xd8\xff"),
                               Lampiran("Kontrak/SPK", "k.pdf", b"not a pdf")])
    assert found[0].startswith("lampiran Foto Kegiatan (f.jpg): jenis lampiran 'Foto Kegiatan' tidak dikenal; "
                               "pilih salah satu dari: SPTJM SPP, ")
    assert found[1] == "lampiran Kontrak/SPK (k.pdf): isi berkas bukan PDF (akhiran nama tidak cocok dengan isinya)"
    assert len(found) == 2


# --- the checklists and the completeness check --------------------------------------------------------------
def test_the_gu_ls_statement_belongs_to_gu_and_ls_only():
    statement = "Pernyataan Pengajuan SPM GU/LS"
    for jenis in ("UP", "GU", "TU", "LS"):
        d = CONFIG.dokumen(jenis)
        expected = jenis in ("GU", "LS")
        assert (statement in d.pemeriksaan_ppk, statement in d.tanda_tangan_pa) == (expected, expected), jenis


def test_the_decree_lists_are_the_defaults():
    assert CONFIG.dokumen("GU").pemeriksaan_ppk == [
        "SPP", "Pengesahan SPJ", "SPTJM SPP", "SPTJM SPM", "Screenshot LPSE", "Pernyataan KPA SPD",
        "Pernyataan Pengajuan SPM GU/LS"]
    assert CONFIG.dokumen("LS").tanda_tangan_pa == [
        "Rekap SPM", "Lembar SPM", "Suket Pengajuan Pencairan Dana", "SPTJM SPP", "SPTJM SPM", "Pengesahan SPJ",
        "Pernyataan Pengajuan SPM GU/LS"]
    assert CONFIG.nomor_bku == "{nomor:04d}/BKU/{bendahara}/{tahun}"
    assert (CONFIG.nomor_spp, CONFIG.jam_kirim) == ("{nomor:04d}/{bendahara}/SETDA/{tahun}", dt.time(14, 0))
    staff = load_staff(REPO / "config" / "staff.yaml")
    assert staff.recipient_emails(CONFIG.penerima_bpkad) == ["bpkad@example.org"]


def test_completeness_for_the_ppk_lists_what_is_missing_in_order():
    spj = validate(draft(jenis_spp="LS"), all_attachments("LS"), CONFIG)
    found = completeness(spj, ["SPP", "sptjm spp", "Screenshot LPSE"], CONFIG, tahap="ppk")
    assert found == [
        Finding("Pengesahan SPJ", "belum ada; wajib diperiksa PPK SKPD untuk SPP-LS"),
        Finding("SPTJM SPM", "belum ada; wajib diperiksa PPK SKPD untuk SPP-LS"),
        Finding("Pernyataan KPA SPD", "belum ada; wajib diperiksa PPK SKPD untuk SPP-LS"),
        Finding("Pernyataan Pengajuan SPM GU/LS", "belum ada; wajib diperiksa PPK SKPD untuk SPP-LS"),
    ]
    assert completeness(spj, CONFIG.dokumen("LS").tanda_tangan_pa, CONFIG, tahap="pa") == []
    assert missing_documents("UP", [], CONFIG, "pa")[-1] == Finding(
        "Pengesahan SPJ", "belum ada; wajib ditandatangani PA untuk SPP-UP")
    with pytest.raises(ValueError):
        completeness(spj, [], CONFIG, tahap="bpkad")


def test_completeness_of_a_draft_includes_its_data_problems():
    d = draft([line(2, jumlah="12,5.000")], jenis_spp="TU", jumlah_total="1")
    found = completeness(d, [a.jenis for a in all_attachments("TU")][:1], CONFIG)
    assert [f.as_dict() for f in found] == [
        {"dokumen": "baris 2, kolom Jumlah (Rincian!F2)", "masalah": "'12,5.000' bukan jumlah rupiah yang sah"},
        {"dokumen": "Pernyataan KPA SPD", "masalah": "belum ada; wajib diajukan oleh BPP untuk SPP-TU"},
    ]


# --- spp.yaml itself ------------------------------------------------------------------------------------------
@pytest.fixture
def spp_copy(tmp_path) -> Path:
    path = tmp_path / "spp.yaml"
    shutil.copy(REPO / "config" / "spp.yaml", path)
    return path


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("change, field, text", [
    (lambda d: d.update(lampiran_tambahan=[]), "lampiran_tambahan", "unknown key"),
    (lambda d: d["jenis"].pop("TU"), "jenis.TU", "Field required"),
    (lambda d: d["jenis"]["LS"].update(pemeriksaan_ppk=[]), "jenis.LS.pemeriksaan_ppk", "at least 1 item"),
    (lambda d: d["jenis"]["GU"]["lampiran_wajib"].append("sptjm  spp"), "jenis.GU.lampiran_wajib", "listed twice"),
    (lambda d: d["kode_rekening"].update(pola="^5\\.(\\d$"), "kode_rekening.pola", "not a regular expression"),
    (lambda d: d["kode_rekening"].update(contoh="5.1.2"), "kode_rekening", "does not match the pattern"),
    (lambda d: d.update(nomor_bku="{nomer}/BKU"), "nomor_bku", "bad BKU number format"),
    (lambda d: d.update(jam_kirim="2 siang"), "jam_kirim", 'time must be "HH:MM"'),
    (lambda d: d.update(nomor_spm="{no}/SPM"), "nomor_spm", "bad BKU number format"),
    (lambda d: d.update(lampiran_kurang="tunda"), "lampiran_kurang", "'koreksi' or 'tolak'"),
])
def test_a_broken_spp_yaml_names_the_file_and_field(spp_copy, change, field, text):
    edit(spp_copy, change)
    with pytest.raises(ConfigError) as info:
        load_spp_config(spp_copy)
    assert info.value.field == field and str(spp_copy) in str(info.value) and text in str(info.value)


def test_the_bpkad_recipient_must_be_in_staff_yaml(spp_copy):
    edit(spp_copy, lambda d: d.update(penerima_bpkad="bpkad_pusat"))
    load_spp_config(spp_copy)  # without staff: not checked
    with pytest.raises(ConfigError) as info:
        load_spp_config(spp_copy, load_staff(REPO / "config" / "staff.yaml"))
    assert info.value.field == "penerima_bpkad" and "'bpkad_pusat'" in str(info.value)


def test_a_missing_spp_yaml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_spp_config(tmp_path / "spp.yaml")
