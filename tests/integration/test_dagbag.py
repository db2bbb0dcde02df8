"""The repo's dags/ folder parsed by Airflow's own DagBag, as the dag-processor does.

Each parse runs in a fresh subprocess (a clean import of sopflow, Airflow and the settings) with
an environment stripped of every secret, its own AIRFLOW_HOME, and the same steps the
dag-processor takes: DagBag (import errors per file), then serialization of every DAG (a DAG
that fails to serialize is also an import error there). Schedules are checked on the
deserialized DAG, which is what the scheduler uses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
CONFIG = REPO / "config"
WIB = ZoneInfo("Asia/Jakarta")
SOP_DAG_IDS = ["sop01_renstra", "sop02_renja", "sop03_dpa", "sop04_lkjip", "sop05_data_kinerja",
               "sop06_monev_renstra", "sop07_monev_kinerja", "sop08_spp"]
PARSE_TIMEOUT = 240

SECRET_NAMES = ("SOPFLOW_SECRET_KEY", "SOPFLOW_SMTP_PASSWORD", "SOPFLOW_SMTP_USER", "AIRFLOW__API_AUTH__JWT_SECRET",
                "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__CORE__INTERNAL_API_SECRET_KEY",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__SMTP__SMTP_PASSWORD", "SOPFLOW_TEST_PG_URL")
SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "FERNET", "CREDENTIAL", "_KEY")

# Runs in the child: parse, serialize, deserialize, report as JSON on the last line of stdout.
PARSE_SCRIPT = r'''
import datetime as dt, json, os, sys, traceback
from pathlib import Path

dags_dir, bundle_path = Path(sys.argv[1]), Path(sys.argv[2])
leaked = sorted(k for k in os.environ if any(w in k.upper() for w in ("SECRET", "PASSWORD", "TOKEN", "FERNET")))

from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import DataInterval, TimeRestriction
from airflow._shared.timezones.timezone import coerce_datetime

bag = DagBag(dag_folder=dags_dir, bundle_path=bundle_path, safe_mode=False)
errors = dict(bag.import_errors)
dags = {}
for dag_id, dag in bag.dags.items():
    try:
        serialized = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    except Exception:
        errors[dag.relative_fileloc or dag.fileloc] = traceback.format_exc()
        continue
    runs = {}
    for start_text in sys.argv[3:]:
        start, last, runs[start_text] = coerce_datetime(dt.datetime.fromisoformat(start_text)), None, []
        for _ in range(6):
            info = serialized.timetable.next_dagrun_info(
                last_automated_data_interval=last, restriction=TimeRestriction(earliest=start, latest=None, catchup=True))
            if info is None:
                break
            runs[start_text].append(info.run_after.isoformat())
            last = info.data_interval
    params = {}
    for name in dag.params:
        p = dag.params.get_param(name)
        params[name] = {"schema": p.schema, "has_value": p.has_value, "value": p.value if p.has_value else None}
    dags[dag_id] = {
        "fileloc": dag.relative_fileloc,
        "tasks": list(dag.task_dict),
        "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
        "tags": sorted(dag.tags),
        "doc_md": dag.doc_md,
        "timetable": type(serialized.timetable).__name__,
        "timezone": str(getattr(serialized.timetable, "_timezone", "")),
        "runs": runs,
        "params": params,
    }
print(json.dumps({"leaked_env": leaked, "import_errors": errors, "dags": dags}, default=str))
'''


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without any secret, with a private AIRFLOW_HOME."""
    env = {k: v for k, v in os.environ.items()
           if k not in SECRET_NAMES and not any(w in k.upper() for w in SECRET_WORDS)
           and not (k.startswith("SOPFLOW_") and k not in ("SOPFLOW_POLL_SECONDS",))}
    airflow_home = tmp_path / "airflow_home"
    airflow_home.mkdir(exist_ok=True)
    env.update(AIRFLOW_HOME=str(airflow_home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__DAGS_FOLDER=str(DAGS), AIRFLOW__CORE__UNIT_TEST_MODE="False",
               AIRFLOW__CORE__PLUGINS_FOLDER=str(DAGS.parent / "plugins"),
               SOPFLOW_HOME=str(tmp_path / "sopflow_home"), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    for name in SECRET_NAMES:
        assert name not in env
    return env


SYSTEM_DAG_IDS = ["sopflow_outbox", "sopflow_reminders", "sopflow_compliance", "sop08_spp_kirim"]
START = "2026-02-15T00:00:00+00:00"
MID_PERIOD = "2033-06-30T00:00:00+00:00"


def parse(tmp_path: Path, **extra: str) -> dict:
    """Parse dags/ in a child process; each DAG's next runs are computed from START and MID_PERIOD."""
    proc = subprocess.run([sys.executable, "-c", PARSE_SCRIPT, str(DAGS), str(REPO), START, MID_PERIOD],
                          env=clean_env(tmp_path, **extra), cwd=tmp_path, capture_output=True, text=True,
                          timeout=PARSE_TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(lines[-1])
    assert report["leaked_env"] == [], "secrets reached the parse"
    return report


def sop_yaml() -> dict[str, dict]:
    out = {}
    for path in sorted((CONFIG / "sops").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[raw["id"]] = raw | {"_file": path.name}
    return out


@pytest.fixture(scope="module")
def repo_bag(tmp_path_factory) -> dict:
    return parse(tmp_path_factory.mktemp("dagbag"))


# --- the repo's dags/ as shipped ---------------------------------------------------------------------
def test_repo_dags_load_without_import_errors(repo_bag):
    assert repo_bag["import_errors"] == {}
    assert sorted(repo_bag["dags"]) == sorted(SOP_DAG_IDS + SYSTEM_DAG_IDS)


def test_every_sop_yaml_has_its_dag(repo_bag):
    assert sorted(sop_yaml()) == SOP_DAG_IDS
    for dag_id, raw in sop_yaml().items():
        expected_file = f"dags/sop{raw['_file'].removesuffix('.yaml')}.py"
        assert repo_bag["dags"][dag_id]["fileloc"] == expected_file


@pytest.mark.parametrize("dag_id", SOP_DAG_IDS)
def test_sop_dag_has_one_task_per_step_in_a_line(repo_bag, dag_id):
    raw = sop_yaml()[dag_id]
    dag = repo_bag["dags"][dag_id]
    step_ids = [s["id"] for s in sorted(raw["steps"], key=lambda s: s["no"])]
    assert [s["no"] for s in raw["steps"]] == list(range(1, len(step_ids) + 1))
    first = []
    if raw["schedule"]["cadence"] == "batch":  # the steps sit in the task group mapped over the items
        step_ids, first = [f"spj.{i}" for i in step_ids], ["kumpulkan_spj"]
    assert dag["tasks"] == first + step_ids
    assert dag["upstream"][step_ids[0]] == first
    for before, after in zip(step_ids, step_ids[1:]):
        assert dag["upstream"][after] == [before], f"{after} must follow {before} only"


@pytest.mark.parametrize("dag_id", SOP_DAG_IDS)
def test_sop_dag_tags_and_doc(repo_bag, dag_id):
    raw = sop_yaml()[dag_id]
    dag = repo_bag["dags"][dag_id]
    assert "sopflow" in dag["tags"]
    assert raw["nama"] in dag["doc_md"]
    assert raw["nomor"] in dag["doc_md"]


def test_outbox_dag(repo_bag):
    dag = repo_bag["dags"]["sopflow_outbox"]
    assert "sopflow" in dag["tags"]
    assert dag["tasks"] == ["kirim_outbox"]


def _wib(runs: dict[str, list[str]], start: str = START) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(r).astimezone(WIB) for r in runs[start]]


@pytest.mark.parametrize("dag_id", ["sop05_data_kinerja", "sop07_monev_kinerja"])
def test_quarterly_at_nine_wib(repo_bag, dag_id):
    dag = repo_bag["dags"][dag_id]
    assert dag["timetable"] == "WorkingDayTimetable"
    runs = _wib(dag["runs"])
    # The first working day of each quarter: 1 January 2027 is a holiday and 2-3 a weekend.
    assert [(r.year, r.month, r.day, r.hour, r.minute) for r in runs[:5]] == [
        (2026, 4, 1, 9, 0), (2026, 7, 1, 9, 0), (2026, 10, 1, 9, 0), (2027, 1, 4, 9, 0), (2027, 4, 1, 9, 0)]
    # 09:00 WIB is 02:00 UTC: the timetable really is in Asia/Jakarta, not 09:00 UTC.
    assert dt.datetime.fromisoformat(dag["runs"][START][0]).astimezone(dt.timezone.utc).hour == 2


@pytest.mark.parametrize("dag_id", ["sop02_renja", "sop04_lkjip", "sop06_monev_renstra"])
def test_annual(repo_bag, dag_id):
    raw = sop_yaml()[dag_id]["schedule"]
    dag = repo_bag["dags"][dag_id]
    assert raw["cadence"] == "annual"
    assert dag["timetable"] == "WorkingDayTimetable" and raw["hari_kerja"] == 1
    runs = _wib(dag["runs"])
    # The first working day of January, 09:00 WIB: never the 1 January holiday nor a weekend.
    assert [(r.year, r.month, r.day, r.hour, r.minute) for r in runs[:4]] == [
        (2027, 1, 4, 9, 0), (2028, 1, 3, 9, 0), (2029, 1, 2, 9, 0), (2030, 1, 2, 9, 0)]


def test_five_yearly_renstra(repo_bag):
    dag = repo_bag["dags"]["sop01_renstra"]
    runs = _wib(dag["runs"])
    assert [r.year for r in runs[:4]] == [2031, 2036, 2041, 2046]
    assert {(r.month, r.day, r.hour, r.minute) for r in runs} == {(1, 2, 9, 0)}


def test_five_yearly_does_not_drift_to_now(repo_bag):
    """Asked in the middle of a period (2033), the next Renstra run is still 2036, not 'now'."""
    runs = _wib(repo_bag["dags"]["sop01_renstra"]["runs"], MID_PERIOD)
    assert [r.year for r in runs[:3]] == [2036, 2041, 2046]


def test_event_dag_is_unscheduled(repo_bag):
    dag = repo_bag["dags"]["sop03_dpa"]
    assert dag["timetable"] == "NullTimetable"
    assert dag["runs"] == {START: [], MID_PERIOD: []}


@pytest.mark.parametrize("dag_id, hour", [("sop08_spp", 8), ("sop08_spp_kirim", 14)])
def test_spp_batch_and_transmittal_run_every_working_day(repo_bag, dag_id, hour):
    dag = repo_bag["dags"][dag_id]
    assert dag["timetable"] == "EveryWorkingDayTimetable"
    runs = _wib(dag["runs"], MID_PERIOD)
    assert all((r.hour, r.minute) == (hour, 0) and r.weekday() < 5 for r in runs)
    days = [r.date() for r in runs]
    assert days == sorted(set(days)) and len(days) == 6


def test_spp_batch_maps_the_steps_over_the_bundles(repo_bag):
    dag = repo_bag["dags"]["sop08_spp"]
    assert dag["tasks"][0] == "kumpulkan_spj"
    assert len(dag["tasks"]) == 14 and all(t.startswith("spj.s") for t in dag["tasks"][1:])
    assert dag["upstream"]["spj.s01_siapkan_spj"] == ["kumpulkan_spj"]
    assert dag["upstream"]["spj.s13_kirim_ke_bpkad"] == ["spj.s12_tandatangani_spm"]


def _required(params: dict, name: str) -> dict:
    assert name in params, f"param {name!r} missing"
    assert params[name]["has_value"] is False, f"param {name!r} must be asked, not defaulted"
    return params[name]["schema"]


def test_sop03_asks_for_bpkad_letter(repo_bag):
    params = repo_bag["dags"]["sop03_dpa"]["params"]
    assert _required(params, "nomor_surat")["type"] == "string"
    tanggal = _required(params, "tanggal_surat")
    assert tanggal["type"] == "string" and tanggal["format"] == "date"
    assert _required(params, "tahun_anggaran")["type"] == "integer"


# --- one broken SOP file: its DAG's import error, the others load ------------------------------------
def test_broken_sop_is_that_dag_files_import_error_only(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    target = config / "sops" / "06_monev_renstra.yaml"
    text = target.read_text(encoding="utf-8")
    old = "    pelaksana: asisten_administrasi_umum\n"
    assert old in text
    target.write_text(text.replace(old, "    pelaksana: wakil_bupati\n", 1), encoding="utf-8")  # the first such step
    step = next(s for s in yaml.safe_load(text)["steps"] if s["pelaksana"] == "asisten_administrasi_umum")

    report = parse(tmp_path, SOPFLOW_CONFIG_DIR=str(config))

    assert list(report["import_errors"]) == ["dags/sop06_monev_renstra.py"]
    error = report["import_errors"]["dags/sop06_monev_renstra.py"]
    assert "ConfigError" in error
    assert str(target) in error
    assert f"step {step['no']} ({step['id']})" in error
    assert "field 'pelaksana'" in error
    assert "unknown role 'wakil_bupati'" in error
    loaded = sorted(report["dags"])
    assert loaded == sorted(set(SOP_DAG_IDS) - {"sop06_monev_renstra"} | set(SYSTEM_DAG_IDS))


# --- no database work at parse time --------------------------------------------------------------
def test_parse_needs_no_database(tmp_path):
    report = parse(tmp_path, SOPFLOW_DATABASE_URL="sqlite:////nonexistent/dir/x.db",
                   SOPFLOW_HOME="/nonexistent/sopflow-home")
    assert report["import_errors"] == {}
    assert sorted(report["dags"]) == sorted(SOP_DAG_IDS + SYSTEM_DAG_IDS)
    assert not Path("/nonexistent").exists()
