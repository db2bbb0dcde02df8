"""Every SOP of the decree as a real Airflow run, end to end.

`airflow dags test` runs the DAG (deferrable human steps resume through their trigger) while a
helper acts as the people through the `sopflow` CLI: each review step first says TIDAK with a
note, the work is revised, then the reviewer says IYA. The mails arrive at a real SMTP sink.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict

import pytest
from sqlalchemy import select

from harness import BIN, airflow_env, run_dag

pytestmark = pytest.mark.e2e

CONF = {
    "sop01_renstra": {},
    "sop02_renja": {},
    "sop03_dpa": {"nomor_surat": "900/412/409.108/2026", "tanggal_surat": "2026-11-30", "tahun_anggaran": 2027},
    "sop04_lkjip": {},
    "sop05_data_kinerja": {},
    "sop06_monev_renstra": {},
    "sop07_monev_kinerja": {},
    "sop08_spp": {"jenis_spp": "GU", "jumlah": "12500000", "uraian": "GU belanja ATK Bagian Umum",
                  "tahun_anggaran": 2026},
}


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e")
    env = airflow_env(home, 0)
    result = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return home


def _run_state(env: dict, dag_id: str) -> str:
    out = subprocess.run([str(BIN / "airflow"), "dags", "list-runs", dag_id, "-o", "json"], env=env,
                         capture_output=True, text=True, timeout=120)
    runs = next(json.loads(line) for line in reversed(out.stdout.splitlines()) if line.startswith("[{"))
    assert len(runs) == 1, runs
    return runs[0]["state"]


@pytest.mark.parametrize("dag_id", list(CONF))
def test_sop_runs_to_success_with_a_revision_round(dag_id, airflow_home, mail_sink, tmp_path, monkeypatch):
    from sopflow.domain.office import load_office
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope
    from sopflow.store.models import Decision, StepInstance

    env = airflow_env(airflow_home, mail_sink.port)
    files = tmp_path / "files"
    files.mkdir()
    code, log, people = run_dag(env, dag_id, CONF[dag_id], files)
    assert code == 0, f"airflow dags test exited {code}:\n{log[-4000:]}"
    assert _run_state(env, dag_id) == "success", log[-4000:]

    # --- the domain record: every step through, every review revised once, then approved ----------
    monkeypatch.setenv("SOPFLOW_HOME", env["SOPFLOW_HOME"])
    sop = load_office(get_settings().config_dir).sop(dag_id)
    with session_scope(env["SOPFLOW_DATABASE_URL"]) as session:
        rows = list(session.scalars(select(StepInstance).where(StepInstance.dag_id == dag_id)))
        decisions = [(d.step_instance.step_id, d.step_instance.bagian, d.decision, d.note)
                     for d in session.scalars(select(Decision).join(StepInstance).where(StepInstance.dag_id == dag_id))]
        run_ids = {r.run_id for r in rows}
        instances = [(r.id, r.step_id, r.step_no, r.kind, r.bagian, r.round, r.status, list(r.candidates)) for r in rows]
    assert len(run_ids) == 1
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
    messages = mail_sink.messages()
    subjects = defaultdict(list)
    for m in messages:
        subjects[m["To"].addresses[0].addr_spec].append(m)
    for inst_id, step_id, step_no, kind, bagian, round_, status, candidates in instances:
        if kind == "auto":
            continue
        for email in candidates:
            mine = [m for m in subjects[email] if f"Langkah {step_no}:" in m["Subject"]]
            assert mine, f"no task mail to {email} for step {step_no}"
            assert any(sop.nama in m["Subject"] for m in mine)
    revision_mails = [m for m in messages if "Revisi" in m["Subject"]]
    assert revision_mails, "no revision mail"
    for m in revision_mails:
        text = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        assert "Mohon perbaiki langkah sebelumnya <b>" in text
        assert "&lt;b&gt;" in html and "<b>" + "" not in html.split("Mohon perbaiki")[1][:40]
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
