"""SPJ intake: the XLSX template a BPP fills in, reading it back, and storing a submitted bundle.

`write_template(path)` writes the workbook (sheets "Ajuan", "Rincian", "Petunjuk").
`read_xlsx(path_or_bytes)` reads one into an `SpjDraft`, naming any cell it cannot read by its
Excel address ("Rincian!F7"). `submit(...)` validates the whole bundle and stores it in the
caller's transaction, or stores nothing at all.

Amount cells may hold Excel numbers or Indonesian text ("1.250.000", "Rp 1.250.000,50"). Excel
keeps numbers as binary floats, so a float is read the way Excel shows it (15 significant
digits): 1250000.0 and 0.1+0.2 (shown as 0,3) are fine and become Decimal(str(round(value, 2)));
a float that still has more than two decimals at that precision (1250,125) is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from sopflow.domain import audit, documents
from sopflow.domain.delegation import effective
from sopflow.domain.errors import ActionRefused
from sopflow.domain.money import format_rupiah
from sopflow.domain.office import Office
from sopflow.domain.period import JAKARTA
from sopflow.domain.spj import (HEADER_LABELS, LINE_LABELS, UNREADABLE, Lampiran, Problem, RincianDraft, Spj,
                                SpjDraft, SpjRejected, header_problem, line_problem, validate)
from sopflow.domain.spp_checklist import JENIS_SPP, SppConfig
from sopflow.store.models import SpjAttachment, SpjBundle, SpjLine, utcnow

DAG_ID = "sop08_spp"
SHEET_AJUAN, SHEET_RINCIAN, SHEET_PETUNJUK = "Ajuan", "Rincian", "Petunjuk"
HEADER_ORDER = ["jenis_spp", "tahun_anggaran", "sub_kegiatan", "uraian", "jumlah_total", "email_bpp"]
LINE_ORDER = ["no", "tanggal", "nomor_bukti", "kode_rekening", "uraian", "jumlah", "penerima", "ppn", "pph"]
AMOUNTS = {"jumlah_total", "jumlah", "ppn", "pph"}
TEXTS = {"sub_kegiatan", "nomor_bukti", "kode_rekening"}  # codes: typed as text, never as numbers
# Receipts of a bundle in these states may be submitted again (the bundle was refused as a whole).
FREED_STATUSES = ("ditolak",)


# --- the template ----------------------------------------------------------------------------------

def write_template(path: Path | str, config: SppConfig | None = None) -> Path:
    """Write the empty XLSX template (Indonesian) to `path`."""
    rekening = config.kode_rekening.contoh if config else "5.1.02.01.01.0024"
    sub = config.sub_kegiatan.contoh if config else "4.01.01.2.01.0001"
    bold = Font(bold=True)
    wb = Workbook()
    ajuan = wb.active
    ajuan.title = SHEET_AJUAN
    ajuan["A1"] = "AJUAN SPJ - Permintaan Pembayaran (SPP-UP, SPP-GU, SPP-TU, SPP-LS)"
    ajuan["A1"].font = Font(bold=True, size=13)
    hints = {
        "jenis_spp": "pilih UP, GU, TU atau LS", "tahun_anggaran": "misalnya 2027",
        "sub_kegiatan": f"kode sub kegiatan, misalnya {sub}", "uraian": "keperluan pembayaran",
        "jumlah_total": "sama dengan jumlah kolom Jumlah di lembar Rincian, misalnya 1.250.000",
        "email_bpp": "email Bendahara Pengeluaran Pembantu (kosong: email pengaju)",
    }
    for row, name in enumerate(HEADER_ORDER, start=3):
        ajuan.cell(row, 1, HEADER_LABELS[name]).font = bold
        ajuan.cell(row, 3, hints[name]).font = Font(italic=True, color="666666")
        if name in TEXTS:
            ajuan.cell(row, 2).number_format = "@"
    ajuan.cell(3 + HEADER_ORDER.index("jumlah_total"), 2).number_format = "#,##0.00"
    jenis = DataValidation(type="list", formula1=f'"{",".join(JENIS_SPP)}"', allow_blank=False,
                           showErrorMessage=True, errorTitle="Jenis SPP", error="Pilih UP, GU, TU atau LS.")
    ajuan.add_data_validation(jenis)
    jenis.add("B3")
    for col, width in (("A", 18), ("B", 40), ("C", 60)):
        ajuan.column_dimensions[col].width = width

    rincian = wb.create_sheet(SHEET_RINCIAN)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, name in enumerate(LINE_ORDER, start=1):
        cell = rincian.cell(1, col, LINE_LABELS[name])
        cell.font, cell.fill = bold, fill
        letter = get_column_letter(col)
        rincian.column_dimensions[letter].width = {"uraian": 40, "penerima": 28}.get(name, 18)
        fmt = "@" if name in TEXTS else "DD-MM-YYYY" if name == "tanggal" else "#,##0.00" if name in AMOUNTS else None
        if fmt:  # a column style, not formatted empty cells: those would make rows look used
            rincian.column_dimensions[letter].number_format = fmt
    rincian.freeze_panes = "A2"

    petunjuk = wb.create_sheet(SHEET_PETUNJUK)
    lines = [
        "PETUNJUK PENGISIAN",
        "1. Lembar Ajuan: isi kolom B untuk setiap isian. Jenis SPP dipilih dari daftar.",
        "2. Lembar Rincian: satu baris untuk setiap bukti (kuitansi/nota), mulai baris 2. Baris kosong dilewati.",
        "3. Jumlah, PPN dan PPh: angka rupiah, boleh ditulis 1250000 atau 1.250.000 atau 1.250.000,50 "
        "(titik pemisah ribuan, koma untuk sen, paling banyak dua angka sen). PPN dan PPh kosong berarti nol.",
        "4. Tanggal: tanggal dalam Tahun Anggaran, misalnya 15-03-2027.",
        f"5. Kode Rekening: format Permendagri 90, misalnya {rekening}. Nomor Bukti tidak boleh sama "
        "dengan bukti lain dari BPP yang sama pada tahun yang sama.",
        "6. Jumlah Total di lembar Ajuan harus sama dengan jumlah kolom Jumlah.",
        "7. Lampiran (SPTJM SPP, Pernyataan KPA SPD, dst.) diunggah terpisah bersama berkas ini.",
        "",
        "CONTOH BARIS RINCIAN (hanya contoh, jangan disalin ke lembar Rincian apa adanya):",
    ]
    for row, value in enumerate(lines, start=1):
        petunjuk.cell(row, 1, value)
    petunjuk["A1"].font = bold
    example = [1, "15-03-2027", "KW-001/2027", rekening, "Pembelian alat tulis kantor", "1.250.000",
               "CV Contoh Jaya", "123.873", "25.000"]
    start = len(lines) + 1
    for col, (name, value) in enumerate(zip(LINE_ORDER, example), start=1):
        petunjuk.cell(start, col, LINE_LABELS[name]).font = bold
        petunjuk.cell(start + 1, col, value)
    petunjuk.column_dimensions["A"].width = 12

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --- reading ---------------------------------------------------------------------------------------

class _CellError(Exception):
    pass


def _float_amount(value: float) -> Decimal:
    # Excel shows 15 significant digits; at that precision the value must have at most two decimals.
    shown = Decimal(format(value, ".15g"))
    if shown != shown.quantize(Decimal("0.01")):
        raise _CellError(f"'{format(value, '.15g')}' lebih dari dua angka desimal (sen)")
    return Decimal(str(round(value, 2)))


def _cell(value: Any, name: str) -> Any:
    """A cell's value as validation takes it, or _CellError for a cell that cannot be read."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        raise _CellError(f"berisi nilai benar/salah ({value}), bukan isian")
    if isinstance(value, dt.time):
        raise _CellError("berisi jam, bukan isian yang diminta")
    if isinstance(value, (dt.datetime, dt.date)):
        if name == "tanggal":
            return value.date() if isinstance(value, dt.datetime) else value
        raise _CellError(f"berisi tanggal {value:%d-%m-%Y}, bukan {'jumlah rupiah' if name in AMOUNTS else 'teks'}")
    if isinstance(value, (int, float)):
        if name == "tanggal":
            raise _CellError(f"berisi angka {value}, bukan tanggal (format sel sebagai tanggal atau tulis 15-03-2027)")
        if name in AMOUNTS:
            return Decimal(value) if isinstance(value, int) else _float_amount(value)
        if isinstance(value, float):
            if not value.is_integer() or name in ("kode_rekening", "sub_kegiatan"):
                raise _CellError(f"berisi angka {format(value, '.15g')}; tulis sebagai teks")
            value = int(value)
        return value
    raise _CellError(f"isi sel tidak dapat dibaca ({type(value).__name__})")


def _label(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def read_xlsx(source: Path | str | bytes) -> SpjDraft:
    """The bundle data of a filled-in template. Cells that cannot be read are reported in
    `SpjDraft.problems`; a file that is not a readable template raises SpjRejected."""
    try:
        wb = load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not an XLSX
        raise SpjRejected([Problem("berkas", f"bukan berkas XLSX yang dapat dibaca ({exc.__class__.__name__})")]) \
            from None
    missing = [s for s in (SHEET_AJUAN, SHEET_RINCIAN) if s not in wb.sheetnames]
    if missing:
        raise SpjRejected([Problem("berkas", f"lembar '{s}' tidak ada; gunakan templat dari "
                                             "'sopflow spj template'") for s in missing])
    problems: list[Problem] = []

    ajuan = wb[SHEET_AJUAN]
    wanted = {_label(HEADER_LABELS[n]): n for n in HEADER_ORDER}
    header: dict[str, Any] = {}
    sel: dict[str, str] = {}
    for row in ajuan.iter_rows(min_col=1, max_col=2):
        name = wanted.get(_label(row[0].value))
        if name is None or name in header:
            continue
        cell = row[1]
        sel[name] = f"{SHEET_AJUAN}!{cell.coordinate}"
        try:
            header[name] = _cell(cell.value, name)
        except _CellError as exc:
            header[name] = UNREADABLE
            problems.append(header_problem(name, sel[name], str(exc)))
    for name in HEADER_ORDER:
        if name not in header:
            problems.append(Problem(f"{SHEET_AJUAN}!A", f"isian '{HEADER_LABELS[name]}' tidak ditemukan di kolom A"))
            header[name] = UNREADABLE

    sheet = wb[SHEET_RINCIAN]
    columns: dict[str, int] = {}
    titles = {_label(LINE_LABELS[n]): n for n in LINE_ORDER}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        name = titles.get(_label(cell.value))
        if name is not None and name not in columns:
            columns[name] = cell.column
    lost = [LINE_LABELS[n] for n in LINE_ORDER if n not in columns]
    if lost:
        problems.append(Problem(f"{SHEET_RINCIAN}!1", f"kolom {', '.join(lost)} tidak ditemukan di baris judul"))
    lines: list[RincianDraft] = []
    for row in sheet.iter_rows(min_row=2):
        cells = {name: row[col - 1] for name, col in columns.items() if col - 1 < len(row)}
        # A row with nothing but its No (pre-numbered rows) is an empty row.
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip())
               for name, c in cells.items() if name != "no"):
            continue
        baris = row[0].row
        values: dict[str, Any] = {}
        where: dict[str, str] = {}
        for name, c in cells.items():
            where[name] = f"{SHEET_RINCIAN}!{c.coordinate}"
            try:
                values[name] = _cell(c.value, name)
            except _CellError as exc:
                values[name] = UNREADABLE
                problems.append(line_problem(baris, name, where[name], str(exc)))
        for name in LINE_ORDER:
            values.setdefault(name, UNREADABLE)
        lines.append(RincianDraft(baris, values, where))
    return SpjDraft(header=header, rincian=lines, sel=sel, problems=problems)


# --- storing ---------------------------------------------------------------------------------------

def attachment_name(lampiran: Lampiran) -> str:
    """The stored (and mailed) name of an attachment says its kind: four different statements all
    uploaded as 'scan.pdf' must not reach the PPK or BPKAD as four 'scan.pdf'."""
    kind = lampiran.jenis.replace("/", "-")
    stem = Path(lampiran.nama_berkas).stem
    if stem.casefold().replace("-", " ").replace("_", " ") == kind.casefold().replace("-", " "):
        return lampiran.nama_berkas
    return f"{kind} - {lampiran.nama_berkas}"


@dataclass(frozen=True)
class Submitted:
    bundle: SpjBundle
    spj: Spj

    @property
    def message(self) -> str:
        b = self.bundle
        return (f"SPJ {b.id} diajukan: SPP-{b.jenis_spp} {b.tahun_anggaran}, {len(self.spj.rincian)} baris rincian, "
                f"total {format_rupiah(b.total)}")


def _lock_receipts(session: Session, tahun: int, email: str) -> None:
    """Serialise submissions of one BPP and year on PostgreSQL, so two bundles sent at the same
    moment cannot both pass the duplicate-receipt check (SQLite's BEGIN IMMEDIATE does this)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"spj:{tahun}:{email}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _used_receipts(session: Session, spj: Spj, draft: SpjDraft) -> list[Problem]:
    by_key = {line.nomor_bukti.casefold(): line for line in spj.rincian}
    if not by_key:
        return []
    rows = session.execute(
        select(func.lower(SpjLine.nomor_bukti), SpjBundle.id)
        .join(SpjBundle, SpjLine.bundle_id == SpjBundle.id)
        .where(SpjBundle.tahun_anggaran == spj.tahun_anggaran, SpjBundle.bendahara_email == spj.bendahara_email,
               SpjBundle.status.not_in(FREED_STATUSES), func.lower(SpjLine.nomor_bukti).in_(list(by_key)))
        .order_by(SpjBundle.id)
    ).all()
    drafts = {d.baris: d for d in draft.rincian}
    problems: list[Problem] = []
    for key, bundle_id in rows:
        line = by_key.pop(key, None)
        if line is None:
            continue
        cell = drafts[line.baris].sel.get("nomor_bukti") if line.baris in drafts else None
        problems.append(line_problem(line.baris, "nomor_bukti", cell,
                                     f"nomor bukti '{line.nomor_bukti}' sudah diajukan dalam SPJ {bundle_id} "
                                     f"Tahun Anggaran {spj.tahun_anggaran}"))
    return problems


def _authorise(office: Office, draft: SpjDraft, by: str, today: dt.date) -> tuple[SpjDraft, str | None]:
    """The draft with Email BPP filled in, and on whose behalf `by` acts; ActionRefused if they may not."""
    by = by.strip().lower()
    staff = office.staff
    raw = draft.header.get("email_bpp")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        draft = SpjDraft({**draft.header, "email_bpp": by}, draft.rincian, draft.sel, draft.problems)
        raw = by
    if not isinstance(raw, str):
        return draft, None  # validation names the cell
    bpp = staff.by_email(raw)
    if bpp is None or "bpp" not in bpp.roles:
        raise ActionRefused(f"{raw.strip()} bukan Bendahara Pengeluaran Pembantu (BPP) di staff.yaml; "
                            "SPJ hanya dapat diajukan untuk seorang BPP")
    acting_for = staff.may_act_for(by, [bpp.email], today)
    if acting_for is None:
        raise ActionRefused(f"{by} tidak dapat mengajukan SPJ atas nama {bpp.email}: hanya BPP tersebut "
                            "atau Plh/Plt-nya yang sedang berlaku")
    return draft, (bpp.email if by != bpp.email else None)


def submit(session: Session, office: Office, bundle: SpjDraft, attachments: Sequence[Lampiran], by: str,
           source: str, *, config: SppConfig, documents_dir: Path, now: dt.datetime | None = None) -> Submitted:
    """Validate `bundle` fully, then store it (status "diajukan") with its lines and attachments and
    an audit entry, in the caller's transaction. Raises SpjRejected (every problem) or ActionRefused
    (the submitter may not submit for this BPP) before writing anything."""
    now = now or utcnow()
    office = effective(session, office)
    draft, on_behalf_of = _authorise(office, bundle, by, now.astimezone(JAKARTA).date())
    koreksi_mode = config.lampiran_kurang == "koreksi"
    spj = validate(draft, attachments, config, require_attachments=not koreksi_mode)
    _lock_receipts(session, spj.tahun_anggaran, spj.bendahara_email)
    used = _used_receipts(session, spj, draft)
    if used:
        raise SpjRejected(used)

    row = SpjBundle(jenis_spp=spj.jenis_spp, tahun_anggaran=spj.tahun_anggaran, bendahara_email=spj.bendahara_email,
                    sub_kegiatan=spj.sub_kegiatan, uraian=spj.uraian, total=spj.total, status="diajukan",
                    submitted_by=by.strip().lower(), submitted_at=now,
                    koreksi=[{"dokumen": p.tempat, "masalah": p.masalah} for p in spj.kekurangan])
    session.add(row)
    session.flush()
    for line in spj.rincian:
        session.add(SpjLine(bundle_id=row.id, no=line.no, tanggal=line.tanggal, nomor_bukti=line.nomor_bukti,
                            kode_rekening=line.kode_rekening, uraian=line.uraian, jumlah=line.jumlah,
                            penerima=line.penerima, ppn=line.ppn, pph=line.pph))
    run_id = f"spj-{row.id}"
    for lampiran in spj.lampiran:
        doc = documents.register(session, documents_dir, dag_id=DAG_ID, run_id=run_id, name=attachment_name(lampiran),
                                 data=lampiran.data, jenis="lampiran_spj", created_by=by.strip().lower())
        session.add(SpjAttachment(bundle_id=row.id, jenis=lampiran.jenis, document_id=doc.id))
    audit.record(session, actor=by.strip().lower(), action="spj_diajukan", source=source, dag_id=DAG_ID,
                 run_id=run_id, on_behalf_of=on_behalf_of,
                 detail={"bundle_id": row.id, "jenis_spp": spj.jenis_spp, "tahun_anggaran": spj.tahun_anggaran,
                         "total": str(spj.total), "baris": len(spj.rincian),
                         "lampiran": [a.jenis for a in spj.lampiran], "koreksi": row.koreksi})
    session.flush()
    return Submitted(row, spj)


def add_attachments(session: Session, office: Office, bundle_id: int, attachments: Sequence[Lampiran], by: str,
                    source: str, *, config: SppConfig, documents_dir: Path, now: dt.datetime | None = None
                    ) -> SpjBundle:
    """The BPP completes a bundle sent back with a Form Koreksi Ajuan: the documents are checked
    and added (all or none); the bundle's next completeness check sees them."""
    from sopflow.domain.spj import check_attachments

    now = now or utcnow()
    office = effective(session, office)
    bundle = session.get(SpjBundle, int(bundle_id), with_for_update=True)
    if bundle is None:
        raise ActionRefused(f"SPJ {bundle_id} tidak ada")
    if bundle.status in ("ditandatangani", "dikirim"):
        raise ActionRefused(f"SPJ {bundle.id} berstatus {bundle.status}: lampirannya tidak dapat diubah lagi")
    by = by.strip().lower()
    acting_for = office.staff.may_act_for(by, [bundle.bendahara_email], now.astimezone(JAKARTA).date())
    if acting_for is None:
        raise ActionRefused(f"{by} bukan BPP SPJ {bundle.id} ({bundle.bendahara_email}) atau Plh/Plt-nya")
    accepted = check_attachments(attachments, config)
    run_id = f"spj-{bundle.id}"
    for lampiran in accepted:
        doc = documents.register(session, documents_dir, dag_id=DAG_ID, run_id=run_id, name=attachment_name(lampiran),
                                 data=lampiran.data, jenis="lampiran_spj", created_by=by)
        session.add(SpjAttachment(bundle_id=bundle.id, jenis=lampiran.jenis, document_id=doc.id))
    audit.record(session, actor=by, action="spj_dilengkapi", source=source, dag_id=DAG_ID, run_id=run_id,
                 on_behalf_of=None if acting_for == by else acting_for,
                 detail={"bundle_id": bundle.id, "lampiran": [a.jenis for a in accepted]})
    session.flush()
    session.refresh(bundle)
    return bundle
