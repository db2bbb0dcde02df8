"""Every SOP of the decree as a real Airflow run, end to end.

`airflow dags test` runs the DAG (deferrable human steps resume through their trigger) while a
helper acts as the people through the `sopflow` CLI: each review step first says TIDAK with a
note, the work is revised, then the reviewer says IYA. The mails arrive at a real SMTP sink.
"""

from __future__ import annotations

import email
import email.policy
import json
import queue
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from harness import BIN, GU_DOCS, GU_ROWS, airflow_env, run_dag, submit_spj

pytestmark = pytest.mark.e2e

CONF = {
    "sop01_renstra": {},
    "sop02_renja": {},
    "sop03_dpa": {"nomor_surat": "900/412/409.108/2026", "tanggal_surat": "2026-11-30", "tahun_anggaran": 2027},
    "sop04_lkjip": {},
    "sop05_data_kinerja": {},
    "sop06_monev_renstra": {},
    "sop07_monev_kinerja": {},
    "sop08_spp": {},  # a daily batch: it takes the SPJ bundle submitted before the run (PREPARE)
}
# What a run needs in the domain before it starts.
PREPARE = {"sop08_spp": lambda env, files: submit_spj(env, files, "GU", "1.234.567,89", GU_ROWS, GU_DOCS)}


WORKERS = 2  # two runs at a time: each waits on people most of the time, and the machine has 2 cores


def _migrated_home(root: Path, name: str) -> Path:
    home = root / name
    home.mkdir()
    result = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=airflow_env(home, 0),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return home


def _run_state(env: dict, dag_id: str) -> str:
    out = subprocess.run([str(BIN / "airflow"), "dags", "list-runs", dag_id, "-o", "json"], env=env,
                         capture_output=True, text=True, timeout=300)
    runs = next((json.loads(line) for line in reversed(out.stdout.splitlines()) if line.startswith("[{")), [])
    return runs[0]["state"] if len(runs) == 1 else f"runs: {runs}"


def _one_run(dag_id: str, homes: queue.Queue, root: Path) -> dict:
    """Run one DAG in a free Airflow home with its own mail sink; collect what the tests check."""
    from sopflow.mailsink import MailSink
    from sopflow.store.db import session_scope
    from sopflow.store.models import Decision, StepInstance

    home = homes.get()
    try:
        mail_dir = root / f"mail-{dag_id}"
        files = root / f"files-{dag_id}"
        mail_dir.mkdir()
        files.mkdir()
        sink = MailSink("127.0.0.1", 0, mail_dir)
        sink.start()
        try:
            env = airflow_env(home, sink.port)
            if dag_id in PREPARE:
                PREPARE[dag_id](env, files)
            code, log, people = run_dag(env, dag_id, CONF[dag_id], files, deadline_s=1200)
            state = _run_state(env, dag_id)
        finally:
            sink.stop()
        with session_scope(env["SOPFLOW_DATABASE_URL"]) as session:
            rows = list(session.scalars(select(StepInstance).where(StepInstance.dag_id == dag_id)))
            decisions = [(d.step_instance.step_id, d.step_instance.bagian, d.decision, d.note)
                         for d in session.scalars(select(Decision).join(StepInstance)
                                                  .where(StepInstance.dag_id == dag_id))]
            # Steps done before the run (SOP VIII's submission: opened and closed at once) had no mail.
            instances = [(r.id, r.step_id, r.step_no, "before" if r.opened_at == r.closed_at else r.kind, r.bagian,
                          r.round, r.status, list(r.candidates),
                          r.run_id) for r in rows]
        messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                    for p in sorted(mail_dir.glob("*.eml"))]
        return dict(code=code, log=log, people=people, state=state, instances=instances, decisions=decisions,
                    messages=messages, home=str(home))
    finally:
        homes.put(home)


@pytest.fixture(scope="module")
def e2e_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    homes: queue.Queue = queue.Queue()
    with ThreadPoolExecutor(WORKERS) as pool:
        for home in pool.map(lambda i: _migrated_home(root, f"home{i}"), range(WORKERS)):
            homes.put(home)
        futures = {dag_id: pool.submit(_one_run, dag_id, homes, root) for dag_id in CONF}
        return {dag_id: f.result() for dag_id, f in futures.items()}


@pytest.mark.parametrize("dag_id", list(CONF))
def test_sop_runs_to_success_with_a_revision_round(dag_id, e2e_results):
    from sopflow.domain.office import load_office
    from sopflow.settings import get_settings

    r = e2e_results[dag_id]
    code, log, people, instances, decisions = r["code"], r["log"], r["people"], r["instances"], r["decisions"]
    assert code == 0, f"airflow dags test exited {code}:\n{log[-4000:]}"
    assert r["state"] == "success", log[-4000:]
    sop = load_office(get_settings().config_dir).sop(dag_id)
    assert len({i[8] for i in instances}) == 1
    instances = [i[:8] for i in instances]

    # --- the domain record: every step through, every review revised once, then approved ----------
    by_step = defaultdict(list)
    for inst in instances:
        by_step[inst[1]].append(inst)
    for step in sop.steps:
        assert by_step[step.id], f"step {step.no} never opened"
        latest = {}
        for inst in by_step[step.id]:
            latest[inst[4]] = inst if inst[4] not in latest or inst[5] > latest[inst[4]][5] else latest[inst[4]]
        for inst in latest.values():
            assert inst[6] in ("done", "approved", "revised"), f"step {step.no}: {inst}"
        if step.kind == "review" and not sop.is_forward_branch(step):
            target = sop.step(step.on_reject)
            for bagian in latest:
                said = [d[2] for d in decisions if d[0] == step.id and d[1] == bagian]
                assert said == ["tidak", "iya"], f"step {step.no} [{bagian}] decisions {said}"
                rounds = sorted(i[5] for i in by_step[target.id] if i[4] == bagian or not i[4])
                assert 2 in rounds, f"step {target.no} was not reopened after TIDAK at step {step.no}"

    # --- the mails: one task mail per person and round, revisions carry the note, documents attach ---
    messages = r["messages"]
    subjects = defaultdict(list)
    for m in messages:
        subjects[m["To"].addresses[0].addr_spec].append(m)
    for inst_id, step_id, step_no, kind, bagian, round_, status, candidates in instances:
        if kind in ("auto", "before"):
            continue
        for email in candidates:
            mine = [m for m in subjects[email] if f"Langkah {step_no}:" in m["Subject"]]
            assert mine, f"no task mail to {email} for step {step_no}"
            assert any(sop.nama in m["Subject"] for m in mine)
    revision_mails = [m for m in messages if "Revisi" in m["Subject"]
                      and "Mohon perbaiki langkah sebelumnya" in m.get_body(("plain",)).get_content()]
    if any(s.kind == "review" and not sop.is_forward_branch(s) for s in sop.steps):
        assert revision_mails, "no revision mail carrying the reviewer's note"
    for m in revision_mails:  # the note reaches the worker as written, and escaped in HTML
        assert "Mohon perbaiki langkah sebelumnya <b>" in m.get_body(("plain",)).get_content()
        assert "Mohon perbaiki langkah sebelumnya &lt;b&gt;" in m.get_body(("html",)).get_content()
    for step in sop.steps:
        if step.dokumen == "lembar_disposisi":
            name = f"Lembar Disposisi Langkah {step.no}.pdf"
            assert any(name in [a.get_filename() for a in m.iter_attachments()] for m in messages), name
    distributed = [m for m in messages if m["Subject"].startswith("[sopflow] Dokumen:")]
    if any(s.distribusi for s in sop.steps):
        assert distributed, "no distribution mail"
        for m in distributed:
            for part in m.iter_attachments():
                name = part.get_filename()
                if name in people.uploads:
                    assert part.get_content() == people.uploads[name], f"{name} changed in transit"
        assert any(a.get_filename() in people.uploads for m in distributed for a in m.iter_attachments())
