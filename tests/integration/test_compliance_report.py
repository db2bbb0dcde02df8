"""The compliance report on a seeded history, on SQLite and PostgreSQL: `sopflow report compliance`
run as a subprocess writes the PDF (pdftotext finds the figures), the XLSX (openpyxl reads the
right cells) and the HTML; the quarterly task's logic queues one mail to the Kabag with the PDF and
XLSX attached, and the SMTP sink receives it.

The history is opened and acted on through the domain (`steps.open_step`, `complete`, `revise`,
`approve` with explicit times), as the DAGs and the CLI would. Office hours of config/calendar.yaml:
Mon-Thu 07:30-16:00, Fri 07:30-16:30 WIB; the week of Mon 2 Feb 2026 has no holiday.

Hand computation (working minutes; standard from config/sops/02_renja.yaml):
  SOP II Renja, run "Tahun 2027":
    1 s01 Sekda      Mon 2 Feb 08:00-08:10            10 vs  15  -> -5    sesuai
    2 s02 Kabag      Mon 08:10-09:00                  50 vs  30  -> +20   melampaui
    3 s03 Perencana  Mon 09:00-09:20                  20 vs  30  -> -10   sesuai
    4 s04 Tim        Mon 09:20 - Wed 4 Feb 10:00      400 + 510 + 150 = 1060
                     vs 3 hari kerja = until Thu 5 Feb 16:00 = 400 + 510 + 510 + 510 = 1930 -> -870 sesuai
    5 s05 r1 Perenc. Wed 10:00 - Thu 10:00            360 + 150 = 510 vs 420 -> +90 melampaui
    6 s06 r1 Kabag   Thu 10:00-11:00, TIDAK           60 vs 120  -> -60   sesuai
    7 s05 r2 Perenc. Thu 11:00 - Fri 6 Feb 08:30      300 + 60 = 360 vs 420 -> -60 sesuai (revision round)
    8 s06 r2 Kabag   Fri 08:30-13:30, IYA             300 vs 120 -> +180  melampaui
    9 s07 Sekda      Fri 13:30 - Mon 9 Feb 08:00      180 + 30 = 210 vs 60 -> +150 melampaui
    -> 9 with a standard, 5 within: 5/9 = 55,6 %; overruns 20 90 150 180: median (90 + 150) / 2 = 120,
       worst 180, sum 440; 1 revision round.
  SOP VIII SPP (no waktu_menit anywhere): s01 Tue 3 Feb 09:00-10:00 (60) and s02 10:00-11:30 (90):
    2 steps "tanpa standar"; s03 closed Wed 1 Apr 2026: outside Triwulan I, inside Triwulan II.
  Triwulan I 2026: 11 steps, 9 with a standard, 5 within (55,6 %), median 120, worst 180.
  Per role: Sekda s01 s07 -> 1/2 = 50,0 %; Kabag s02 s06 s06 -> 1/3 = 33,3 %, median (20 + 180) / 2 = 100;
    Perencana s03 s05 s05 -> 2/3 = 66,7 %, revision 1; Tim s04 -> 100,0 %; BPP: tanpa standar.
  Bottlenecks: s06 (180), s07 (150), s05 (90), s02 (20).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from sopflow.domain import steps
from sopflow.domain.office import load_office
from sopflow.mail import send_pending
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import Document, OutboxMessage, StepInstance

WIB = ZoneInfo("Asia/Jakarta")
SOPFLOW = Path(sys.executable).parent / "sopflow"

SEKDA = "bambang.kusumawardana@example.org"
KABAG = "retno.wulandarsih@example.org"
PERENCANA = "agus.nugrahanto@example.org"
TIM = "fajar.hidayatullah@example.org"
BPP = "lilis.suryaningsih@example.org"
PETUGAS_ADMINISTRASI = "rina.dewanti@example.org"
RENJA_RUN = "scheduled__2026-01-02T02:00:00+00:00"
SPP_RUN = "spj-1"  # SOP VIII: the domain run of SPJ bundle 1

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
                                     reason="pdftotext (poppler-utils) is not installed")


def at(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=WIB)


class Run:
    def __init__(self, sop_id: str, run_id: str, periode: str):
        self.office = load_office(get_settings().config_dir)
        self.sop = self.office.sop(sop_id)
        self.run_id = run_id
        with session_scope() as s:
            steps.ensure_run(s, sop=self.sop, dag_id=sop_id, run_id=run_id, periode=periode, params={})

    def open(self, step_id: str, now: dt.datetime) -> int:
        with session_scope() as s:
            [inst] = steps.open_step(s, self.office, self.sop, self.sop.step(step_id), dag_id=self.sop.id,
                                     run_id=self.run_id, now=now)
            return inst.id

    def done(self, inst_id: int, actor: str, now: dt.datetime) -> list[int]:
        with session_scope() as s:
            outcome = steps.complete(s, self.office, inst_id, actor=actor, now=now,
                                     documents_dir=get_settings().documents_dir)
            return [i.id for i in outcome.opened]

    def approve(self, inst_id: int, actor: str, now: dt.datetime) -> None:
        with session_scope() as s:
            steps.approve(s, self.office, inst_id, actor=actor, now=now)

    def revise(self, inst_id: int, actor: str, note: str, now: dt.datetime) -> list[int]:
        with session_scope() as s:
            return [i.id for i in steps.revise(s, self.office, inst_id, actor=actor, note=note, now=now).opened]


def _submit_spj() -> None:
    import tempfile

    from sopflow.domain.spj_intake import read_xlsx, write_template
    from tests.integration.test_spj_intake import CONFIG, do_submit, fill

    with tempfile.TemporaryDirectory() as tmp:
        template = write_template(Path(tmp) / "templat.xlsx", CONFIG)
        assert do_submit(read_xlsx(fill(template)), now=at(2026, 2, 3, 8, 30)) == 1


def seed() -> None:
    renja = Run("sop02_renja", RENJA_RUN, "Tahun 2027")
    renja.done(renja.open("s01_tugaskan_kabag", at(2026, 2, 2, 8)), SEKDA, at(2026, 2, 2, 8, 10))
    renja.done(renja.open("s02_tugaskan_perencana", at(2026, 2, 2, 8, 10)), KABAG, at(2026, 2, 2, 9))
    renja.done(renja.open("s03_arahkan_tim", at(2026, 2, 2, 9)), PERENCANA, at(2026, 2, 2, 9, 20))
    renja.done(renja.open("s04_serahkan_bahan", at(2026, 2, 2, 9, 20)), TIM, at(2026, 2, 4, 10))
    renja.done(renja.open("s05_buat_dokumen", at(2026, 2, 4, 10)), PERENCANA, at(2026, 2, 5, 10))
    review1 = renja.open("s06_koreksi_dokumen", at(2026, 2, 5, 10))
    [draft2] = renja.revise(review1, KABAG, "Target kinerja belum diisi", at(2026, 2, 5, 11))
    [review2] = renja.done(draft2, PERENCANA, at(2026, 2, 6, 8, 30))
    renja.approve(review2, KABAG, at(2026, 2, 6, 13, 30))
    renja.approve(renja.open("s07_sahkan_dokumen", at(2026, 2, 6, 13, 30)), SEKDA, at(2026, 2, 9, 8))

    _submit_spj()  # bundle 1, complete: step 4's automatic check lets it through to the Verifikator
    spp = Run("sop08_spp", SPP_RUN, "Tahun Anggaran 2026")
    spp.done(spp.open("s01_siapkan_spj", at(2026, 2, 3, 9)), BPP, at(2026, 2, 3, 10))
    spp.done(spp.open("s02_verifikasi_bukti", at(2026, 2, 3, 10)), BPP, at(2026, 2, 3, 11, 30))
    spp.done(spp.open("s03_register_spj", at(2026, 2, 3, 11, 30)), PETUGAS_ADMINISTRASI, at(2026, 4, 1, 9))
    spp.open("s04_periksa_kelengkapan", at(2026, 4, 1, 9))  # still open: not counted

    with session_scope() as s:  # the history is what the hand computation assumes
        rows = s.scalars(select(StepInstance).order_by(StepInstance.id)).all()
        assert [(r.sop_id[:5], r.step_no, r.round, r.status) for r in rows] == [
            ("sop02", 1, 1, "done"), ("sop02", 2, 1, "done"), ("sop02", 3, 1, "done"), ("sop02", 4, 1, "done"),
            ("sop02", 5, 1, "done"), ("sop02", 6, 1, "revised"), ("sop02", 5, 2, "done"), ("sop02", 6, 2, "approved"),
            ("sop02", 7, 1, "approved"), ("sop08", 1, 1, "done"), ("sop08", 2, 1, "done"), ("sop08", 3, 1, "done"),
            ("sop08", 4, 1, "open")]


def _report_command() -> list[str]:
    return [str(SOPFLOW)]


def report(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("SOPFLOW_SMTP_USER", None)
    env.pop("SOPFLOW_SMTP_PASSWORD", None)
    return subprocess.run([*_report_command(), "report", "compliance", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def assert_quarter_one_figures(text: str) -> None:
    """The figures of Triwulan I 2026 (see the hand computation above) in the PDF's text."""
    assert "LAPORAN KEPATUHAN WAKTU PELAKSANAAN SOP" in text
    assert "Triwulan I 2026" in text and "1 Januari 2026 s.d. 31 Maret 2026" in text
    summary = section(text, "1. Ringkasan", "2. Langkah penghambat")
    assert re.search(r"\b11\s+9\s+5\s+4\s+2\s+55,6%\s+120 menit\s+180 menit\s+1\b", summary), summary
    bottlenecks = section(text, "2. Langkah penghambat", "3. Per SOP")
    positions = [re.search(rf"\b{rank}\s+sop02_renja\s+{step}\s", bottlenecks) for rank, step in
                 ((1, 6), (2, 7), (3, 5), (4, 2))]
    assert all(positions), bottlenecks
    assert [m.start() for m in positions] == sorted(m.start() for m in positions)
    per_sop = section(text, "3. Per SOP", "4. Per peran")
    assert re.search(r"\b9\s+9\s+5\s+4\s+0\s+55,6%\s+120\s+180\s+440\s+1\b", per_sop), per_sop
    assert re.search(r"\b2\s+0\s+0\s+0\s+2\s+tanpa standar\s+-\s+-\s+0\s+0\b", per_sop), per_sop
    per_role = section(text, "4. Per peran", "5. Per triwulan")
    for figures in (r"2\s+2\s+1\s+1\s+0\s+50,0%\s+150\s+150",         # Sekda
                    r"3\s+3\s+1\s+2\s+0\s+33,3%\s+100\s+180",         # Kabag
                    r"3\s+3\s+2\s+1\s+0\s+66,7%\s+90\s+90\s+90\s+1",  # Perencana
                    r"1\s+1\s+1\s+0\s+0\s+100,0%\s+-\s+-"):           # Tim
        assert re.search(figures, per_role), (figures, per_role)
    details = section(text, "7. Rincian langkah selesai", "Cara menghitung")
    assert "1.060" in details and "1.930" in details and "-870" in details  # s04 against its 3 working days
    assert details.count("tanpa standar") >= 2
    assert "Mencatat/register dokumen SPJ" not in details  # closed in April


# --- the command --------------------------------------------------------------------------------------

@needs_pdftotext
def test_report_command_writes_pdf_xlsx_and_html(db_url, tmp_path):
    seed()

    result = report("--from", "2026-01-01", "--to", "2026-03-31", "--format", "pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = tmp_path / "laporan_kepatuhan_2026-01-01_2026-03-31.pdf"  # default name, current directory
    assert result.stdout.strip() == str(expected.resolve())
    assert_quarter_one_figures(pdf_text(expected.read_bytes(), tmp_path))

    out = tmp_path / "out" / "half-year.xlsx"
    result = report("--from", "2026-01-01", "--to", "2026-06-30", "--format", "xlsx", "--output", str(out),
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out.resolve())
    wb = load_workbook(out)
    assert wb.sheetnames[:7] == ["Ringkasan", "Per Pelaksanaan", "Per SOP", "Per Peran", "Per Triwulan",
                                 "Langkah Penghambat", "Semua Langkah"]
    ringkasan = {row[0]: row[1] for row in wb["Ringkasan"].iter_rows(values_only=True) if row and row[0]}
    assert ringkasan["Dari tanggal"].date() == dt.date(2026, 1, 1)
    assert ringkasan["Sampai tanggal"].date() == dt.date(2026, 6, 30)
    assert ringkasan["Langkah selesai"] == 12 and ringkasan["Tanpa standar"] == 3
    assert ringkasan["% sesuai standar"] == pytest.approx(5 / 9)

    per_sop = [row for row in wb["Per SOP"].iter_rows(values_only=True)]
    assert per_sop[0][:3] == ("SOP", "Keterangan", "Langkah selesai")
    renja, spp = per_sop[1], per_sop[2]
    assert renja[0] == "Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah"
    assert renja[1:] == ("sop02_renja", 9, 9, 5, 4, 0, pytest.approx(5 / 9), 120, 180, 440, 1, 2)
    assert spp[1:] == ("sop08_spp", 3, 0, 0, 0, 3, "tanpa standar", None, None, 0, 0, 1)
    assert wb["Per SOP"]["H2"].number_format == "0.0%"

    quarters = [row[:8] for row in wb["Per Triwulan"].iter_rows(min_row=2, values_only=True)]
    assert quarters == [("Triwulan I 2026", None, 11, 9, 5, 4, 2, pytest.approx(5 / 9)),
                        ("Triwulan II 2026", None, 1, 0, 0, 0, 1, "tanpa standar")]
    roles = {row[1]: row[2:8] for row in wb["Per Peran"].iter_rows(min_row=2, values_only=True)}
    assert roles["kabag"] == (3, 3, 1, 2, 0, pytest.approx(1 / 3))
    assert roles["perencana"][:5] == (3, 3, 2, 1, 0)

    bottlenecks = [(row[0], row[1], row[3], row[10]) for row in wb["Langkah Penghambat"].iter_rows(min_row=2, values_only=True)]
    assert bottlenecks == [(1, "sop02_renja", 6, 180), (2, "sop02_renja", 7, 150), (3, "sop02_renja", 5, 90),
                           (4, "sop02_renja", 2, 20)]

    sheet = wb["Semua Langkah"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 12  # every finished step of January-June; the open SPP step 4 is not there
    s04 = next(r for r in rows if r["ID langkah"] == "s04_serahkan_bahan")
    assert (s04["Waktu aktual (menit kerja)"], s04["Standar (menit kerja)"], s04["Kelebihan (menit)"],
            s04["Dasar standar"], s04["Kepatuhan"]) == (1060, 1930, -870, "3 hari kerja", "sesuai standar")
    assert s04["Dibuka (WIB)"] == dt.datetime(2026, 2, 2, 9, 20) and s04["Selesai (WIB)"] == dt.datetime(2026, 2, 4, 10)
    draft2 = next(r for r in rows if r["ID langkah"] == "s05_buat_dokumen" and r["Putaran"] == 2)
    assert (draft2["Revisi"], draft2["Waktu aktual (menit kerja)"], draft2["Kelebihan (menit)"]) == ("ya", 360, -60)
    review2 = next(r for r in rows if r["ID langkah"] == "s06_koreksi_dokumen" and r["Putaran"] == 2)
    assert (review2["Waktu aktual (menit kerja)"], review2["Kelebihan (menit)"], review2["Kepatuhan"]) == (
        300, 180, "melampaui standar")
    register = next(r for r in rows if r["ID langkah"] == "s03_register_spj")
    assert (register["Standar (menit kerja)"], register["Kepatuhan"], register["Triwulan"]) == (
        "tanpa standar", "tanpa standar", "Triwulan II 2026")

    result = report("--from", "2026-01-01", "--to", "2026-03-31", "--format", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    html = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert Path(result.stdout.strip()).name == "laporan_kepatuhan_2026-01-01_2026-03-31.html"
    assert '<html lang="id">' in html and "55,6%" in html and "tanpa standar" in html
    assert "data:image/png;base64," in html  # the charts travel inside the file


def test_report_command_refuses_bad_dates(db_url, tmp_path):
    result = report("--from", "2026-03-31", "--to", "2026-01-01", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Ditolak:") and len(result.stderr.strip().splitlines()) == 1
    result = report("--from", "31-03-2026", "--to", "2026-04-01", cwd=tmp_path)
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr
    assert list(tmp_path.glob("laporan_kepatuhan_*")) == []


# --- the quarterly task ----------------------------------------------------------------------------------

@needs_pdftotext
def test_quarterly_task_mails_the_kabag(db_url, mail_sink, tmp_path):
    from sopflow.airflow.compliance import DAG_ID, send_compliance_report

    seed()
    send_pending()  # the task mails of the seeding; what arrives next is the report
    for path in mail_sink.directory.glob("*.eml"):
        path.unlink()

    run_id = "scheduled__2026-04-02T01:00:00+00:00"
    result = send_compliance_report(at(2026, 4, 2, 8), run_id=run_id)  # the DAG's first run after Triwulan I
    assert (result["periode"], result["from"], result["to"]) == ("Triwulan I 2026", "2026-01-01", "2026-03-31")
    assert (result["recipients"], result["queued"], result["steps"]) == ([KABAG], 1, 11)

    with session_scope() as s:
        docs = s.scalars(select(Document).where(Document.dag_id == DAG_ID).order_by(Document.id)).all()
        assert [(d.name, d.jenis, d.run_id) for d in docs] == [
            ("Laporan Kepatuhan SOP Triwulan I 2026.pdf", "laporan_kepatuhan", run_id),
            ("Laporan Kepatuhan SOP Triwulan I 2026.xlsx", "laporan_kepatuhan", run_id)]
        [row] = s.scalars(select(OutboxMessage).where(OutboxMessage.dag_id == DAG_ID)).all()
        assert (row.recipient, row.status, row.attachments) == (KABAG, "sent", [d.id for d in docs])

    [mail] = mail_sink.messages()
    assert mail["To"] == KABAG
    assert mail["Subject"] == "[sopflow] Laporan Kepatuhan SOP Triwulan I 2026"
    body = mail.get_body(("plain",)).get_content()
    assert "Retno Wulandarsih" in body and "55,6%" in body and "1 Januari 2026 s.d. 31 Maret 2026" in body
    attachments = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert set(attachments) == {"Laporan Kepatuhan SOP Triwulan I 2026.pdf", "Laporan Kepatuhan SOP Triwulan I 2026.xlsx"}
    assert_quarter_one_figures(pdf_text(attachments["Laporan Kepatuhan SOP Triwulan I 2026.pdf"], tmp_path))
    wb = load_workbook(io.BytesIO(attachments["Laporan Kepatuhan SOP Triwulan I 2026.xlsx"]))
    assert wb["Per SOP"]["B2"].value == "sop02_renja" and wb["Per SOP"]["E2"].value == 5
    assert len(list(wb["Semua Langkah"].iter_rows(min_row=2))) == 11

    again = send_compliance_report(at(2026, 4, 2, 8), run_id=run_id)  # a retried task
    assert again["queued"] == 0 and again["documents"] == result["documents"]
    assert len(mail_sink.messages()) == 1
    with session_scope() as s:
        assert len(s.scalars(select(Document).where(Document.dag_id == DAG_ID)).all()) == 2
