"""Drives real Airflow DAG runs: `airflow dags test` in one process, the people in another.

The people act only through the `sopflow` CLI, as a newcomer would: list their open tasks,
mark them done with a document, send each review back once (TIDAK with a note), then approve.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def airflow_env(home: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__API_AUTH__JWT_SECRET="e2e-test-secret-" + "x" * 64,
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        SOPFLOW_HOME=str(home),
        SOPFLOW_DATABASE_URL=env.get("SOPFLOW_E2E_DATABASE_URL") or f"sqlite:///{home / 'sopflow.db'}",
        SOPFLOW_SMTP_HOST="127.0.0.1",
        SOPFLOW_SMTP_PORT=str(smtp_port),
        SOPFLOW_POLL_SECONDS="1",
        PATH=f"{BIN}:{env.get('PATH', '')}",
    )
    env.pop("SOPFLOW_CONFIG_DIR", None)
    return env


def sopflow(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "sopflow"), *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"sopflow {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


@dataclass
class People:
    """The office's people, acting on whatever is open in one DAG run."""

    env: dict
    dag_id: str
    files_dir: Path
    revised: set = field(default_factory=set)
    actions: list = field(default_factory=list)
    uploads: dict = field(default_factory=dict)  # file name -> bytes

    def upload_for(self, task: dict) -> Path:
        from sopflow.render.pdf import html_to_pdf

        name = f"{task['dag_id']} langkah {task['step_no']} putaran {task['round']}{' ' + task['bagian'] if task['bagian'] else ''}.pdf"
        path = self.files_dir / name
        if not path.exists():
            path.write_bytes(html_to_pdf(f"<h1>{task['uraian']}</h1><p>Putaran {task['round']}</p>"))
        self.uploads[name] = path.read_bytes()
        return path

    def act_once(self) -> int:
        tasks = json.loads(sopflow(self.env, "tasks", "--dag", self.dag_id, "--json").stdout)
        for task in tasks:
            who = task["assignee_email"]
            key = (task["step_id"], task["bagian"])
            if task["kind"] == "task":
                path = self.upload_for(task)
                sopflow(self.env, "done", str(task["id"]), "--by", who, "--file", str(path),
                        "--note", f"Selesai putaran {task['round']}")
                self.actions.append(("done", task["step_no"], task["round"], task["bagian"]))
            elif task["kind"] == "auto":  # waits for the system: SOP VIII's transmittal to BPKAD
                sopflow(self.env, "spj", "kirim")
                self.actions.append(("kirim", task["step_no"], task["round"], task["bagian"]))
            elif task["kind"] == "review" and key not in self.revised:
                sopflow(self.env, "revise", str(task["id"]), "--by", who,
                        "--note", f"Mohon perbaiki langkah sebelumnya <b>{task['step_no']}</b>")
                self.revised.add(key)
                self.actions.append(("revise", task["step_no"], task["round"], task["bagian"]))
            else:
                sopflow(self.env, "approve", str(task["id"]), "--by", who, "--note", "Sesuai")
                self.actions.append(("approve", task["step_no"], task["round"], task["bagian"]))
        return len(tasks)


def run_dag(env: dict, dag_id: str, conf: dict, files_dir: Path, deadline_s: float = 420) -> tuple[int, str, People]:
    """Run the DAG with `airflow dags test` while the people act; returns (exit code, output, people)."""
    people = People(env=env, dag_id=dag_id, files_dir=files_dir)
    log_path = files_dir / f"{dag_id}-airflow.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["timeout", "-s", "KILL", str(int(deadline_s)), str(BIN / "airflow"), "dags", "test", dag_id,
             "-c", json.dumps(conf)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        start = time.monotonic()
        while proc.poll() is None and time.monotonic() - start < deadline_s:
            people.act_once()
            time.sleep(0.5)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return proc.returncode, log_path.read_text(errors="replace"), people


# --- SOP VIII: SPJ bundles as a BPP submits them ------------------------------------------------------
BPP = "lilis.suryaningsih@example.org"
GU_DOCS = ["SPTJM SPP", "Pernyataan KPA SPD", "Pernyataan Pengajuan SPM GU/LS", "Bukti Pertanggungjawaban"]
GU_ROWS = [
    [1, "15-03-2027", "KW-001/2027", "5.1.02.01.01.0024", "Alat tulis kantor", 1000000, "CV Sumber Rejeki", "110.000", 0],
    [2, "16-03-2027", "KW-002/2027", "5.1.02.01.01.0026", "Kertas HVS", "234.567,89", "Toko Makmur", None, None],
]


def spj_file(env: dict, files: Path, name: str, jenis: str, total: str, rows: list[list]) -> Path:
    """The XLSX template from `sopflow spj template`, filled in as a BPP does in Excel."""
    from openpyxl import load_workbook

    template = files / "templat.xlsx"
    if not template.exists():
        sopflow(env, "spj", "template", str(template))
    wb = load_workbook(template)
    values = {"Jenis SPP": jenis, "Tahun Anggaran": 2027, "Sub Kegiatan": "4.01.01.2.01.0001",
              "Uraian": f"SPP-{jenis} Maret 2027 Bagian Perencanaan dan Keuangan", "Jumlah Total": total,
              "Email BPP": BPP}
    for row in wb["Ajuan"].iter_rows(min_col=1, max_col=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    for r in rows:
        wb["Rincian"].append(r)
    out = files / name
    wb.save(out)
    return out


def spj_attachments(files: Path, names: list[str]) -> list[str]:
    """`--lampiran JENIS=PATH` arguments for small real PDFs of these kinds."""
    from sopflow.render.pdf import html_to_pdf

    args = []
    for name in names:
        path = files / f"{name.replace('/', '-')}.pdf"
        if not path.exists():
            path.write_bytes(html_to_pdf(f"<p>{name}</p>"))
        args += ["--lampiran", f"{name}={path}"]
    return args


def submit_spj(env: dict, files: Path, jenis: str, total: str, rows: list[list], docs: list[str],
               check: bool = True) -> subprocess.CompletedProcess:
    path = spj_file(env, files, f"{jenis.lower()}-{len(list(files.glob('*.xlsx')))}.xlsx", jenis, total, rows)
    return sopflow(env, "spj", "submit", str(path), "--by", BPP, *spj_attachments(files, docs), check=check)
