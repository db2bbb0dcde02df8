"""The installed `sopflow` command as a user runs it: a subprocess with SOPFLOW_HOME and
SOPFLOW_DATABASE_URL in its environment (SQLite and PostgreSQL), SMTP pointed at a real sink.
Work is seeded through the domain in this process, as the DAG would have opened it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from sopflow.domain import steps
from sopflow.domain.office import load_office
from sopflow.mail import send_pending
from sopflow.settings import get_settings
from sopflow.store.db import get_engine, session_scope
from sopflow.store.models import Base, Decision, Document, StepInstance

SOPFLOW = Path(sys.executable).parent / "sopflow"
RUN = "manual__2027-01-04T02:00:00+00:00"
RUN7 = "scheduled__2026-10-01T02:00:00+00:00"

SEKDA = "bambang.kusumawardana@example.org"
KABAG = "retno.wulandarsih@example.org"
PERENCANA = "agus.nugrahanto@example.org"
TIM = [
    "fajar.hidayatullah@example.org", "teguh.wicaksana@example.org", "ayu.ningtyas@example.org",
    "bayu.kurniawanto@example.org", "dimas.wiratmaja@example.org", "galih.jati@example.org",
]
FIELDS = {"id", "dag_id", "run_id", "step_no", "step_id", "kind", "uraian", "assignee_email", "status", "round",
          "opened_at", "due_at", "candidates"}


def sopflow(*args: str) -> subprocess.CompletedProcess:
    """Run the installed command with this test's environment (home, database, SMTP sink)."""
    env = dict(os.environ)
    env.pop("SOPFLOW_SMTP_USER", None)
    env.pop("SOPFLOW_SMTP_PASSWORD", None)
    return subprocess.run([str(SOPFLOW), *args], env=env, capture_output=True, text=True, timeout=120)


def snapshot() -> dict:
    state: dict = {}
    with get_engine().connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
            state[table.name] = [dict(r) for r in rows]
    docs = get_settings().documents_dir
    state["files"] = sorted(str(p) for p in docs.rglob("*") if p.is_file()) if docs.exists() else []
    return state


class Seed:
    """A run opened through the domain, as the DAG would have opened it."""

    def __init__(self, sop_id: str, run_id: str, periode: str):
        self.office = load_office(get_settings().config_dir)
        self.sop = self.office.sop(sop_id)
        self.dag_id, self.run_id = sop_id, run_id
        with session_scope() as s:
            steps.ensure_run(s, sop=self.sop, dag_id=sop_id, run_id=run_id, periode=periode, params={})

    def open(self, step_id: str) -> StepInstance:
        with session_scope() as s:
            [inst] = steps.open_step(s, self.office, self.sop, self.sop.step(step_id), dag_id=self.dag_id,
                                     run_id=self.run_id)
            return inst

    def done(self, inst: StepInstance, actor: str, **kw) -> steps.Outcome:
        with session_scope() as s:
            return steps.complete(s, self.office, inst.id, actor=actor,
                                  documents_dir=get_settings().documents_dir, **kw)

    def revise(self, inst: StepInstance, actor: str, note: str) -> steps.Outcome:
        with session_scope() as s:
            return steps.revise(s, self.office, inst.id, actor=actor, note=note)


def instance(inst_id: int) -> StepInstance:
    with session_scope() as s:
        return s.get(StepInstance, inst_id)


def clear(sink) -> None:
    """Send what seeding queued, then empty the sink: what arrives next is the command's mail."""
    send_pending()
    for path in sink.directory.glob("*.eml"):
        path.unlink()


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


# --- tasks --------------------------------------------------------------------------------------------
def test_tasks_lists_and_filters(db_url, mail_sink):
    renja = Seed("sop02_renja", RUN, "2027")
    s01 = renja.open("s01_tugaskan_kabag")
    renja.done(s01, SEKDA)
    s03 = renja.open("s03_arahkan_tim")
    s04 = renja.open("s04_serahkan_bahan")
    monev = Seed("sop07_monev_kinerja", RUN7, "2026-Q3")
    m01 = monev.open("s01_tugaskan_perencana")

    result = sopflow("tasks", "--json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == [s03.id, s04.id, m01.id]  # open ones only, by default
    for item in items:
        assert FIELDS <= set(item), FIELDS - set(item)
    by_id = {i["id"]: i for i in items}
    task = by_id[s03.id]
    assert {k: task[k] for k in ("dag_id", "run_id", "step_no", "step_id", "kind", "assignee_email", "status",
                                 "round", "candidates")} == {
        "dag_id": "sop02_renja", "run_id": RUN, "step_no": 3, "step_id": "s03_arahkan_tim", "kind": "task",
        "assignee_email": PERENCANA, "status": "open", "round": 1, "candidates": [PERENCANA]}
    assert task["uraian"] == renja.sop.step("s03_arahkan_tim").uraian
    opened_at = dt.datetime.fromisoformat(task["opened_at"])
    assert opened_at.tzinfo is not None and opened_at == instance(s03.id).opened_at
    assert dt.datetime.fromisoformat(task["due_at"]) == instance(s03.id).due_at
    group = by_id[s04.id]
    assert group["candidates"] == TIM and group["assignee_email"] == TIM[0]
    assert by_id[m01.id]["dag_id"] == "sop07_monev_kinerja" and by_id[m01.id]["assignee_email"] == KABAG

    mine = json.loads(sopflow("tasks", "--json", "--assignee", TIM[2].upper()).stdout)
    assert [i["id"] for i in mine] == [s04.id]  # a group member sees the group's task

    done = json.loads(sopflow("tasks", "--json", "--status", "done").stdout)
    assert [(i["id"], i["status"]) for i in done] == [(s01.id, "done")]

    everything = json.loads(sopflow("tasks", "--json", "--status", "all", "--dag", "sop02_renja").stdout)
    assert [i["id"] for i in everything] == [s01.id, s03.id, s04.id]

    text = sopflow("tasks", "--assignee", PERENCANA)  # the listing for people
    assert text.returncode == 0, text.stderr
    assert renja.sop.step("s03_arahkan_tim").uraian in text.stdout and "putaran 1" in text.stdout
    assert renja.sop.step("s04_serahkan_bahan").uraian not in text.stdout


# --- acting -------------------------------------------------------------------------------------------
def test_revise_done_approve_through_the_cli(db_url, mail_sink, tmp_path):
    renja = Seed("sop02_renja", RUN, "2027")
    draft1 = renja.open("s05_buat_dokumen")
    renja.done(draft1, PERENCANA)
    review1 = renja.open("s06_koreksi_dokumen")
    clear(mail_sink)

    note = "Tabel target kinerja 2027 belum diisi"
    result = sopflow("revise", str(review1.id), "--by", KABAG, "--note", note)
    assert result.returncode == 0, result.stderr
    assert "langkah 5 dibuka lagi" in result.stdout and PERENCANA in result.stdout
    [mail] = mail_sink.messages()
    assert mail["To"] == PERENCANA and "Revisi ke-1" in mail["Subject"]
    assert note in mail.get_body(("plain",)).get_content()
    draft2 = next(i for i in json.loads(sopflow("tasks", "--json", "--assignee", PERENCANA).stdout)
                  if i["step_id"] == "s05_buat_dokumen")
    assert draft2["round"] == 2 and draft2["status"] == "open"
    clear(mail_sink)

    report = tmp_path / "Renja Setda 2027.docx"
    report.write_bytes(b"PK\x03\x04Renja, revisi pertama")
    result = sopflow("done", str(draft2["id"]), "--by", PERENCANA, "--file", str(report), "--note", "Tabel diisi")
    assert result.returncode == 0, result.stderr
    assert "Langkah 5 selesai" in result.stdout and KABAG in result.stdout  # what happens next: the Kabag checks
    [mail] = mail_sink.messages()  # ... and the Kabag's mail has already arrived
    assert mail["To"] == KABAG and "Langkah 6" in mail["Subject"]
    assert "putaran ke-2" in mail.get_body(("plain",)).get_content()
    finished = instance(draft2["id"])
    assert (finished.status, finished.closed_by, finished.note) == ("done", PERENCANA, "Tabel diisi")
    with session_scope() as s:
        [doc] = s.scalars(select(Document).where(Document.step_instance_id == finished.id))
        assert (doc.name, doc.version, doc.jenis) == ("Renja Setda 2027.docx", 1, "upload")
        review2 = s.scalars(select(StepInstance).where(StepInstance.step_id == "s06_koreksi_dokumen",
                                                       StepInstance.round == 2)).one()
    clear(mail_sink)

    result = sopflow("approve", str(review2.id), "--by", KABAG, "--note", "Sudah sesuai")
    assert result.returncode == 0, result.stderr
    assert "disetujui" in result.stdout
    with session_scope() as s:
        assert [(d.decision, d.note) for d in s.scalars(select(Decision).order_by(Decision.id))] == [
            ("tidak", note), ("iya", "Sudah sesuai")]
        assert steps.step_resolved(s, renja.sop, renja.sop.step("s06_koreksi_dokumen"), "sop02_renja", RUN)

    approval = renja.open("s07_sahkan_dokumen")
    result = sopflow("approve", str(approval.id), "--by", SEKDA)
    assert result.returncode == 0, result.stderr
    assert instance(approval.id).status == "approved"


def test_done_on_a_distribution_task_mails_the_recipients(db_url, mail_sink, tmp_path):
    monev = Seed("sop07_monev_kinerja", RUN7, "2026-Q3")
    task = monev.open("s07_terima_distribusikan")
    clear(mail_sink)
    report = tmp_path / "Laporan Monev Kinerja TW III 2026.pdf"
    report.write_bytes(b"%PDF-1.4 laporan triwulan")

    result = sopflow("done", str(task.id), "--by", KABAG, "--file", str(report))
    assert result.returncode == 0, result.stderr
    assert "Langkah 7 selesai" in result.stdout
    office = load_office(get_settings().config_dir)
    kabags = {p.email for p in office.staff.members("kabag_bagian")}
    received = mail_sink.messages()
    assert {m["To"] for m in received} == kabags and len(received) == len(kabags)
    for message in received:
        [part] = list(message.iter_attachments())
        assert part.get_filename() == report.name and part.get_content() == report.read_bytes()


# --- refusals -----------------------------------------------------------------------------------------
def test_refusals_exit_non_zero_with_one_line_and_change_nothing(db_url, mail_sink, tmp_path):
    renja = Seed("sop02_renja", RUN, "2027")
    s01 = renja.open("s01_tugaskan_kabag")
    renja.done(s01, SEKDA)
    task = renja.open("s03_arahkan_tim")
    review = renja.open("s06_koreksi_dokumen")
    approval = renja.open("s07_sahkan_dokumen")
    clear(mail_sink)
    exe = tmp_path / "bahan.exe"
    exe.write_bytes(b"MZ not a document")

    cases = {
        "wrong person": (["done", str(task.id), "--by", KABAG], 1, "bukan pelaksana"),
        "wrong state": (["done", str(s01.id), "--by", SEKDA], 1, "berstatus done"),
        "unknown id": (["done", "987654", "--by", PERENCANA], 1, "987654 tidak ada"),
        "approve on a task": (["approve", str(task.id), "--by", PERENCANA], 1, "jenis task"),
        "done on a review": (["done", str(review.id), "--by", KABAG], 1, "jenis review"),
        "revise with an empty note": (["revise", str(review.id), "--by", KABAG, "--note", " "], 1, "catatan"),
        "revise an approval": (["revise", str(approval.id), "--by", SEKDA, "--note", "ulang"], 1, "on_reject"),
        "upload of an .exe": (["done", str(task.id), "--by", PERENCANA, "--file", str(exe)], 1, ".exe"),
        "revise without --note": (["revise", str(review.id), "--by", KABAG], 2, "--note"),
    }
    before = snapshot()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(cases, pool.map(lambda case: sopflow(*case[0]), cases.values())))
    for name, (args, code, reason) in cases.items():
        result = results[name]
        assert result.returncode == code, (name, result.stdout, result.stderr)
        assert result.stdout == "", name
        if code == 2:  # argparse: usage and the error
            assert reason in result.stderr.splitlines()[-1], name
        else:
            line = one_line(result.stderr)
            assert reason in line, (name, line)
    assert snapshot() == before
    assert mail_sink.messages() == []
