"""The documents and registers of SOP VIII (payment requests) as files.

- `render_pdf(kind, data)`: one bundle document (kinds: `domain.spp_documents.DOCUMENT_KINDS`)
  from `include/templates/documents/spp/<kind>.html`; `render_html` gives the HTML.
- `transmittal_letter_pdf(tanggal, bundles, ...)`: the day's Surat Pengantar to BPKAD.
- `register_xlsx(bundles)`: the SPP/SPM register, one row per bundle.
- `bku_extract_xlsx(entries, saldo_awal=...)`: a Buku Kas Umum extract with running balance.

A document that lacks a number it prints (an SPM without its SPM number, say) is refused with a
ValueError before anything is rendered, as a missing template value is (StrictUndefined).

Amounts in the XLSX are numbers formatted `#,##0.00` so that they sum and sort. Excel keeps
numbers as binary doubles, exact to 15 significant digits: every amount below 10 trillion rupiah
(with sen) reads back as the same Decimal via `Decimal(str(value))`; a larger one is refused
rather than written inexactly.

Kept lean for batches of thousands: one Jinja environment (`render.templates`), WeasyPrint
imported once on first use, openpyxl styles built once per workbook.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any, Iterable, Sequence

from sopflow.domain.spp_documents import (
    DOCUMENT_KINDS, BkuEntry, BundleData, Official, Transmittal, bku_rows,
)
from sopflow.render.templates import render

KINDS = tuple(DOCUMENT_KINDS)
TEMPLATE_DIR = "documents/spp"
RUPIAH_FORMAT = "#,##0.00"
SALDO_FORMAT = "#,##0.00;-#,##0.00"
DATE_FORMAT = "DD-MM-YYYY"
EXACT_LIMIT = Decimal("10000000000000")  # 10**13 rupiah: 13 + 2 digits fit a double exactly

REGISTER_HEADERS = [
    ("No", 6), ("Tanggal", 12), ("Nomor SPP", 28), ("Nomor SPM", 28), ("Jenis", 8), ("Uraian", 50),
    ("Jumlah (Rp)", 20), ("Nomor BKU", 22), ("Status", 20),
]
BKU_HEADERS = [
    ("Tanggal", 12), ("Nomor BKU", 22), ("Uraian", 56), ("Penerimaan (Rp)", 20), ("Pengeluaran (Rp)", 20),
    ("Saldo (Rp)", 20),
]


def _check_kind(kind: str) -> None:
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {kind!r}; one of {', '.join(KINDS)}")


def render_html(kind: str, data: BundleData) -> str:
    """The HTML of document `kind` for bundle `data`."""
    _check_kind(kind)
    if not isinstance(data, BundleData):
        raise TypeError(f"render_html takes a BundleData, not {type(data).__name__}")
    missing = data.missing_numbers(kind)
    if missing:
        raise ValueError(f"{DOCUMENT_KINDS[kind]} cannot be printed without {', '.join(missing)}"
                         f" (bundle {data.kode or data.uraian!r})")
    if kind == "form_koreksi_ajuan" and not data.findings:
        raise ValueError(f"a Form Koreksi Ajuan needs at least one finding (bundle {data.kode or data.uraian!r})")
    return render(f"{TEMPLATE_DIR}/{kind}.html", b=data)


def render_pdf(kind: str, data: BundleData) -> bytes:
    """The PDF of document `kind` for bundle `data`."""
    from sopflow.render.pdf import html_to_pdf

    return html_to_pdf(render_html(kind, data))


def file_name(kind: str, data: BundleData) -> str:
    """A file name for the document, e.g. 'SPM-GU_0007-BKU-BP-2027.pdf' (from the bundle's BKU
    number, else its reference): safe on every file system and unique per bundle and kind."""
    _check_kind(kind)
    label = {"spp": "SPP", "spm": "SPM", "rekap_spm": "Rekap-SPM", "sptjm_spp": "SPTJM-SPP",
             "sptjm_spm": "SPTJM-SPM", "pengesahan_spj": "Pengesahan-SPJ", "nota_dinas_spm": "Nota-Dinas-SPM",
             "suket_pencairan": "Suket-Pencairan", "form_koreksi_ajuan": "Form-Koreksi-Ajuan"}[kind]
    key = data.nomor_bku or data.kode or f"{data.tahun_anggaran}-{data.tanggal.isoformat()}"
    safe = "".join(c if c.isalnum() or c in "-." else "-" for c in key).strip("-")
    return f"{label}-{data.jenis_spp}_{safe}.pdf"


# --- the Surat Pengantar ---------------------------------------------------------------------------

def transmittal(tanggal: dt.date, bundles: Sequence[BundleData], *, nomor: str | None = None,
                penandatangan: Official | None = None, peran: str | None = None,
                kepada: str | None = None) -> Transmittal:
    """The day's transmittal. By default it is signed by whoever signs the first bundle's SPM
    (the PA, or the KPA), as the one sending the SPM papers to BPKAD; a given `penandatangan`
    needs its `peran` (the role printed above the signature)."""
    bundles = tuple(bundles)
    if not bundles:
        raise ValueError("a transmittal needs at least one bundle: a day without SPM sends no letter")
    if (penandatangan is None) != (peran is None):
        raise ValueError("give penandatangan and peran together (or neither, for the SPM's signer)")
    if penandatangan is None:
        penandatangan, peran = bundles[0].signatories.pengguna, bundles[0].signatories.pengguna_peran
    extra: dict[str, Any] = {"kepada": kepada} if kepada else {}
    return Transmittal(tanggal=tanggal, bundles=bundles, nomor=nomor, penandatangan=penandatangan, peran=peran,
                       **extra)


def transmittal_letter_html(tanggal: dt.date, bundles: Sequence[BundleData], **kwargs: Any) -> str:
    return render(f"{TEMPLATE_DIR}/surat_pengantar.html", t=transmittal(tanggal, bundles, **kwargs))


def transmittal_letter_pdf(tanggal: dt.date, bundles: Sequence[BundleData], **kwargs: Any) -> bytes:
    """The Surat Pengantar to BPKAD listing `bundles` (all with SPM numbers) and their total.
    Keywords: nomor (the letter's number; blank to fill by hand if None), penandatangan and
    peran (the signer and the role printed), kepada (the addressee)."""
    from sopflow.render.pdf import html_to_pdf

    return html_to_pdf(transmittal_letter_html(tanggal, bundles, **kwargs))


# --- XLSX ------------------------------------------------------------------------------------------

def _exact(value: Decimal, what: str) -> Decimal:
    if abs(value) >= EXACT_LIMIT:
        raise ValueError(f"{what} {value} is too large to be stored exactly in a spreadsheet cell")
    return value


def _sheet(wb: Any, title: str, headers: list[tuple[str, int]]) -> Any:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.active
    ws.title = title
    ws.append([h for h, _ in headers])
    bold, fill, wrap = Font(bold=True), PatternFill("solid", fgColor="E8E8E8"), Alignment(wrap_text=True, vertical="top")
    for i, (_, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _save(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def register_xlsx(bundles: Iterable[BundleData], *, title: str = "Register SPP-SPM") -> bytes:
    """The SPP/SPM register: one row per bundle, in the given order."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = _sheet(wb, title[:31], REGISTER_HEADERS)
    for no, b in enumerate(bundles, start=1):
        ws.append([no, b.tanggal, b.nomor_spp, b.nomor_spm, b.jenis_spp, b.uraian, _exact(b.total, "jumlah"),
                   b.nomor_bku, b.status])
        row = ws.max_row
        ws.cell(row=row, column=2).number_format = DATE_FORMAT
        ws.cell(row=row, column=7).number_format = RUPIAH_FORMAT
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions
    return _save(wb)


def bku_extract_xlsx(entries: Iterable[BkuEntry], *, saldo_awal: Decimal = Decimal("0.00"),
                     title: str = "Buku Kas Umum") -> bytes:
    """A BKU extract: a 'Saldo awal' row, then one row per entry with the running balance."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = _sheet(wb, title[:31], BKU_HEADERS)
    rows = bku_rows(entries, saldo_awal)
    ws.append([None, None, "Saldo awal", None, None, _exact(Decimal(saldo_awal).quantize(Decimal("0.01")), "saldo awal")])
    ws.cell(row=2, column=6).number_format = SALDO_FORMAT
    for r in rows:
        e = r.entry
        ws.append([e.tanggal, e.nomor_bku, e.uraian, _exact(e.penerimaan, "penerimaan"),
                   _exact(e.pengeluaran, "pengeluaran"), _exact(r.saldo, "saldo")])
        row = ws.max_row
        ws.cell(row=row, column=1).number_format = DATE_FORMAT
        for column in (4, 5):
            ws.cell(row=row, column=column).number_format = RUPIAH_FORMAT
        ws.cell(row=row, column=6).number_format = SALDO_FORMAT
    return _save(wb)
