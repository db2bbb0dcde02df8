"""SOP VIII as a real daily batch: three SPJ bundles, one `airflow dags test sop08_spp` run.

- a complete SPP-GU goes through every signature and reaches the day's transmittal to BPKAD;
- an SPP-LS without its SPTJM SPP goes back to its BPP with a Form Koreksi Ajuan (step 4's
  automatic check), the BPP adds it, and it then goes the same way;
- an SPP-TU with a bad receipt row is refused at intake, the row named, nothing stored.
The people act through the `sopflow` CLI; the mails arrive at a real SMTP sink.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from harness import BIN, BPP, GU_DOCS, GU_ROWS, airflow_env, sopflow, spj_attachments, submit_spj

pytestmark = pytest.mark.e2e

BPKAD = "bpkad@example.org"
LS_DOCS = ["Pernyataan KPA SPD", "Pernyataan Pengajuan SPM GU/LS", "Bukti Pertanggungjawaban", "Kontrak/SPK",
           "Screenshot LPSE"]  # without its SPTJM SPP
LS_ROWS = [[1, dt.date(2027, 3, 20), "KTR-07/2027", "5.1.02.02.01.0003", "Jasa konsultansi perencanaan", 25000000,
            "CV Rancang Bangun", "2.272.727", "500.000"]]
TU_ROWS = [  # row 3: a third decimal
    [1, dt.date(2027, 3, 21), "TU-01/2027", "5.1.02.01.01.0024", "Rapat koordinasi", "3.000.000", "Hotel Sejahtera",
     None, None],
    [2, dt.date(2027, 3, 22), "TU-02/2027", "5.1.02.01.01.0024", "Konsumsi rapat", "2.000.000,125", "Katering", None,
     None]]


def _pdftotext(data: bytes, tmp: Path) -> str:
    path = tmp / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _act(env: dict, files: Path, log: list) -> None:
    """One pass over the open tasks of the batch, as the office's people."""
    tasks = json.loads(sopflow(env, "tasks", "--dag", "sop08_spp", "--json").stdout)
    waiting_for_bpkad = [t for t in tasks if t["kind"] == "auto"]
    for t in tasks:
        who = t["assignee_email"]
        if t["kind"] == "task":
            if t["step_no"] == 2:  # back from the Form Koreksi Ajuan: the BPP adds what it asked for
                bundle = int(t["run_id"].removeprefix("spj-"))
                sopflow(env, "spj", "lengkapi", str(bundle), "--by", who, *spj_attachments(files, ["SPTJM SPP"]))
            sopflow(env, "done", str(t["id"]), "--by", who, "--note", "Sudah")
        elif t["kind"] in ("review", "approval"):
            sopflow(env, "approve", str(t["id"]), "--by", who, "--note", "Sesuai")
        else:
            continue
        log.append((t["run_id"], t["step_no"], t["round"], t["kind"]))
    bundles = json.loads(sopflow(env, "spj", "list", "--json").stdout)
    # One transmittal for the day, once the PA has signed every bundle of the batch. (Under `airflow
    # dags test` deferred tasks resume one at a time, so not every step 13 is open at that moment.)
    if waiting_for_bpkad and all(b["status"] == "ditandatangani" for b in bundles):
        out = sopflow(env, "spj", "kirim").stdout
        log.append(("kirim", out))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from sopflow.mailsink import MailSink

    root = tmp_path_factory.mktemp("spp")
    files = root / "files"
    files.mkdir()
    sink = MailSink("127.0.0.1", 0, root / "mail")
    sink.start()
    try:
        env = airflow_env(root / "home", sink.port)
        (root / "home").mkdir()
        migrated = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True,
                                  timeout=600)
        assert migrated.returncode == 0, migrated.stderr[-2000:]
        submitted = {
            "gu": submit_spj(env, files, "GU", "1.234.567,89", GU_ROWS, GU_DOCS),
            "ls": submit_spj(env, files, "LS", "25.000.000", LS_ROWS, LS_DOCS),
            "tu": submit_spj(env, files, "TU", "5.000.000", TU_ROWS, GU_DOCS[:2], check=False),
        }
        log_path = root / "airflow.log"
        actions: list = []
        deadline = time.monotonic() + 900
        with open(log_path, "w") as out:
            proc = subprocess.Popen(["timeout", "-s", "KILL", "900", str(BIN / "airflow"), "dags", "test", "sop08_spp"],
                                    env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            while proc.poll() is None and time.monotonic() < deadline:
                _act(env, files, actions)
                time.sleep(0.5)
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        bundles = json.loads(sopflow(env, "spj", "list", "--json").stdout)
        time.sleep(1)
    finally:
        sink.stop()
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted((root / "mail").glob("*.eml"))]
    return dict(code=proc.returncode, log=log_path.read_text(errors="replace"), submitted=submitted,
                bundles=bundles, messages=messages, actions=actions, root=root)


def test_a_bad_row_is_refused_at_intake_with_the_row_named(batch):
    tu = batch["submitted"]["tu"]
    assert tu.returncode == 1
    assert "SPJ ditolak, tidak ada yang disimpan" in tu.stderr
    assert "baris 3, kolom Jumlah (Rincian!F3)" in tu.stderr and "dua angka desimal" in tu.stderr
    assert [b["jenis_spp"] for b in batch["bundles"]] == ["GU", "LS"]  # nothing of the TU was stored


def test_the_batch_run_succeeds_with_both_bundles_sent(batch):
    assert batch["code"] == 0, batch["log"][-4000:]
    assert [(b["jenis_spp"], b["status"]) for b in batch["bundles"]] == [("GU", "dikirim"), ("LS", "dikirim")]
    # Numbered after the PPK's approval, gapless in the BPP's sequence; SPP/SPM numbers per type.
    assert sorted(b["bku_nomor"] for b in batch["bundles"]) == ["0001/BKU/BPP-PK/2027", "0002/BKU/BPP-PK/2027"]
    kirim = [a for a in batch["actions"] if a[0] == "kirim"]
    assert len(kirim) == 1
    assert sorted(re.search(r"SPJ ([\d, ]+),", kirim[0][1]).group(1).split(", ")) == ["1", "2"], kirim


def test_the_incomplete_ls_went_back_to_its_bpp_with_a_form_koreksi_ajuan(batch, tmp_path):
    ls_id = next(b["id"] for b in batch["bundles"] if b["jenis_spp"] == "LS")
    revisions = [m for m in batch["messages"] if m["To"] == BPP and "Revisi" in m["Subject"]]
    assert len(revisions) == 1, [m["Subject"] for m in batch["messages"] if m["To"] == BPP]
    mail = revisions[0]
    assert "Langkah 2:" in mail["Subject"]
    assert "SPTJM SPP" in mail.get_body(("plain",)).get_content()
    [form] = [a for a in mail.iter_attachments() if a.get_filename().startswith("Form-Koreksi-Ajuan-LS")]
    text = _pdftotext(form.get_content(), tmp_path)
    assert "FORM KOREKSI AJUAN" in text.upper() and "SPTJM SPP" in text
    # Round 2 of step 2 was the BPP's; the Verifikator looked only at the completed bundle.
    ls_steps = [(a[1], a[2]) for a in batch["actions"] if a[0] == f"spj-{ls_id}"]
    assert (2, 2) in ls_steps and (4, 2) in ls_steps and (4, 1) not in ls_steps
    gu_steps = [(a[1], a[2]) for a in batch["actions"] if a[0] == "spj-1"]
    assert (4, 1) in gu_steps and all(r == 1 for _, r in gu_steps)


def test_one_transmittal_to_bpkad_with_letter_register_and_papers(batch, tmp_path):
    to_bpkad = [m for m in batch["messages"] if m["To"] == BPKAD]
    assert len(to_bpkad) == 1, [m["Subject"] for m in to_bpkad]
    mail = to_bpkad[0]
    assert "2 berkas" in mail["Subject"] and "Rp 26.234.567,89" in mail["Subject"]
    assert "Dua puluh enam juta dua ratus tiga puluh empat ribu lima ratus enam puluh tujuh rupiah" \
           in mail.get_body(("plain",)).get_content()
    parts = {a.get_filename(): a.get_content() for a in mail.iter_attachments()}
    letter = next(v for k, v in parts.items() if k.startswith("Surat Pengantar BPKAD"))
    text = _pdftotext(letter, tmp_path)
    numbers = [b["bku_nomor"] for b in batch["bundles"]]
    assert "26.234.567,89" in text
    register = load_workbook(io.BytesIO(next(v for k, v in parts.items() if k.startswith("Register SPP-SPM"))))
    rows = [r for r in register.active.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert sorted((r[4], float(r[6]), r[7]) for r in rows) == sorted(
        [("GU", 1234567.89, numbers[0]), ("LS", 25000000.0, numbers[1])])
    for kind in ("SPP", "Pengesahan-SPJ", "SPM", "Nota-Dinas-SPM", "SPTJM-SPM", "Rekap-SPM", "Suket-Pencairan"):
        for jenis, number in zip(("GU", "LS"), numbers):  # each bundle's papers, named by its BKU number
            name = f"{kind}-{jenis}_{number.replace('/', '-')}.pdf"
            assert name in parts, (name, sorted(parts))
    assert "SPTJM SPP.pdf" in parts  # the BPP's own attachments go with the bundle
    told = sorted(m["Subject"] for m in batch["messages"] if m["To"] == BPP and "dikirim ke BPKAD" in m["Subject"])
    assert told == sorted(f"[sopflow] SPJ {b['id']} dikirim ke BPKAD: SPP-{b['jenis_spp']} {b['total_rupiah']} "
                          f"(BKU {b['bku_nomor']})" for b in batch["bundles"])
