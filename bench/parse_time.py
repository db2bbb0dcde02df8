"""Parse time of dags/ (SOP DAGs built from YAML by the factory) versus bench/handwritten/ (the
same DAGs written out as literal Airflow code), measured with Airflow's DagBag.

The two folders timed are temp copies of dags/sopNN_*.py (eight two-line files calling
dag_from_yaml) and of bench/handwritten/sopNN_*.py, so that other DAG files in dags/ (outbox,
reminders, ...) stay out of the comparison. Before timing, every handwritten DAG is checked to
serialize exactly like its factory twin (Airflow's own DAG serialization, file location aside).

Figures (medians over N):
  warm   one process per folder: a first DagBag(folder) is thrown away (it pays the imports of
         airflow.sdk, sopflow.*, PyYAML), then N more DagBag(folder) are timed. DagBag executes
         every file again each time (fresh module names), so this is the steady-state cost the
         dag-processor pays per re-parse once its process has the libraries imported.
  cold   N fresh processes per folder (alternating): time of the first DagBag(folder) after
         `from airflow.dag_processing.dagbag import DagBag`, plus the wall time of the whole
         process. Run twice: with the environment as it is (this sandbox and the Dockerfile set
         PYTHONDONTWRITEBYTECODE=1 and the venv holds no .pyc files, so every process compiles
         what it imports) and with a private bytecode cache (PYTHONPYCACHEPREFIX, primed first).
  import `import sopflow.airflow.factory` in a fresh process: on top of an already imported
         airflow.sdk (what the factory adds) and from nothing.

    .venv/bin/python bench/parse_time.py [--warm 10] [--cold 10] [--cold-nopyc 3] [--imports 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SOURCES = {"factory": REPO / "dags", "handwritten": BENCH / "handwritten"}
FOLDERS: dict[str, Path] = {}  # temp copies, filled by main()
N_DAGS = 8
MARK = "BENCH_RESULT "


# --- worker side (runs in the measured subprocesses) ------------------------------------------
def _emit(obj) -> None:
    print(MARK + json.dumps(obj), flush=True)


def worker(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "cold":
        t0 = time.perf_counter()
        from airflow.dag_processing.dagbag import DagBag
        t1 = time.perf_counter()
        bag = DagBag(argv[1])
        t2 = time.perf_counter()
        _emit({"import_s": t1 - t0, "parse_s": t2 - t1, "dags": len(bag.dags), "errors": len(bag.import_errors)})
    elif mode == "warm":
        from airflow.dag_processing.dagbag import DagBag
        folder, n = argv[1], int(argv[2])
        first = time.perf_counter()
        DagBag(folder)
        first = time.perf_counter() - first
        times, per_file = [], {}
        for _ in range(n):
            t = time.perf_counter()
            bag = DagBag(folder)
            times.append(time.perf_counter() - t)
            for stat in bag.dagbag_stats:
                per_file.setdefault(Path(stat.file).name, []).append(stat.duration.total_seconds())
            assert len(bag.dags) == N_DAGS and not bag.import_errors, (bag.dags.keys(), bag.import_errors)
        _emit({"first_s": first, "times_s": times, "per_file_s": {k: statistics.median(v) for k, v in per_file.items()}})
    elif mode == "import":
        t0 = time.perf_counter()
        if argv[1] == "after-sdk":
            import airflow.sdk  # noqa: F401
        t1 = time.perf_counter()
        import sopflow.airflow.factory  # noqa: F401
        t2 = time.perf_counter()
        _emit({"base_s": t1 - t0, "factory_s": t2 - t1})
    elif mode == "check":
        from airflow.dag_processing.dagbag import DagBag
        from airflow.serialization.serialized_objects import DagSerialization

        bags = {name: DagBag(folder) for name, folder in zip(("factory", "handwritten"), argv[1:3])}
        problems = []
        for name, bag in bags.items():
            if bag.import_errors:
                problems.append(f"{name}: import errors {bag.import_errors}")
        if set(bags["factory"].dags) != set(bags["handwritten"].dags):
            problems.append(f"DAG ids differ: {sorted(bags['factory'].dags)} vs {sorted(bags['handwritten'].dags)}")

        def canon(dag) -> dict:
            d = DagSerialization.to_dict(dag)["dag"]
            for key in ("fileloc", "relative_fileloc"):
                d.pop(key, None)
            return json.loads(json.dumps(d, sort_keys=True, default=str))

        for dag_id in sorted(set(bags["factory"].dags) & set(bags["handwritten"].dags)):
            a, b = canon(bags["factory"].dags[dag_id]), canon(bags["handwritten"].dags[dag_id])
            diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            if diff:
                problems.append(f"{dag_id}: serialized DAGs differ in {diff}")
        _emit({"dags": sorted(bags["factory"].dags), "problems": problems})
    else:
        raise SystemExit(f"unknown worker mode {mode}")


# --- driver side --------------------------------------------------------------------------------
def base_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("SOPFLOW_POLL_SECONDS", "SOPFLOW_CONFIG_DIR", "SOPFLOW_DATABASE_URL", "PYTHONPYCACHEPREFIX"):
        env.pop(name, None)  # the handwritten twins carry the default poll_seconds (10.0) literally
    env.update(
        SOPFLOW_HOME=str(tmp / "sopflow"),
        AIRFLOW_HOME=str(tmp / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        AIRFLOW__API_AUTH__JWT_SECRET="bench-parse-time-" + "x" * 64,
    )
    (tmp / "sopflow").mkdir(parents=True, exist_ok=True)
    (tmp / "airflow").mkdir(parents=True, exist_ok=True)
    return env


def with_pyc(env: dict[str, str], cache: Path) -> dict[str, str]:
    env = dict(env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def run_worker(env: dict, *args: str, timeout: float = 300) -> tuple[dict, float]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=str(REPO))
    wall = time.perf_counter() - t
    lines = [l for l in proc.stdout.splitlines() if l.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"worker {args} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1][len(MARK):]), wall


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def med(values) -> float:
    return statistics.median(values)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warm", type=int, default=10, help="timed re-parses per folder in one warm process")
    ap.add_argument("--cold", type=int, default=10, help="fresh processes per folder, with a bytecode cache")
    ap.add_argument("--cold-nopyc", type=int, default=3, help="fresh processes per folder, environment as is (0: skip)")
    ap.add_argument("--imports", type=int, default=5, help="fresh processes per import measurement")
    args = ap.parse_args()

    started = time.perf_counter()
    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}")
    with tempfile.TemporaryDirectory(prefix="sopflow-bench-parse-") as tmpdir:
        tmp = Path(tmpdir)
        env = base_env(tmp)
        env_pyc = with_pyc(env, tmp / "pycache")

        for name, src in SOURCES.items():
            FOLDERS[name] = tmp / name
            FOLDERS[name].mkdir()
            # The SOP files only (built by dag_from_yaml), not sop08_spp_kirim (SOP VIII's transmittal).
            files = sorted(f for f in src.glob("sop[0-9][0-9]_*.py") if not f.stem.endswith("_kirim"))
            assert len(files) == N_DAGS, (src, files)
            for f in files:
                shutil.copy(f, FOLDERS[name] / f.name)
        check, _ = run_worker(env_pyc, "check", *(str(f) for f in FOLDERS.values()))  # also primes the bytecode cache
        if check["problems"]:
            print("EQUIVALENCE CHECK FAILED (handwritten twins do not match the factory's DAGs):")
            for p in check["problems"]:
                print("  " + p)
            print("The factory or config/sops changed since bench/handwritten/ was written: regenerate it with "
                  "`.venv/bin/python bench/gen_handwritten.py` (SOPFLOW_POLL_SECONDS unset) and review the diff.")
            return 1
        print(f"equivalence: the {len(check['dags'])} DAGs of bench/handwritten/ serialize exactly like dags/ "
              f"(file location aside): {', '.join(check['dags'])}")
        run_worker(env_pyc, "import", "scratch")  # prime the cache for the import runs too

        # warm
        print(f"\nwarm: DagBag(folder) re-parsed {args.warm} times in one process after a first parse (median)")
        warm = {name: run_worker(env_pyc, "warm", str(folder), str(args.warm))[0] for name, folder in FOLDERS.items()}
        for name, r in warm.items():
            print(f"  {name:<12} {ms(med(r['times_s']))}   (min {ms(min(r['times_s'])).strip()}, max "
                  f"{ms(max(r['times_s'])).strip()}; first parse in that process {ms(r['first_s']).strip()})")
        wf, wh = med(warm["factory"]["times_s"]), med(warm["handwritten"]["times_s"])
        print(f"  ratio factory/handwritten: {wf / wh:.1f}x  (+{(wf - wh) * 1000 / 8:.0f} ms per SOP DAG file)")
        pf, ph = warm["factory"]["per_file_s"], warm["handwritten"]["per_file_s"]
        print("  per file (DagBag's own stats, median ms): " + ", ".join(
            f"{f.split('_')[0]} {pf[f] * 1000:.0f}/{ph[f] * 1000:.0f}" for f in sorted(pf)) + "  (factory/handwritten)")

        # cold
        def cold(label: str, e: dict, n: int) -> None:
            if n <= 0:
                return
            res: dict[str, list] = {name: [] for name in FOLDERS}
            for _ in range(n):
                for name, folder in FOLDERS.items():  # alternate, so drifting load hits both alike
                    r, wall = run_worker(e, "cold", str(folder))
                    assert r["dags"] == N_DAGS and r["errors"] == 0, r
                    res[name].append((r["parse_s"], r["import_s"], wall))
            print(f"\ncold, {label}: first DagBag(folder) in {n} fresh processes per folder (median)")
            for name, rows in res.items():
                print(f"  {name:<12} parse {ms(med(r[0] for r in rows))}   (import of DagBag before it "
                      f"{ms(med(r[1] for r in rows)).strip()}; whole process {ms(med(r[2] for r in rows)).strip()})")
            cf, ch = med(r[0] for r in res["factory"]), med(r[0] for r in res["handwritten"])
            print(f"  ratio factory/handwritten: {cf / ch:.1f}x  (+{(cf - ch) * 1000:.0f} ms per process)")

        cold("with a bytecode cache (PYTHONPYCACHEPREFIX, primed)", env_pyc, args.cold)
        cold("environment as is (no .pyc: every import compiled)", env, args.cold_nopyc)

        # imports
        print(f"\nimport of sopflow.airflow.factory, {args.imports} fresh processes (median)")
        for label, e in (("with a bytecode cache", env_pyc), ("environment as is", env)):
            after, scratch = [], []
            for _ in range(args.imports):  # interleaved, so drifting load hits both alike
                after.append(run_worker(e, "import", "after-sdk")[0])
                scratch.append(run_worker(e, "import", "scratch")[0]["factory_s"])
            print(f"  {label:<22} on top of airflow.sdk: {ms(med(a['factory_s'] for a in after))}   "
                  f"from nothing (Airflow included): {ms(med(scratch))}   "
                  f"(import airflow.sdk alone: {ms(med(a['base_s'] for a in after)).strip()})")
    print(f"\n(load average at end {os.getloadavg()[0]:.2f}; took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
    else:
        sys.exit(main())
