"""The compliance report as files: HTML (template `reports/compliance.html`), PDF (WeasyPrint),
XLSX (openpyxl: one sheet per breakdown plus a sheet of every finished step) and PNG charts
(matplotlib, Agg canvas, imported inside the functions: it takes a while to load).

The figures come from `sopflow.domain.compliance`; nothing is computed here except formatting.
Numbers are written the Indonesian way in HTML and PDF ("1.930", "55,6%"); the XLSX holds raw
numbers (shares as fractions formatted as percentages) so that they can be sorted and summed.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from sopflow.domain.compliance import JAKARTA, TANPA_STANDAR, ComplianceReport, StepResult, Summary
from sopflow.render.templates import render

FORMATS = ("html", "pdf", "xlsx")
TEMPLATE = "reports/compliance.html"
REPORT_NAME = "Laporan Kepatuhan SOP"

STATUS = {"done": "selesai", "approved": "disetujui", "revised": "dikembalikan (TIDAK)"}

DEFINITIONS = [
    "Langkah selesai: satu putaran satu langkah (per Bagian bila langkahnya per Bagian) berstatus selesai, "
    "disetujui, atau dikembalikan untuk revisi (koreksi TIDAK), menurut tanggal selesainya (WIB). Langkah yang "
    "dilewati, masih terbuka, dan langkah otomatis (dikerjakan sistem) tidak dihitung.",
    "Waktu aktual: menit kerja dari langkah dibuka sampai selesai, hanya jam kerja pada hari kerja "
    "(kalender kerja: hari libur nasional dan cuti bersama tidak dihitung).",
    "Standar: mutu baku waktu SOP dalam menit kerja. Untuk langkah dengan batas hari kerja, standarnya adalah "
    "menit kerja dari langkah dibuka sampai akhir jam kerja hari kerja ke-n. Langkah tanpa mutu baku dilaporkan "
    "sebagai \"tanpa standar\" dan tidak masuk perhitungan persentase.",
    "Kelebihan = waktu aktual - standar. Langkah sesuai standar bila kelebihannya 0 atau kurang.",
    "% sesuai standar = langkah sesuai standar / langkah yang memiliki standar.",
    "Median kelebihan dan kelebihan terbesar dihitung dari langkah yang melampaui standar saja.",
    "Putaran revisi: langkah yang dikerjakan ulang karena keputusan TIDAK pada koreksi.",
    "Langkah penghambat: langkah SOP dengan jumlah kelebihan waktu terbesar selama periode.",
]


# --- formatting ----------------------------------------------------------------------------------

def angka(value: float | int | None) -> str:
    """1930 -> '1.930', 17.5 -> '17,5', None -> '-'."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return format_decimal(int(value), "#,##0", locale="id")
    return format_decimal(value, "#,##0.0", locale="id")


def persen(share: float | None) -> str:
    """0.5556 -> '55,6%', None -> '-'."""
    if share is None:
        return "-"
    return format_decimal(share * 100, "#,##0.0", locale="id") + "%"


def tanggal_panjang(day: dt.date) -> str:
    return format_date(day, "d MMMM y", locale="id")


def period_text(report: ComplianceReport) -> str:
    span = f"{tanggal_panjang(report.start)} s.d. {tanggal_panjang(report.end)}"
    return f"{report.title} ({span})" if report.title else span


def file_stem(report: ComplianceReport) -> str:
    return f"laporan_kepatuhan_{report.start.isoformat()}_{report.end.isoformat()}"


def summary_row(s: Summary) -> dict[str, str]:
    return dict(
        label=s.label, sub=s.sub, steps=angka(s.steps), with_standard=angka(s.with_standard), within=angka(s.within),
        over=angka(s.over), without_standard=angka(s.without_standard),
        share=persen(s.within_share) if s.with_standard else TANPA_STANDAR,
        median=angka(s.median_overrun), worst=angka(s.worst_overrun), overrun_total=angka(s.overrun_total),
        revisions=angka(s.revisions), max_round=angka(s.max_round),
    )


def _local(t: dt.datetime) -> dt.datetime:
    return t.astimezone(JAKARTA)


def _step_row(r: StepResult) -> dict[str, str]:
    return dict(
        sop_id=r.sop_id, periode=r.periode or "-", run_id=r.run_id, step_no=str(r.step_no), uraian=r.uraian,
        role=r.role_nama, bagian=r.bagian, round=str(r.round), status=STATUS.get(r.status, r.status),
        opened=_local(r.opened_at).strftime("%d-%m-%Y %H.%M"), closed=_local(r.closed_at).strftime("%d-%m-%Y %H.%M"),
        actual=angka(r.actual_minutes), standard=angka(r.standard_minutes) if r.has_standard else TANPA_STANDAR,
        basis=r.standard_basis, overrun=angka(r.overrun_minutes) if r.has_standard else "-", verdict=r.verdict,
        rework="ya" if r.rework else "",
    )


# --- charts --------------------------------------------------------------------------------------

def _barh(labels: list[str], values: list[float], *, title: str, xlabel: str, percent: bool = False,
          color: str = "#2f6f9f") -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = 1.2 + 0.42 * len(labels)
    fig = Figure(figsize=(8.0, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    positions = list(range(len(labels)))[::-1]
    bars = ax.barh(positions, values, color=color, height=0.6)
    ax.set_yticks(positions)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    if percent:
        ax.set_xlim(0, 100)
    top = max(values, default=0) or 1
    for bar, value in zip(bars, values):
        text = (format_decimal(value, "#,##0.0", locale="id") + "%") if percent else angka(value)
        ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=7)
    if not percent:
        ax.set_xlim(0, top * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def charts(report: ComplianceReport) -> dict[str, bytes]:
    """PNG charts by name: 'sop' (share within standard per SOP), 'penghambat' (overrun of the
    bottleneck steps), 'triwulan' (share per quarter, when the period spans more than one)."""
    result: dict[str, bytes] = {}
    timed = [s for s in report.by_sop if s.with_standard]
    if timed:
        result["sop"] = _barh([f"{s.sub}" for s in timed], [s.within_share * 100 for s in timed],
                              title="Persentase langkah sesuai standar per SOP", xlabel="% sesuai standar",
                              percent=True)
    if report.bottlenecks:
        result["penghambat"] = _barh(
            [_short(f"{b.sop_id} L{b.step_no}: {b.uraian}") for b in report.bottlenecks],
            [b.overrun_total for b in report.bottlenecks],
            title="Langkah penghambat: jumlah kelebihan waktu", xlabel="menit kerja", color="#b5482f")
    quarters = [s for s in report.by_quarter if s.with_standard]
    if len(quarters) > 1:
        result["triwulan"] = _barh([s.label for s in quarters], [s.within_share * 100 for s in quarters],
                                   title="Persentase langkah sesuai standar per triwulan", xlabel="% sesuai standar",
                                   percent=True, color="#4f8f4f")
    return result


# --- HTML and PDF --------------------------------------------------------------------------------

def render_html(report: ComplianceReport, *, with_charts: bool = True) -> str:
    images = charts(report) if with_charts else {}
    return render(
        TEMPLATE,
        report=report,
        periode=period_text(report),
        total=summary_row(report.total),
        by_run=[summary_row(s) for s in report.by_run],
        by_sop=[summary_row(s) for s in report.by_sop],
        by_role=[summary_row(s) for s in report.by_role],
        by_quarter=[summary_row(s) for s in report.by_quarter],
        bottlenecks=[dict(rank=b.rank, sop_id=b.sop_id, step_no=b.step_no, uraian=b.uraian, role=b.role_nama,
                          instances=angka(b.instances), over=angka(b.over), share=persen(b.within_share),
                          overrun_total=angka(b.overrun_total), median=angka(b.median_overrun),
                          worst=angka(b.worst_overrun), revisions=angka(b.revisions))
                     for b in report.bottlenecks],
        steps=[_step_row(r) for r in report.steps],
        charts={name: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for name, png in images.items()},
        definitions=DEFINITIONS,
        auto_excluded=report.auto_excluded,
        generated_at=report.generated_at,
    )


def render_pdf(report: ComplianceReport) -> bytes:
    from sopflow.render.pdf import html_to_pdf

    return html_to_pdf(render_html(report))


# --- XLSX ----------------------------------------------------------------------------------------

SUMMARY_HEADERS = [
    ("Kelompok", 44), ("Keterangan", 30), ("Langkah selesai", 10), ("Dengan standar", 10), ("Sesuai standar", 10),
    ("Melampaui standar", 10), ("Tanpa standar", 10), ("% sesuai standar", 11), ("Median kelebihan (menit)", 12),
    ("Kelebihan terbesar (menit)", 12), ("Jumlah kelebihan (menit)", 12), ("Putaran revisi", 10),
    ("Putaran terbanyak", 10),
]
STEP_HEADERS = [
    ("SOP", 20), ("Nama SOP", 40), ("Periode", 16), ("Pelaksanaan (run)", 34), ("Langkah", 8), ("ID langkah", 24),
    ("Uraian", 50), ("Jenis", 9), ("Peran", 30), ("Bagian", 18), ("Putaran", 8), ("Status", 10),
    ("Revisi", 8), ("Dibuka (WIB)", 17), ("Selesai (WIB)", 17), ("Waktu aktual (menit kerja)", 12),
    ("Standar (menit kerja)", 12), ("Dasar standar", 18), ("Kelebihan (menit)", 11), ("Kepatuhan", 18),
    ("Triwulan", 16), ("ID tugas", 9),
]
BOTTLENECK_HEADERS = [
    ("Peringkat", 9), ("SOP", 20), ("Nama SOP", 40), ("Langkah", 8), ("ID langkah", 24), ("Uraian", 50),
    ("Peran", 30), ("Langkah selesai", 10), ("Melampaui standar", 10), ("% sesuai standar", 11),
    ("Jumlah kelebihan (menit)", 12), ("Median kelebihan (menit)", 12), ("Kelebihan terbesar (menit)", 12),
    ("Putaran revisi", 10),
]
SHEETS = {  # sheet title -> (report attribute, first column heading)
    "Per Pelaksanaan": ("by_run", "Pelaksanaan SOP"),
    "Per SOP": ("by_sop", "SOP"),
    "Per Peran": ("by_role", "Peran (pelaksana)"),
    "Per Triwulan": ("by_quarter", "Triwulan"),
}


def _naive_local(t: dt.datetime) -> dt.datetime:
    """Excel has no time zones: the Asia/Jakarta wall time, without tzinfo."""
    return _local(t).replace(tzinfo=None, microsecond=0)


def _header(ws: Any, headers: list[tuple[str, int]]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([h for h, _ in headers])
    for i, (_, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8E8E8")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def _summary_values(s: Summary) -> list[Any]:
    return [s.label, s.sub or None, s.steps, s.with_standard, s.within, s.over, s.without_standard,
            s.within_share if s.with_standard else TANPA_STANDAR, s.median_overrun, s.worst_overrun,
            s.overrun_total, s.revisions, s.max_round]


def _percent_column(ws: Any, column: int) -> None:
    for row in ws.iter_rows(min_row=2, min_col=column, max_col=column):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.0%"


def render_xlsx(report: ComplianceReport, *, with_charts: bool = True) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    ws.append([f"{REPORT_NAME}: kepatuhan waktu pelaksanaan terhadap mutu baku"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["Periode", period_text(report)])
    ws.append(["Dari tanggal", report.start])
    ws.append(["Sampai tanggal", report.end])
    ws.append(["Dibuat", _naive_local(report.generated_at)])
    ws["B3"].number_format = ws["B4"].number_format = "DD-MM-YYYY"
    ws["B5"].number_format = "DD-MM-YYYY HH:MM"
    ws.append([])
    t = report.total
    rows = [
        ("Langkah selesai", t.steps), ("Langkah dengan standar", t.with_standard), ("Sesuai standar", t.within),
        ("Melampaui standar", t.over), ("Tanpa standar", t.without_standard),
        ("% sesuai standar", t.within_share if t.with_standard else TANPA_STANDAR),
        ("Median kelebihan (menit)", t.median_overrun), ("Kelebihan terbesar (menit)", t.worst_overrun),
        ("Jumlah kelebihan (menit)", t.overrun_total), ("Putaran revisi", t.revisions),
        ("Langkah otomatis (tidak dihitung)", report.auto_excluded),
    ]
    for label, value in rows:
        ws.append([label, value])
        if isinstance(value, float) and label.startswith("%"):
            ws.cell(row=ws.max_row, column=2).number_format = "0.0%"
    ws.append([])
    ws.append(["Cara menghitung"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    for text in DEFINITIONS:
        ws.append([text])
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 44

    for title, (attribute, first) in SHEETS.items():
        sheet = wb.create_sheet(title)
        _header(sheet, [(first, SUMMARY_HEADERS[0][1]), *SUMMARY_HEADERS[1:]])
        for s in getattr(report, attribute):
            sheet.append(_summary_values(s))
        _percent_column(sheet, 8)

    sheet = wb.create_sheet("Langkah Penghambat")
    _header(sheet, BOTTLENECK_HEADERS)
    for b in report.bottlenecks:
        sheet.append([b.rank, b.sop_id, b.sop_nama, b.step_no, b.step_id, b.uraian, b.role_nama, b.instances, b.over,
                      b.within_share, b.overrun_total, b.median_overrun, b.worst_overrun, b.revisions])
    _percent_column(sheet, 10)

    sheet = wb.create_sheet("Semua Langkah")
    _header(sheet, STEP_HEADERS)
    for r in report.steps:
        sheet.append([
            r.sop_id, r.sop_nama, r.periode, r.run_id, r.step_no, r.step_id, r.uraian, r.kind, r.role_nama, r.bagian,
            r.round, STATUS.get(r.status, r.status), "ya" if r.rework else "", _naive_local(r.opened_at), _naive_local(r.closed_at),
            r.actual_minutes, r.standard_minutes if r.has_standard else TANPA_STANDAR, r.standard_basis,
            r.overrun_minutes, r.verdict, r.quarter_label, r.instance_id,
        ])
        for column in (14, 15):
            sheet.cell(row=sheet.max_row, column=column).number_format = "DD-MM-YYYY HH:MM"
    sheet.auto_filter.ref = sheet.dimensions

    if with_charts:
        images = charts(report)
        if images:
            from openpyxl.drawing.image import Image

            sheet = wb.create_sheet("Grafik")
            row = 1
            for name, png in images.items():
                image = Image(io.BytesIO(png))
                sheet.add_image(image, f"A{row}")
                row += int(image.height / 20) + 2

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render_report(report: ComplianceReport, fmt: str) -> bytes:
    """The report as `fmt` (html, pdf or xlsx), as bytes."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
