"""Templates and PDF: the task email, the distribution email, the lembar disposisi, the rekam jejak."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from types import SimpleNamespace as NS

import jinja2
import pytest

from sopflow.render import render
from sopflow.render.templates import menit, tanggal

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 09.00 WIB


def _task_context(**overrides):
    context = dict(
        sop=NS(id="sop02_renja", nama="Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah", nomor="188/12/409.1.2/2023",
               unit="Bagian Perencanaan dan Keuangan"),
        step=NS(no=5, uraian="Membuat dokumen Rencana Kerja (Renja) Setda", kind="task",
                kelengkapan=["Draf data dokumen Rencana Kerja (Renja) Setda", "Catatan pembagian tugas"],
                output="Dokumen Rencana Kerja (Renja) Setda", waktu_menit=420, keterangan=None),
        instance=NS(id=17, round=1, due_at=DUE, bagian_nama=""),
        person=NS(nama="Budi Santoso, S.E.", email="budi@setda.blitarkab.example"),
        periode="2027",
        command="sopflow done 17 --by budi@setda.blitarkab.example",
        revision_note=None,
        link="http://127.0.0.1:8080/sop/tugas/17?t=abc",
    )
    context.update(overrides)
    return context


def test_filters():
    assert tanggal(DUE) == "Senin, 7 Desember 2026 pukul 09.00 WIB"
    assert menit(420) == "420 menit (7 jam)"
    assert menit(90) == "90 menit (1 jam 30 menit)"
    assert menit(15) == "15 menit"
    assert menit(None) == "tidak ditetapkan"
    with pytest.raises(ValueError):
        tanggal(dt.datetime(2026, 12, 7, 9, 0))  # naive: refused


def test_task_email_has_every_field():
    ctx = _task_context()
    subject = render("email/task.subject.txt", **ctx)
    assert subject == ("[sopflow] Tugas: Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah 2027 — "
                       "Langkah 5: Membuat dokumen Rencana Kerja (Renja) Setda")
    for name in ("email/task.txt", "email/task.html"):
        body = render(name, **ctx)
        for expected in (
            "Budi Santoso, S.E.",
            "Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah",
            "188/12/409.1.2/2023",
            "2027",
            "5. Membuat dokumen Rencana Kerja (Renja) Setda",
            "Draf data dokumen Rencana Kerja (Renja) Setda",
            "Catatan pembagian tugas",
            "Dokumen Rencana Kerja (Renja) Setda",
            "420 menit (7 jam)",
            "Senin, 7 Desember 2026 pukul 09.00 WIB",
            "sopflow done 17 --by budi@setda.blitarkab.example",
            "http://127.0.0.1:8080/sop/tugas/17?t=abc",
        ):
            assert expected in body, (name, expected)
        assert "REVISI" not in body and "sopflow revise" not in body
        # the page comes first: staff act from the mail on a phone; the command is for the terminal
        assert body.index("http://127.0.0.1:8080/sop/tugas/17?t=abc") < body.index("sopflow done 17")
    text = render("email/task.txt", **ctx)
    assert "<" not in text  # the plain part is plain


def test_review_revision_round_shows_both_decisions_and_the_note():
    ctx = _task_context(
        step=NS(no=6, uraian="Mengoreksi dokumen Rencana Kerja (Renja) Setda", kind="review",
                kelengkapan=["Data dokumen Rencana Kerja (Renja) Setda"], output="Hasil koreksi", waktu_menit=120,
                keterangan="Jika kondisi IYA maka Dokumen Rencana Kerja siap untuk disahkan"),
        instance=NS(id=23, round=2, due_at=None, bagian_nama="Bagian Umum"),
        revision_note="Tabel 2.1 belum memuat target 2027.\nLampiran <B> kurang.",
        link=None,
    )
    subject = render("email/task.subject.txt", **ctx)
    assert subject.startswith("[sopflow] Tugas (Revisi ke-1): ")
    assert subject.endswith("(Bagian Umum)")
    text = render("email/task.txt", **ctx)
    html = render("email/task.html", **ctx)
    for body in (text, html):
        assert "sopflow approve 23 --by budi@setda.blitarkab.example --note" in body
        assert "sopflow revise 23 --by budi@setda.blitarkab.example --note" in body
        assert "IYA" in body and "TIDAK" in body
        assert "Tabel 2.1 belum memuat target 2027." in body
        assert "tidak ditetapkan" in body  # no due time
        assert "Buka halaman tugas" not in body
    assert "diperiksa kembali (putaran ke-2)" in text and "REVISI" not in text
    assert "Lampiran <B> kurang." in text
    assert "Lampiran &lt;B&gt; kurang." in html and "2027.<br>Lampiran" in html  # escaped, lines kept


def test_task_revision_round_tells_the_maker_what_to_fix():
    ctx = _task_context(instance=NS(id=31, round=3, due_at=DUE, bagian_nama=""), revision_note="Perbaiki Bab II.")
    assert render("email/task.subject.txt", **ctx).startswith("[sopflow] Tugas (Revisi ke-2): ")
    for name in ("email/task.txt", "email/task.html"):
        body = render(name, **ctx)
        assert "REVISI (putaran ke-3)" in body and "Catatan pemeriksa" in body and "Perbaiki Bab II." in body


def test_delegate_is_told_whom_they_stand_in_for():
    ctx = _task_context(stands_in_for=NS(nama="Drs. Ahmad Fauzi, M.Si."),
                        command="sopflow done 17 --by budi@setda.blitarkab.example --file DOKUMEN --note CATATAN")
    for name in ("email/task.txt", "email/task.html"):
        body = render(name, **ctx)
        assert "sebagai Plh/Plt untuk Drs. Ahmad Fauzi, M.Si." in body
        assert "Ganti DOKUMEN" in body or "Ganti <code>DOKUMEN</code>" in body


def test_missing_value_raises_before_anything_is_sent():
    ctx = _task_context()
    del ctx["periode"]
    with pytest.raises(jinja2.UndefinedError):
        render("email/task.txt", **ctx)
    ctx = _task_context(step=NS(no=5, uraian="x", kind="task", kelengkapan=[], output=None, waktu_menit=None))
    with pytest.raises(jinja2.UndefinedError):  # step.keterangan missing
        render("email/task.html", **ctx)


def test_html_escapes_values():
    ctx = _task_context(step=NS(no=5, uraian="Rapat <script>alert(1)</script> & evaluasi", kind="task",
                                kelengkapan=[], output=None, waktu_menit=None, keterangan=None))
    html = render("email/task.html", **ctx)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; evaluasi" in html
    assert "Rapat <script>alert(1)</script> & evaluasi" in render("email/task.txt", **ctx)


def test_distribution_email():
    ctx = dict(
        sop=NS(id="sop02_renja", nama="Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah", nomor="188/12"),
        step=NS(no=8, uraian="Mendokumentasikan dokumen Renja Setda"),
        periode="2027",
        documents=["Renja Setda 2027.pdf", "Rekam Jejak.pdf"],
        recipient_nama="Kepala Bappeda",
    )
    assert render("email/distribution.subject.txt", **ctx).startswith("[sopflow] Dokumen: Penyusunan Rencana Kerja")
    for name in ("email/distribution.txt", "email/distribution.html"):
        body = render(name, **ctx)
        assert "Kepala Bappeda" in body and "Renja Setda 2027.pdf" in body and "Rekam Jejak.pdf" in body


def _pdf_text(pdf: bytes, tmp_path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([exe, "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_lembar_disposisi_renders_to_pdf_with_the_assignee(tmp_path):
    from sopflow.render.pdf import html_to_pdf

    ctx = _task_context(
        step=NS(no=2, uraian="Menugaskan Perencana untuk menyiapkan bahan Rencana Kerja (Renja) Setda", kind="task",
                kelengkapan=["Disposisi"], output="Disposisi", waktu_menit=30, keterangan=None),
        instance=NS(id=41, round=1, due_at=DUE, bagian_nama="", opened_at=DUE - dt.timedelta(hours=1)),
        person=NS(nama="Siti Rahayu, S.AP.", jabatan="Perencana Ahli Muda"),
        pemberi=NS(nama="Drs. Ahmad Fauzi, M.Si.", jabatan="Kepala Bagian Perencanaan dan Keuangan", nip="197001011990031001"),
        surat={"dari": "Sekretaris Daerah", "nomor": "-", "tanggal": "-", "perihal": "Penyusunan Renja Setda 2027"},
    )
    html = render("documents/lembar_disposisi.html", **ctx)
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    for expected in ("PEMERINTAH KABUPATEN BLITAR", "SEKRETARIAT DAERAH", "LEMBAR DISPOSISI", "Siti Rahayu, S.AP.",
                     "Menugaskan Perencana", "Drs. Ahmad Fauzi, M.Si.", "197001011990031001",
                     "Penyusunan Renja Setda 2027", "Senin, 7 Desember 2026 pukul 09.00 WIB"):
        assert expected in text, expected
    assert text.count("\f") <= 1  # one page (pdftotext ends each page with a form feed)


def test_rekam_jejak_renders_to_pdf(tmp_path):
    from sopflow.render.pdf import html_to_pdf

    opened = DUE - dt.timedelta(days=1)
    html = render(
        "documents/rekam_jejak.html",
        sop=NS(id="sop02_renja", nama="Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah", nomor="188/12"),
        periode="2027",
        run_id="scheduled__2027-01-02",
        instances=[
            NS(step_no=5, uraian="Membuat dokumen Renja", role="perencana", bagian="", round=1, status="done",
               opened_at=opened, closed_at=DUE, closed_by="budi@setda.blitarkab.example", note=None),
            NS(step_no=6, uraian="Mengoreksi dokumen Renja", role="kabag", bagian="", round=1, status="revised",
               opened_at=DUE, closed_at=None, closed_by=None, note="Tabel 2.1"),
        ],
        decisions=[NS(step_no=6, round=1, decision="tidak", note="Tabel 2.1 belum lengkap", by_email="kabag@x.example", at=DUE)],
        documents=[NS(name="Renja Setda 2027.pdf", version=2, sha256="ab" * 32, jenis="upload")],
        nama={"kabag@x.example": "Retno Kabag"}, peran={"perencana": "Perencana", "kabag": "Kepala Bagian"},
    )
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf, tmp_path)
    assert "REKAM JEJAK" in text and "Renja Setda 2027.pdf" in text and "TIDAK" in text
    assert "Retno Kabag" in text and "Kepala Bagian" in text and "dikembalikan" in text and "unggahan" in text
    assert "budi@setda.blitarkab.example" in text  # someone not in the directory shows as their address
