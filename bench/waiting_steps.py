"""Twenty human steps waiting at once in a real `airflow standalone`: what they hold, and how fast
the next step's email follows a person's `sopflow done`.

Setup (all private to this run, removed at the end): SOPFLOW_HOME/AIRFLOW_HOME in a temp dir,
SQLite for both databases, LocalExecutor with PARALLELISM 4, the API on 127.0.0.1:8093 (with
[api] base_url pointing there, so task workers talk to THIS server's execution API), free ports
for the two log servers, a MailSink on a free port, SOPFLOW_POLL_SECONDS=2.

Steps
  1. trigger --runs (20) runs of sop03_dpa (one per BPKAD letter; the triggered SOP) through the
     REST API, so that --runs human steps wait at once. (SOP VIII is a daily batch now, so it is no
     longer the triggered SOP it was when the first figures were taken.) Wait until `sopflow tasks
     --json` shows them open.
  2. (a) slots: task instances by state (metadata DB, cross-checked with the REST API), trigger
     rows, and the LocalExecutor worker processes (process titles: "<idle>" or busy).
  3. (b) for --k (10) of the runs, one after the other: `sopflow done ID --by EMAIL` on
     step 1, then the time until the step-2 task email ("Langkah 2:", to one of the step's people)
     is stored by the sink (the sink's file name holds its UTC arrival time, to the microsecond);
     broken down with the task instances' timestamps.
  4. Peak RSS and PSS of the standalone process tree (psutil, sampled every 3 s).
Standalone is stopped in a finally: SIGINT to its process group, wait, SIGKILL what is left.

    .venv/bin/python bench/waiting_steps.py [--runs 20] [--k 10] [--port 8093] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BENCH_DAG = "sop03_dpa"  # triggered, one run per BPKAD letter; step 1 the Sekda's, step 2 the Kabag's
DPA_CONF = {"nomor_surat": "900/1/409.1.2/2026", "tanggal_surat": "2026-03-02", "tahun_anggaran": 2026}
UTC = dt.timezone.utc
T_START = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T_START:6.1f}s] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- the standalone process tree ----------------------------------------------------------------
class Standalone:
    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path = env, log_path
        self.proc: subprocess.Popen | None = None
        self.seen: dict[int, float] = {}  # pid -> create_time of every process of the tree seen
        self.peak = {"rss": 0, "pss": 0, "procs": 0, "rss_at": 0.0, "pss_at": 0.0}
        self._stop = threading.Event()
        self.clean = True
        self._sampler: threading.Thread | None = None

    def start(self) -> None:
        def child_setup() -> None:
            os.setsid()  # its own process group, so one signal reaches every component
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # a non-interactive parent may have it ignored

        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(BIN / "airflow"), "standalone"], env=self.env, cwd=str(REPO),
                                     stdout=self.log_file, stderr=subprocess.STDOUT, preexec_fn=child_setup)
        self.pgid = self.proc.pid
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _sample(self) -> None:
        while not self._stop.wait(3.0):
            rss = pss = 0
            procs = self.tree()
            for p in procs:
                try:
                    self.seen.setdefault(p.pid, p.create_time())
                    mem = p.memory_full_info()
                    rss += mem.rss
                    pss += getattr(mem, "pss", 0)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            now = time.monotonic() - T_START
            if rss > self.peak["rss"]:
                self.peak.update(rss=rss, rss_at=now)
            if pss > self.peak["pss"]:
                self.peak.update(pss=pss, pss_at=now)
            self.peak["procs"] = max(self.peak["procs"], len(procs))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        self._stop.set()
        for p in self.tree():  # a last look, so leftovers that left the group can be found
            try:
                self.seen.setdefault(p.pid, p.create_time())
            except psutil.NoSuchProcess:
                pass
        t = time.monotonic()
        # SIGINT to the whole group (what Ctrl-C does); SIGTERM to what is left after 30 s; SIGKILL after 15 s more.
        for sig, wait in ((signal.SIGINT, 30), (signal.SIGTERM, 15)):
            left = self._leftovers()
            if not left:
                break
            if sig == signal.SIGTERM:
                log(f"still running {wait_before:.0f} s after SIGINT: {self._describe(left)}; sending SIGTERM")
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                pass
            for target in left:  # any of our processes that left the group
                try:
                    if os.getpgid(target.pid) != self.pgid:
                        target.send_signal(sig)
                except (psutil.NoSuchProcess, ProcessLookupError):
                    pass
            wait_before, deadline = wait, time.monotonic() + wait
            while time.monotonic() < deadline and self._leftovers():
                time.sleep(0.5)
        left = self._leftovers()
        if left:
            log(f"still running after SIGTERM: {self._describe(left)}; sending SIGKILL")
        for p in left:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.clean = not left
        log(f"standalone stopped in {time.monotonic() - t:.1f} s (exit {self.proc.poll()}); "
            f"{'cleanly' if not left else f'{len(left)} process(es) had to be killed'}")
        self.log_file.close()

    @staticmethod
    def _describe(procs: list[psutil.Process]) -> str:
        out = []
        for p in procs:
            try:
                out.append(f"{p.pid} {' '.join(p.cmdline())[:70]!r}")
            except psutil.NoSuchProcess:
                pass
        return "; ".join(out)

    def _leftovers(self) -> list[psutil.Process]:
        """Our processes still alive: in the standalone's process group, or seen in its tree."""
        out = []
        for pid, created in self.seen.items():
            try:
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except psutil.NoSuchProcess:
                pass
        for p in psutil.process_iter():
            try:
                if p.pid not in self.seen and os.getpgid(p.pid) == self.pgid and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except (psutil.NoSuchProcess, ProcessLookupError):
                pass
        return out


# --- talking to it --------------------------------------------------------------------------------
class Api:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.token: str | None = None

    def call(self, method: str, path: str, body=None, timeout: float = 30, attempts: int = 4):
        """One REST call. A 5xx is tried again (up to `attempts` times): on SQLite the API server
        answers 500 when the scheduler holds the database's write lock at that moment."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(1, attempts + 1):
            req = urllib.request.Request(self.base + path, data=data, method=method)
            req.add_header("Content-Type", "application/json")
            if self.token:
                req.add_header("Authorization", f"Bearer {self.token}")
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    raw = resp.read()
                    return resp.status, (json.loads(raw) if raw else None)
            except urllib.error.HTTPError as exc:
                if exc.code < 500 or attempt == attempts:
                    raise
                print(f"  ({method} {path}: HTTP {exc.code}, trying again)", flush=True)
                time.sleep(2 * attempt)

    def login(self, airflow_home: Path) -> None:
        pw_file = airflow_home / "simple_auth_manager_passwords.json.generated"
        password = json.loads(pw_file.read_text())["admin"]
        _, body = self.call("POST", "/auth/token", {"username": "admin", "password": password})
        self.token = body["access_token"]


def run_cli(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    r = subprocess.run([str(BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True, timeout=timeout,
                       cwd=str(REPO))
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return r


def open_tasks(env: dict) -> list[dict]:
    return [t for t in json.loads(run_cli(env, "sopflow", "tasks", "--json").stdout) if t["status"] == "open"]


def meta_query(db: Path, sql: str, args=()) -> list[tuple]:
    for attempt in range(20):
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                return con.execute(sql, args).fetchall()
            finally:
                con.close()
        except sqlite3.OperationalError as exc:  # locked for a moment by the scheduler
            if attempt == 19:
                raise
            time.sleep(0.25)
    return []


def parse_ts(value) -> dt.datetime | None:
    if value is None:
        return None
    d = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def worker_procs(sa: Standalone) -> tuple[list[tuple[int, str]], int]:
    """LocalExecutor workers of our tree (pid, process title: "... <idle>" or the task it runs), and
    how many processes run under them (a busy worker supervises a forked task process)."""
    titles = {}
    for p in sa.tree():
        try:
            titles[p.pid] = (" ".join(p.cmdline()), p.ppid())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    prefix = "airflow worker -- LocalExecutor"
    workers = [(pid, t) for pid, (t, ppid) in titles.items()
               if t.startswith(prefix) and not titles.get(ppid, ("", 0))[0].startswith(prefix)]
    ids = {pid for pid, _ in workers}
    under = sum(1 for pid, (t, ppid) in titles.items() if ppid in ids)
    return workers, under


def component(title: str) -> str:
    for name in ("scheduler", "triggerer", "dag-processor", "api_server", "standalone"):
        if f"airflow {name}" in title:
            return name
    if title.startswith("airflow worker -- LocalExecutor"):
        return "executor workers"
    return "other"


def cpu_by_component(sa: Standalone, window: float) -> dict[str, float]:
    def snapshot() -> dict[int, tuple[str, float]]:
        out = {}
        for p in sa.tree():
            try:
                t = p.cpu_times()
                out[p.pid] = (component(" ".join(p.cmdline())), t.user + t.system + t.children_user + t.children_system)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return out

    before = snapshot()
    time.sleep(window)
    after = snapshot()
    usage: dict[str, float] = {}
    for pid, (name, cpu) in after.items():
        usage[name] = usage.get(name, 0.0) + (cpu - before.get(pid, (name, 0.0))[1]) / window * 100
    return usage


def step_opening_times(logs: Path) -> list[tuple[float, float]]:
    """(task start -> deferred, DAG-file parse) in seconds, for each sensor's first execution."""
    out = []
    for f in logs.glob("dag_id=*/run_id=*/task_id=s01_*/attempt=1.log"):
        stamps: dict[str, dt.datetime] = {}
        for line in f.read_text(errors="replace").splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            ev = str(e.get("event", ""))
            key = ("start" if ev == "::group::Pre Execute" else "parse0" if ev.startswith("Filling up the DagBag")
                   else "parse1" if ev == "Worker startup parse complete" else "deferred" if "DEFERRED" in ev else None)
            if key and key not in stamps and "timestamp" in e:
                stamps[key] = parse_ts(e["timestamp"])
        if len(stamps) == 4:
            out.append(((stamps["deferred"] - stamps["start"]).total_seconds(),
                        (stamps["parse1"] - stamps["parse0"]).total_seconds()))
    return out


def triggerer_blocked(log_path: Path) -> list[float]:
    pat = re.compile(r"Triggerer's async thread was blocked for ([0-9.]+) seconds")
    return [float(m.group(1)) for m in pat.finditer(log_path.read_text(errors="replace"))]


# --- mail -----------------------------------------------------------------------------------------
STAMP = re.compile(r"^(\d{8}T\d{6}\.\d{6})Z-")


def read_mail(path: Path) -> dict:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = ""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_content()
            break
    m = re.search(r"Nomor tugas\s*:\s*(\d+)", text)
    return {
        "arrived": dt.datetime.strptime(STAMP.match(path.name).group(1), "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC),
        "subject": str(msg["Subject"] or ""),
        "to": [str(v).strip().lower() for v in msg.get_all("X-Original-To", [])],
        "task_id": int(m.group(1)) if m else None,
    }


def wait_for_mail(directory: Path, seen: set[str], subject_part: str, recipients: set[str],
                  deadline: float) -> tuple[Path, dict] | None:
    while time.monotonic() < deadline:
        for path in sorted(directory.glob("*.eml")):
            if path.name in seen:
                continue
            seen.add(path.name)
            info = read_mail(path)
            if subject_part in info["subject"] and recipients & set(info["to"]):
                return path, info
        time.sleep(0.1)
    return None


# --- the benchmark ----------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="human steps to have waiting at once")
    ap.add_argument("--k", type=int, default=10, help="runs to advance, one by one, timing the next email")
    ap.add_argument("--port", type=int, default=8093)
    ap.add_argument("--budget", type=float, default=510, help="seconds before giving up (shutdown comes after)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, databases, mail)")
    args = ap.parse_args()
    hard_deadline = time.monotonic() + args.budget

    def remaining() -> float:
        return hard_deadline - time.monotonic()

    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.2f}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}", flush=True)
    if port_in_use(args.port):
        print(f"port {args.port} is in use: pick another with --port", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="sopflow-bench-wait-"))
    home, mail_dir = tmp / "home", tmp / "mail"
    airflow_home = home / "airflow"
    for d in (home, mail_dir, airflow_home):
        d.mkdir(parents=True, exist_ok=True)

    from sopflow.mailsink import MailSink

    sink = MailSink("127.0.0.1", 0, mail_dir).start()
    env = dict(os.environ)
    env.pop("SOPFLOW_CONFIG_DIR", None)
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        SOPFLOW_HOME=str(home), AIRFLOW_HOME=str(airflow_home),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"), AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__API__HOST="127.0.0.1", AIRFLOW__API__PORT=str(args.port),
        # Without this the workers' execution-API URL defaults to http://localhost:8080/execution/.
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{args.port}",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(64),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        SOPFLOW_DATABASE_URL=f"sqlite:///{home / 'sopflow.db'}",
        SOPFLOW_SMTP_HOST="127.0.0.1", SOPFLOW_SMTP_PORT=str(sink.port), SOPFLOW_MAIL_DIR=str(mail_dir),
        SOPFLOW_BASE_URL=f"http://127.0.0.1:{args.port}/sop", SOPFLOW_POLL_SECONDS="2",
    )
    meta_db = airflow_home / "airflow.db"
    sa = Standalone(env, tmp / "airflow-standalone.log")
    api = Api(args.port)
    ok = False
    try:
        run_cli(env, "sopflow", "db", "upgrade")
        log("sopflow db upgrade done; starting standalone (it creates its own metadata DB)")

        t_start = time.monotonic()
        sa.start()
        while True:
            if not sa.alive():
                raise RuntimeError(f"standalone exited ({sa.proc.returncode}); see {sa.log_path}")
            if remaining() < 0:
                raise RuntimeError("API never answered")
            try:
                if api.call("GET", "/api/v2/monitor/health", timeout=5)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(1)
        log(f"API answers after {time.monotonic() - t_start:.0f} s")
        while True:
            try:
                api.login(airflow_home)
                break
            except (FileNotFoundError, KeyError, urllib.error.URLError, json.JSONDecodeError):
                if remaining() < 0:
                    raise
                time.sleep(1)

        # Both triggered-only DAGs parsed and registered?
        dags = {}
        for dag_id in ("sop03_dpa",):
            while True:
                try:
                    dags[dag_id] = api.call("GET", f"/api/v2/dags/{dag_id}")[1]
                    break
                except urllib.error.HTTPError as exc:
                    if exc.code != 404 or remaining() < 0:
                        raise
                    time.sleep(1)
        log(f"DAGs registered {time.monotonic() - t_start:.0f} s after start; "
            + "; ".join(f"{d}: is_paused={v['is_paused']}, max_active_runs={v['max_active_runs']}" for d, v in dags.items()))
        for dag_id, v in dags.items():
            if v["is_paused"]:
                log(f"NOTE: {dag_id} is paused after creation; unpausing it for the benchmark")
                api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

        # 1. the runs
        spp_runs = args.runs
        t_trigger = time.monotonic()
        run_ids = []
        for i in range(spp_runs):
            run_ids.append(api.call("POST", f"/api/v2/dags/{BENCH_DAG}/dagRuns",
                                    {"logical_date": None,
                                     "conf": {**DPA_CONF, "nomor_surat": f"900/{i + 1}/409.1.2/2026"}})[1]["dag_run_id"])
        log(f"triggered {spp_runs} runs of {BENCH_DAG} in {time.monotonic() - t_trigger:.1f} s (REST API)")
        expected_spp = min(spp_runs, dags[BENCH_DAG]["max_active_runs"] or spp_runs)

        def wait_open(n: int, what: str) -> list[dict]:
            last = -1
            while True:
                tasks = open_tasks(env)
                if len(tasks) != last:
                    log(f"  open tasks: {len(tasks)} / {n}")
                    last = len(tasks)
                if len(tasks) >= n:
                    return tasks
                if remaining() < 0 or not sa.alive():
                    raise RuntimeError(f"only {len(tasks)} of {n} {what} opened in time")
                time.sleep(2)

        tasks = wait_open(expected_spp, f"{BENCH_DAG} steps")
        log(f"{len(tasks)} steps open {time.monotonic() - t_trigger:.0f} s after the first trigger")
        if expected_spp < spp_runs:
            time.sleep(5)  # give the scheduler every chance to start the rest
            states = dict(meta_query(meta_db, f"SELECT state, count(*) FROM dag_run WHERE dag_id='{BENCH_DAG}' GROUP BY state"))
            log(f"{BENCH_DAG} runs by state 5 s later: {states} (max_active_runs={dags[BENCH_DAG]['max_active_runs']}): "
                f"{spp_runs - expected_spp} SPJ requests wait queued until a running one finishes")
            extra = spp_runs - expected_spp
            for i in range(extra):
                api.call("POST", "/api/v2/dags/sop03_dpa/dagRuns",
                         {"logical_date": None, "conf": {**DPA_CONF, "nomor_surat": f"900/{i + 1}/409.1.2/2026"}})
            log(f"triggered {extra} runs of sop03_dpa to have {args.runs} human steps waiting")
            tasks = wait_open(args.runs, "steps")
        t_all_open = time.monotonic() - t_trigger
        log(f"{len(tasks)} human steps open {t_all_open:.0f} s after the first trigger")

        # Mail of the first round: one per recipient per step?
        first_round = [read_mail(p) for p in sorted(mail_dir.glob("*.eml"))]
        log(f"task emails stored so far: {len(first_round)}")

        # 2. (a) slots. Let the last sensors reach `deferred` first.
        settle = time.monotonic() + 60
        while time.monotonic() < settle:
            by_state = dict(meta_query(meta_db, "SELECT state, count(*) FROM task_instance GROUP BY state"))
            if by_state.get("deferred", 0) >= args.runs and not by_state.get("running") and not by_state.get("queued") \
                    and not by_state.get("scheduled"):
                break
            time.sleep(1)
        time.sleep(3)
        by_state = dict(meta_query(meta_db, "SELECT coalesce(state, 'none'), count(*) FROM task_instance GROUP BY state"))
        triggers = meta_query(meta_db, "SELECT count(*), count(DISTINCT triggerer_id) FROM trigger")[0]
        rest = {}
        for state in ("running", "deferred", "queued"):
            rest[state] = api.call("GET", f"/api/v2/dags/~/dagRuns/~/taskInstances?state={state}&limit=1")[1]["total_entries"]
        workers, under_workers = worker_procs(sa)
        busy = [w for w in workers if not w[1].rstrip().endswith("<idle>")]
        runs_by_state = meta_query(meta_db, "SELECT dag_id, state, count(*) FROM dag_run GROUP BY dag_id, state ORDER BY dag_id")
        print("\n== (a) what the waiting steps hold ==")
        print(f"  task instances by state (metadata DB): {by_state}")
        print(f"  REST API: running={rest['running']} deferred={rest['deferred']} queued={rest['queued']}")
        print(f"  trigger rows: {triggers[0]} (held by {triggers[1]} triggerer)")
        print(f"  LocalExecutor worker processes: {len(workers)}, busy: {len(busy)}"
              + (f" ({'; '.join(t for _, t in busy)})" if busy else "")
              + f"; task processes under them: {under_workers}")
        print(f"  dag runs: " + ", ".join(f"{d} {s}={n}" for d, s, n in runs_by_state))
        paused = meta_query(meta_db, "SELECT dag_id, is_paused FROM dag ORDER BY dag_id")
        print(f"  paused DAGs: {', '.join(d for d, p in paused if p) or 'none'}")
        print(f"  time from the first trigger until {args.runs} steps were open: {t_all_open:.0f} s; "
              f"task emails for them: {len(first_round)}")
        opening = step_opening_times(airflow_home / "logs")
        if opening:
            tot, prs = [o[0] for o in opening], [o[1] for o in opening]
            print(f"  opening one step (task logs, {len(opening)} sensors: task start -> deferred): median "
                  f"{statistics.median(tot):.1f} s, max {max(tot):.1f} s; of which parsing the DAG file in the task: "
                  f"median {statistics.median(prs):.1f} s, max {max(prs):.1f} s")
        cpu = cpu_by_component(sa, 10.0)
        print("  CPU while the steps wait (10 s window, % of one core): "
              + ", ".join(f"{name} {pct:.0f}%" for name, pct in sorted(cpu.items(), key=lambda kv: -kv[1])))

        # 3. (b) the next step's email after `sopflow done`
        spp_tasks = sorted((t for t in tasks if t["dag_id"] == BENCH_DAG and t["step_no"] == 1), key=lambda t: t["id"])
        sample = spp_tasks[:args.k]
        from sopflow.domain.office import load_office  # who step 2 goes to (the Kabag for SOP III)

        office = load_office(REPO / "config")
        step2_people = {p.email for p in office.staff.members(office.sop(BENCH_DAG).steps[1].pelaksana)}
        print(f"\n== (b) `sopflow done` on step 1 -> step-2 task email stored by the sink, {len(sample)} runs one by one ==")
        seen = {p.name for p in mail_dir.glob("*.eml")}
        results = []
        for n, task in enumerate(sample, 1):
            if remaining() < 35:
                print(f"  (time budget spent: stopping after {n - 1} runs)")
                break
            t_cmd = time.monotonic()
            run_cli(env, "sopflow", "done", str(task["id"]), "--by", task["assignee_email"], "--note", "bench")
            t0 = dt.datetime.now(UTC)
            cmd_s = time.monotonic() - t_cmd
            got = wait_for_mail(mail_dir, seen, "Langkah 2:", step2_people, min(time.monotonic() + 150, hard_deadline))
            if got is None:
                print(f"  run {n:2}: task {task['id']}: NO step-2 email within 150 s")
                results.append({"task": task, "latency": None})
                continue
            path, info = got
            latency = (info["arrived"] - t0).total_seconds()
            tis = {row[0]: row[1:] for row in meta_query(
                meta_db, "SELECT task_id, queued_dttm, start_date, end_date FROM task_instance WHERE dag_id=? AND run_id=?",
                (BENCH_DAG, task["run_id"]))}
            s1_end = parse_ts(tis.get("s01_terima_surat_bpkad", (None, None, None))[2])
            s2_q, s2_start = (parse_ts(v) for v in tis.get("s02_tugaskan_perencana", (None, None, None))[:2])
            parts = ""
            if s1_end and s2_q and s2_start:
                parts = (f"done->step 1 success {(s1_end - t0).total_seconds():5.1f} s, ->step 2 queued "
                         f"{(s2_q - s1_end).total_seconds():4.1f} s, ->started {(s2_start - s2_q).total_seconds():4.1f} s, "
                         f"->mail {(info['arrived'] - s2_start).total_seconds():4.1f} s")
            print(f"  run {n:2}: task {task['id']:3} -> {latency:5.1f} s  (`sopflow done` took {cmd_s:.1f} s; {parts})",
                  flush=True)
            results.append({"task": task, "latency": latency, "mail_task_id": info["task_id"], "to": info["to"]})
        # Each email is the step-2 instance of the run that was advanced?
        if results:
            by_id = {t["id"]: t for t in json.loads(run_cli(env, "sopflow", "tasks", "--json", "--status", "all").stdout)}
            wrong = [r for r in results if r["latency"] is not None and
                     (by_id.get(r["mail_task_id"], {}).get("run_id") != r["task"]["run_id"]
                      or by_id.get(r["mail_task_id"], {}).get("step_no") != 2)]
            if wrong:
                print(f"  WARNING: {len(wrong)} email(s) were not the step-2 task of the run that was advanced")
        lat = [r["latency"] for r in results if r["latency"] is not None]
        if lat:
            print(f"  median {statistics.median(lat):.1f} s, max {max(lat):.1f} s, min {min(lat):.1f} s "
                  f"over {len(lat)} runs (SOPFLOW_POLL_SECONDS=2){'; ' + str(len(results) - len(lat)) + ' missing' if len(lat) < len(results) else ''}")
        ok = bool(lat) and len(lat) == len(results)
    except Exception as exc:
        print(f"\nBENCHMARK FAILED: {exc.__class__.__name__}: {exc}", flush=True)
        print(f"  standalone log: {sa.log_path} (kept)", flush=True)
        args.keep = True
    finally:
        sa.stop()
        sink.stop()
        if sa.log_path.exists():
            blocked = triggerer_blocked(sa.log_path)
            if blocked:
                print(f"\ntriggerer warned {len(blocked)} time(s) that its async thread was blocked "
                      f"(> 0.2 s; max {max(blocked):.2f} s, total {sum(blocked):.1f} s)")
        print("\n== memory of the standalone process tree (psutil, sampled every 3 s) ==")
        print(f"  peak RSS {sa.peak['rss'] / 2**20:.0f} MiB, peak PSS {sa.peak['pss'] / 2**20:.0f} MiB, "
              f"up to {sa.peak['procs']} processes")
        print(f"(load average at end {os.getloadavg()[0]:.2f}; took {time.monotonic() - T_START:.0f} s)")
        if not sa.clean:
            args.keep = True  # its log tells what held the shutdown up
        if args.keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
