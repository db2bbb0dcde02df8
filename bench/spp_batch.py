"""SOP VIII's automated part of a daily batch for N SPJ bundles (default 2,000): bundles per
second and peak memory, on the embedded default (SQLite) and on PostgreSQL.

Everything runs through the real domain code, one transaction per bundle and phase
(`sopflow.store.db.session_scope`), as the Airflow tasks do; Airflow itself is not started.
Phases, in the order a day's batch meets them:

  ajuan       `spj_intake.submit` per bundle: the whole SpjDraft validated (header, receipt lines,
              attachments, receipt numbers not used before by the BPP that year) and stored with
              its lines, attachments (document registry) and audit entry. The drafts (a GU of
              --lines receipts with distinct `nomor_bukti`, the attachments config/spp.yaml's
              `jenis.GU.lampiran_wajib` asks for, each a small distinct PDF) are built beforehand.
  kumpulkan   `spp_flow.collect_batch`: the batch's first task takes the bundles (one transaction
              per batch run) and starts each bundle's domain run with steps 1-2 recorded done. A
              batch takes at most `spp_flow.MAX_PER_BATCH` (under Airflow's map limit); the rest
              wait for the next batch run, so 2,000 bundles are collected by as many runs as that
              takes, one after the other, and the later phases go over every run's bundles.
  s04_cek     only with --step4: the opening of step 4 (`steps.open_step`), whose `cek_otomatis`
              checks the bundle against config/spp.yaml and queues the Verifikator's task mail.
              Not part of the issue's "automated part"; left out of the total.
  s07 s08 s09 the auto steps as `AutoStepOperator` runs them for each mapped bundle: the bundle found
              by (batch run, map index) in one transaction, then in a second one `ensure_run`,
              `skip_unless_branch_taken` and `auto.run_auto_step`. s07 writes the BKU number (the
              PPK's IYA gives it in the real flow; here s07 gives it), s08 numbers the SPP and
              renders 2 PDFs (SPP, Pengesahan SPJ), s09 numbers the SPM and renders 5 (Lembar SPM,
              Nota Dinas, SPTJM SPM, Rekap SPM, Suket Pencairan). WeasyPrint does the rendering.
  kirim       after every bundle is marked "ditandatangani" (what the PA's IYA at step 12 does;
              not timed as a phase), one `spp_flow.send_transmittal`: Surat Pengantar (PDF) and
              register (XLSX) for all N bundles, the mail queued (in parts of at most
              `batas_email_mb`), step 13 recorded for each. It runs in a fresh process, as its
              Airflow task does, so its peak RSS is its own.

Per phase: count, wall seconds, bundles/s, ms per bundle (median, p95), the rate over the first
and the last 10% of the bundles (does it slow down as the tables grow?) and the peak RSS of the
process so far (ru_maxrss; with --workers the pool's processes are reported apart). WeasyPrint's
native memory grows with every PDF a process renders, so the rendering process's peak grows with
N; the summary prints the growth per PDF (an Airflow task renders one bundle and ends). Each engine
runs in its own child process with a fresh SOPFLOW_HOME (and, for PostgreSQL, a fresh database
that is dropped afterwards), so the figures and peaks of one engine do not leak into the other.
A check at the end verifies the work was done (gapless BKU/SPP/SPM numbers, 7 PDFs per bundle).
Every process of a run uses a snapshot of plugins/, config/ and include/ copied at the start, so
edits to the working tree during a long run do not mix two code states in one set of figures.

--workers W (> 1) runs the per-bundle auto steps s07-s09 on a pool of W spawned processes (the
pool is started and warmed before timing), like W Airflow workers running mapped tasks.

    .venv/bin/python bench/spp_batch.py [--bundles 2000] [--engine sqlite|postgresql|both]
                                        [--workers 1] [--lines 3] [--jumlah 1250000] [--step4] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
MARK = "BENCH_RESULT "
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BPP = "lilis.suryaningsih@example.org"  # the BPP of config/staff.yaml (kode BPP-PK)
DAG_ID = "sop08_spp"
AUTO_STEPS = ("s07_beri_nomor_bku", "s08_entry_spj_cetak_spp", "s09_cetak_spm_nota_dinas")
PHASE_LABELS = {
    "ajuan": "ajuan: validate + store (submit)",
    "kumpulkan": "kumpulkan: collect_batch (1 tx)",
    "s04_cek": "s04: cek_otomatis (open_step)",
    "s07_beri_nomor_bku": "s07: nomor BKU",
    "s08_entry_spj_cetak_spp": "s08: nomor SPP + 2 PDF",
    "s09_cetak_spm_nota_dinas": "s09: nomor SPM + 5 PDF",
    "kirim": "kirim: transmittal (1 tx)",
}
IN_TOTAL = ("ajuan", "kumpulkan", *AUTO_STEPS, "kirim")  # the "automated part"


# --- child side: one engine, one process ------------------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _emit(obj) -> None:
    print(MARK + json.dumps(obj), flush=True)


def _say(text: str) -> None:
    print(text, flush=True)


def make_draft(i: int, lines: int, year: int, today: dt.date, lampiran_wajib: list[str], jumlah: int = 1_250_000):
    """Bundle i: an SPP-GU of `lines` receipts as the web form or XLSX hands it over (Indonesian
    amount text), and one small distinct PDF per required attachment."""
    from sopflow.domain.spj import Lampiran, RincianDraft, SpjDraft

    cols = dict(zip(["no", "tanggal", "nomor_bukti", "kode_rekening", "uraian", "jumlah", "penerima", "ppn", "pph"],
                    "ABCDEFGHI"))
    rows = []
    for j in range(lines):
        baris = j + 2
        tanggal = max(dt.date(year, 1, 1), today - dt.timedelta(days=(i + j) % 60))
        values = {"no": j + 1, "tanggal": tanggal, "nomor_bukti": f"KW-{i:05d}-{j + 1}/{year}",
                  "kode_rekening": "5.1.02.01.01.0024", "uraian": f"Belanja alat tulis kantor, bukti {j + 1}",
                  "jumlah": f"{jumlah:,}".replace(",", "."), "penerima": "CV Sumber Rejeki",
                  "ppn": f"{jumlah * 11 // 111:,}".replace(",", "."), "pph": f"{jumlah // 50:,}".replace(",", ".")}
        rows.append(RincianDraft(baris, values, {k: f"Rincian!{c}{baris}" for k, c in cols.items()}))
    total = f"{jumlah * lines:,}".replace(",", ".")
    header = {"jenis_spp": "GU", "tahun_anggaran": year, "sub_kegiatan": "4.01.01.2.01.0001",
              "uraian": f"GU bench {i} Bagian Perencanaan dan Keuangan", "jumlah_total": total, "email_bpp": BPP}
    sel = {k: f"Ajuan!B{r}" for k, r in zip(header, range(3, 9))}
    attachments = [Lampiran(name, f"{name.replace('/', '-')} {i}.pdf",
                            b"%PDF-1.4\n% bench bundle " + str(i).encode() + b" " + name.encode() + b"\n" + b"0" * 1024)
                   for name in lampiran_wajib]
    return SpjDraft(header, rows, sel), attachments


def auto_step_task(step_id: str, batch_run_id: str, index: int, when_iso: str) -> None:
    """One mapped AutoStepOperator task of the batch, minus Airflow (see operators.py: _prepare,
    bundle_context, AutoStepOperator.execute)."""
    from sopflow.domain import spp_flow, steps
    from sopflow.domain.auto import run_auto_step
    from sopflow.domain.office import load_office
    from sopflow.domain.period import periode_for
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    settings = get_settings()
    office = load_office(settings.config_dir)
    sop = office.sop(DAG_ID)
    step = sop.step(step_id)
    with session_scope() as session:  # bundle_context
        bundle = spp_flow.bundle_at(session, batch_run_id, index)
        run_id, params = spp_flow.run_key(bundle.id), spp_flow.bundle_params(bundle)
    periode = periode_for(sop, dt.datetime.fromisoformat(when_iso), params)
    with session_scope() as session:
        steps.ensure_run(session, sop=sop, dag_id=DAG_ID, run_id=run_id, periode=periode, params=params)
        gate = steps.skip_unless_branch_taken(session, sop, step, dag_id=DAG_ID, run_id=run_id)
        if gate is not None:
            raise RuntimeError(f"{step_id} of {run_id} skipped by step {gate.no}: not what the benchmark expects")
        run_auto_step(session, office, sop, step, dag_id=DAG_ID, run_id=run_id, documents_dir=settings.documents_dir)


def step4_task(batch_run_id: str, index: int, when_iso: str) -> None:
    """HumanStepSensor._open for step 4: the run ensured, the step opened (cek_otomatis inside)."""
    from sopflow.domain import spp_flow, steps
    from sopflow.domain.office import load_office
    from sopflow.domain.period import periode_for
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    office = load_office(get_settings().config_dir)
    sop = office.sop(DAG_ID)
    step = sop.step("s04_periksa_kelengkapan")
    with session_scope() as session:
        bundle = spp_flow.bundle_at(session, batch_run_id, index)
        run_id, params = spp_flow.run_key(bundle.id), spp_flow.bundle_params(bundle)
    with session_scope() as session:
        steps.ensure_run(session, sop=sop, dag_id=DAG_ID, run_id=run_id,
                         periode=periode_for(sop, dt.datetime.fromisoformat(when_iso), params), params=params)
        if steps.skip_unless_branch_taken(session, sop, step, dag_id=DAG_ID, run_id=run_id) is None:
            opened = steps.open_step(session, office, sop, step, dag_id=DAG_ID, run_id=run_id)
            if not opened or opened[0].status != "open":  # sent back: the bundle was incomplete
                raise RuntimeError(f"step 4 of {run_id} did not open for the Verifikator: {opened}")


# pool side (spawned processes; --workers > 1)
def _pool_init() -> None:
    from sopflow.render.pdf import html_to_pdf

    html_to_pdf("<p>warm</p>")  # import WeasyPrint and its fonts before anything is timed


def _pool_warm(_: int) -> int:
    time.sleep(0.2)  # long enough for every worker of the pool to take one
    return os.getpid()


def _pool_auto_step(step_id: str, batch_run_id: str, index: int, when_iso: str) -> tuple[float, float, int]:
    t = time.perf_counter()
    auto_step_task(step_id, batch_run_id, index, when_iso)
    return time.perf_counter() - t, _maxrss_mb(), os.getpid()


class Phases:
    def __init__(self) -> None:
        self.results: list[dict] = []

    def record(self, name: str, count: int, seconds: float, per_item: list[float], **extra) -> dict:
        r = {"name": name, "count": count, "seconds": seconds, "maxrss_mb": _maxrss_mb(), "rss_mb": _rss_mb()}
        r.update(extra)
        if len(per_item) >= 2:
            tenth = max(1, len(per_item) // 10)
            r["median_ms"] = statistics.median(per_item) * 1000
            r["p95_ms"] = sorted(per_item)[min(len(per_item) - 1, int(len(per_item) * 0.95))] * 1000
            r["max_ms"] = max(per_item) * 1000
            r["first10_rate"] = tenth / sum(per_item[:tenth])
            r["last10_rate"] = tenth / sum(per_item[-tenth:])
        self.results.append(r)
        rate = f"{count / seconds:8.1f}/s" if seconds > 0 else ""
        _say(f"  done {name:<26} {count:6d} in {seconds:8.2f} s {rate}  "
             f"(peak RSS {r['maxrss_mb']:.0f} MB, now {r['rss_mb']:.0f} MB)")
        return r

    def loop(self, name: str, items, fn) -> dict:
        items = list(items)
        step = max(1, len(items) // 10)
        times: list[float] = []
        start = time.perf_counter()
        for n, item in enumerate(items, 1):
            t = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - t)
            if len(items) >= 100 and n % step == 0 and n < len(items):
                _say(f"    {name} {n}/{len(items)} {time.perf_counter() - start:7.1f} s (RSS {_rss_mb():.0f} MB)")
        return self.record(name, len(items), time.perf_counter() - start, times)


def child(engine: str, opts: dict) -> None:
    started = time.perf_counter()
    from sqlalchemy import func, select

    from sopflow.domain import spp_flow
    from sopflow.domain.office import load_office
    from sopflow.domain.period import JAKARTA
    from sopflow.domain.spj_intake import submit
    from sopflow.domain.spp_checklist import spp_config
    from sopflow.render.pdf import html_to_pdf
    from sopflow.settings import get_settings
    from sopflow.store import db
    from sopflow.store.models import BkuNumber, Document, OutboxMessage, SpjBundle

    n, lines, workers = opts["bundles"], opts["lines"], opts["workers"]
    settings = get_settings()
    office = load_office(settings.config_dir)
    sop = office.sop(DAG_ID)
    config = spp_config(settings.config_dir)
    html_to_pdf("<p>warm</p>")  # WeasyPrint's import and font setup: paid once per process, not per bundle
    t = time.perf_counter()
    db.get_engine()  # creates the schema (Alembic) on the fresh database
    schema_s = time.perf_counter() - t
    imports_s = time.perf_counter() - started - schema_s
    import sopflow

    _say(f"  setup: imports + WeasyPrint warm-up {imports_s:.1f} s, schema {schema_s:.1f} s "
         f"(RSS {_rss_mb():.0f} MB); sopflow from {Path(sopflow.__file__).parent}")

    today = dt.datetime.now(JAKARTA).date()
    year = today.year
    lampiran = list(config.dokumen("GU").lampiran_wajib)
    drafts = [make_draft(i, lines, year, today, lampiran, opts["jumlah"]) for i in range(1, n + 1)]
    phases = Phases()
    documents_dir = settings.documents_dir
    pool = None
    pool_pids: list[int] = []
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        t = time.perf_counter()
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_pool_init)
        pool_pids = sorted(set(pool.map(_pool_warm, range(workers * 2))))
        _say(f"  pool: {workers} spawned workers {pool_pids} ready in {time.perf_counter() - t:.1f} s")

    try:
        def do_submit(item) -> None:
            draft, attachments = item
            with db.session_scope() as session:
                submit(session, office, draft, attachments, BPP, "bench", config=config, documents_dir=documents_dir)

        phases.loop("ajuan", drafts, do_submit)
        del drafts

        cutoff = dt.datetime.now(dt.timezone.utc)
        when_iso = cutoff.isoformat()
        batches: list[tuple[str, int]] = []  # (batch run id, bundles it took)
        t = time.perf_counter()
        while sum(k for _, k in batches) < n:  # a batch takes at most MAX_PER_BATCH; the rest wait for the next
            batch_run_id = f"scheduled__{cutoff.isoformat()}" + (f"_{len(batches) + 1}" if batches else "")
            with db.session_scope() as session:
                ids = spp_flow.collect_batch(session, office, sop, batch_run_id=batch_run_id, cutoff=cutoff)
            if not ids:
                break
            batches.append((batch_run_id, len(ids)))
        taken = sum(k for _, k in batches)
        phases.record("kumpulkan", taken, time.perf_counter() - t, [], batch_runs=len(batches),
                      per_batch=getattr(spp_flow, "MAX_PER_BATCH", None))
        if taken != n:
            raise RuntimeError(f"collect_batch took {taken} bundles in {len(batches)} batch runs, expected {n}")
        tasks = [(run, i) for run, k in batches for i in range(k)]  # the mapped tasks: (batch run, map index)

        if opts["step4"]:
            phases.loop("s04_cek", tasks, lambda ti: step4_task(ti[0], ti[1], when_iso))

        for step_id in AUTO_STEPS:
            if pool is None:
                phases.loop(step_id, tasks, lambda ti, s=step_id: auto_step_task(s, ti[0], ti[1], when_iso))
                continue
            start = time.perf_counter()
            futures = [pool.submit(_pool_auto_step, step_id, run, i, when_iso) for run, i in tasks]
            got = [f.result() for f in futures]  # in submission order (per_item is per bundle index)
            peaks: dict[int, float] = {}
            for _, peak, pid in got:
                peaks[pid] = max(peak, peaks.get(pid, 0.0))
            phases.record(step_id, n, time.perf_counter() - start, [g[0] for g in got],
                          worker_maxrss_mb=peaks)

        t = time.perf_counter()
        with db.session_scope() as session:  # the PA's signature (step 12's saat_iya), not timed as a phase
            now = dt.datetime.now(dt.timezone.utc)
            for bundle in session.scalars(select(SpjBundle).where(SpjBundle.run_id.in_([b for b, _ in batches]))):
                bundle.status, bundle.signed_at = "ditandatangani", now
        _say(f"  (bundles marked ditandatangani in {time.perf_counter() - t:.2f} s, not counted)")

        # The transmittal is its own Airflow task (TransmittalOperator): a fresh process, so its peak
        # memory is its own and not the rendering's (see --child-kirim).
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-kirim"], env=dict(os.environ),
                              cwd=os.getcwd(), capture_output=True, text=True)
        lines = [l for l in proc.stdout.splitlines() if l.startswith(MARK)]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"transmittal process failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        k = json.loads(lines[-1][len(MARK):])
        phases.record("kirim", k["bundles"], k["seconds"], [], documents=k["documents"], maxrss_mb=k["maxrss_mb"],
                      rss_mb=k["rss_mb"], own_process=True, before_mb=k["before_mb"], mails=k["mails"],
                      recipients=k["recipients"])
    finally:
        if pool is not None:
            pool.shutdown()

    # check the work was done
    problems = []
    with db.session_scope() as session:
        for series in ("BPP-PK", "SPP-GU", "SPM-GU"):
            numbers = sorted(session.scalars(select(BkuNumber.number).where(
                BkuNumber.fiscal_year == year, BkuNumber.bendahara == series)))
            if numbers != list(range(1, n + 1)):
                problems.append(f"{series}: {len(numbers)} numbers, not 1..{n} gapless")
        by_jenis = dict(session.execute(select(Document.jenis, func.count()).group_by(Document.jenis)).all())
        pdf_bytes = session.scalar(select(func.sum(Document.size)).where(
            Document.jenis.in_(spp_flow.GENERATED_JENIS))) or 0
        statuses = dict(session.execute(select(SpjBundle.status, func.count()).group_by(SpjBundle.status)).all())
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    generated = sum(by_jenis.get(j, 0) for j in spp_flow.GENERATED_JENIS)
    if generated != 7 * n:
        problems.append(f"{generated} generated PDFs, expected {7 * n}")
    if statuses != {"dikirim": n}:
        problems.append(f"bundle statuses {statuses}, expected all {n} dikirim")
    disk = sum(f.stat().st_size for f in documents_dir.rglob("*") if f.is_file())
    check = {"problems": problems, "documents": by_jenis, "generated_pdfs": generated,
             "pdf_mb": pdf_bytes / 2**20, "disk_mb": disk / 2**20, "outbox": outbox,
             "letter_and_register": by_jenis.get("surat_pengantar", 0) + by_jenis.get("register_spp", 0)}
    _say(f"  check: {'OK' if not problems else 'PROBLEMS ' + '; '.join(problems)}; {generated} generated PDFs "
         f"({check['pdf_mb']:.0f} MB, {pdf_bytes / max(generated, 1) / 1024:.0f} KB each), documents on disk "
         f"{check['disk_mb']:.0f} MB, {outbox} outbox message(s)")
    _emit({"engine": engine, "dialect": db.get_engine().dialect.name, "phases": phases.results, "check": check,
           "setup": {"imports_s": imports_s, "schema_s": schema_s}, "pool_pids": pool_pids,
           "maxrss_mb": _maxrss_mb(), "wall_s": time.perf_counter() - started})
    db.dispose_all()


def child_kirim() -> None:
    """The day's transmittal in a process of its own, as the TransmittalOperator task runs it."""
    from sopflow.domain import spp_flow
    from sopflow.domain.office import load_office
    from sopflow.render.pdf import html_to_pdf
    from sopflow.settings import get_settings
    from sopflow.store import db

    settings = get_settings()
    office = load_office(settings.config_dir)
    html_to_pdf("<p>warm</p>")  # WeasyPrint's import, not timed (as in the other phases)
    db.get_engine()
    before = _maxrss_mb()
    t = time.perf_counter()
    with db.session_scope() as session:
        sent = spp_flow.send_transmittal(session, office, documents_dir=settings.documents_dir)
    seconds = time.perf_counter() - t
    from sqlalchemy import func, select

    from sopflow.store.models import OutboxMessage

    with db.session_scope() as session:
        mails = session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "transmittal"))
    _emit({"seconds": seconds, "bundles": len(sent.bundles) if sent else 0,
           "documents": len(sent.documents) if sent else 0, "before_mb": before, "maxrss_mb": _maxrss_mb(),
           "rss_mb": _rss_mb(), "mails": mails, "recipients": len(sent.recipients) if sent else 0})
    db.dispose_all()


# --- driver side ------------------------------------------------------------------------------------
def pg_admin():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def run_engine(engine: str, args, tmp: Path) -> dict | None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    home = tmp / engine
    home.mkdir()
    env = dict(os.environ)
    for name in ("SOPFLOW_CONFIG_DIR", "SOPFLOW_TEMPLATES_DIR", "SOPFLOW_SMTP_PORT"):
        env.pop(name, None)
    env["SOPFLOW_HOME"] = str(home)
    # The snapshot's plugins/ first on the path: sopflow's REPO_ROOT (config/, include/templates) is then the snapshot.
    env["PYTHONPATH"] = os.pathsep.join([str(tmp / "code" / "plugins"), *filter(None, [env.get("PYTHONPATH")])])
    database = None
    if engine == "sqlite":
        env["SOPFLOW_DATABASE_URL"] = f"sqlite:///{home / 'sopflow.db'}"
    else:
        database = f"sopflow_bench_{os.getpid()}"
        try:
            admin = pg_admin()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
                conn.execute(text(f'CREATE DATABASE "{database}"'))
        except Exception as exc:
            print(f"  PostgreSQL at {make_url(PG_ADMIN_URL).host}:{make_url(PG_ADMIN_URL).port} does not answer "
                  f"({exc.__class__.__name__}): skipped")
            return None
        env["SOPFLOW_DATABASE_URL"] = make_url(PG_ADMIN_URL).set(database=database).render_as_string(
            hide_password=False)
    opts = {"bundles": args.bundles, "lines": args.lines, "workers": args.workers, "step4": args.step4,
            "jumlah": args.jumlah}
    stderr_path = tmp / f"{engine}.stderr"
    try:
        with open(stderr_path, "w") as err:
            proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", engine, json.dumps(opts)],
                                    env=env, cwd=str(tmp / "code"), stdout=subprocess.PIPE, stderr=err, text=True)
            result = None
            for line in proc.stdout:
                if line.startswith(MARK):
                    result = json.loads(line[len(MARK):])
                else:
                    print(line, end="", flush=True)
            proc.wait()
        if proc.returncode != 0 or result is None:
            tail = stderr_path.read_text()[-6000:]
            print(f"  {engine} run FAILED (exit {proc.returncode}); end of its stderr:\n{tail}")
            return None
        return result
    finally:
        if database is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()


def report(r: dict, args) -> dict:
    phases = {p["name"]: p for p in r["phases"]}
    print(f"\n{r['engine']} ({r['dialect']}): {args.bundles} bundles x {args.lines} receipt lines, SPP-GU, "
          f"workers {args.workers}; setup (not counted): imports {r['setup']['imports_s']:.1f} s, "
          f"schema {r['setup']['schema_s']:.1f} s")
    print(f"  {'phase':<34} {'count':>6} {'seconds':>9} {'bundles/s':>10} {'ms/bundle':>10} {'med':>7} {'p95':>7}"
          f" {'first10%':>9} {'last10%':>8} {'peak RSS':>9}")
    for p in r["phases"]:
        rate = p["count"] / p["seconds"] if p["seconds"] else float("nan")
        per = p["seconds"] * 1000 / p["count"] if p["count"] else float("nan")
        med = f"{p['median_ms']:7.1f}" if "median_ms" in p else f"{'':7}"
        p95 = f"{p['p95_ms']:7.1f}" if "p95_ms" in p else f"{'':7}"
        f10 = f"{p['first10_rate']:9.1f}" if "first10_rate" in p else f"{'':9}"
        l10 = f"{p['last10_rate']:8.1f}" if "last10_rate" in p else f"{'':8}"
        mark = "" if p["name"] in IN_TOTAL else " *"
        print(f"  {PHASE_LABELS[p['name']] + mark:<34} {p['count']:6d} {p['seconds']:9.2f} {rate:10.1f} {per:10.1f}"
              f" {med} {p95} {f10} {l10} {p['maxrss_mb']:6.0f} MB")
        if p.get("batch_runs", 1) > 1:
            print(f"  {'':<34} ({p['batch_runs']} batch runs: a batch takes at most {p['per_batch']} bundles)")
        if p.get("own_process"):
            print(f"  {'':<34} (its own process, as the Airflow task: peak RSS {p['before_mb']:.0f} MB before "
                  f"send_transmittal, {p['maxrss_mb']:.0f} MB after)")
        if p.get("worker_maxrss_mb"):
            print(f"  {'':<34} slowest bundle {p.get('max_ms', 0) / 1000:.1f} s; pool workers' peak RSS: " + ", ".join(
                f"{pid} {mb:.0f} MB" for pid, mb in sorted(p["worker_maxrss_mb"].items())))
    if any(p not in IN_TOTAL for p in phases):
        print("  * not part of the automated part's total")
    total_s = sum(phases[p]["seconds"] for p in IN_TOTAL if p in phases)
    render_s = sum(phases[p]["seconds"] for p in AUTO_STEPS[1:] if p in phases)
    worker_peak = max((mb for p in r["phases"] for mb in (p.get("worker_maxrss_mb") or {}).values()), default=0)
    c = r["check"]
    if all(p in phases for p in AUTO_STEPS) and not any(phases[p].get("worker_maxrss_mb") for p in AUTO_STEPS):
        grown = phases[AUTO_STEPS[-1]]["maxrss_mb"] - phases[AUTO_STEPS[0]]["maxrss_mb"]
        print(f"  rendering grew this one process by {grown:.0f} MB over {7 * args.bundles} PDFs "
              f"({grown * 1024 / (7 * args.bundles):.0f} KB per PDF, native memory under WeasyPrint); in Airflow "
              f"each mapped task is a process of its own")
    summary = {"engine": r["engine"], "total_s": total_s, "rate": args.bundles / total_s,
               "ms_per_bundle": total_s * 1000 / args.bundles, "render_share": render_s / total_s,
               "maxrss_mb": r["maxrss_mb"], "worker_maxrss_mb": worker_peak,
               "kirim_maxrss_mb": phases["kirim"]["maxrss_mb"],
               "phases": {k: v["seconds"] for k, v in phases.items()}}
    kirim = phases["kirim"]
    print(f"  check: {'OK' if not c['problems'] else 'PROBLEMS: ' + '; '.join(c['problems'])} "
          f"({c['generated_pdfs']} PDFs, {c['pdf_mb']:.0f} MB; documents dir {c['disk_mb']:.0f} MB; "
          f"transmittal attached {kirim.get('documents', 0)} documents in {kirim.get('mails', '?')} mail(s) "
          f"to {kirim.get('recipients', '?')} recipient(s))")
    return summary


def code_state() -> str:
    """The commit and how far the working tree's code differs from it (figures belong to a code state)."""
    import hashlib

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        diff = subprocess.run(["git", "diff", "HEAD", "--", "plugins", "config", "include"], cwd=REPO,
                              capture_output=True, check=True).stdout
        new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "plugins", "config", "include"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return "(no git)"
    digest = hashlib.sha256(diff + "".join(sorted(new)).encode()).hexdigest()[:8]
    return head if not diff and not new else f"{head} + uncommitted changes (diff {digest}, {len(new)} new files)"


def main() -> int:
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    ap.add_argument("--bundles", type=int, default=2000, help="SPJ bundles in the batch")
    ap.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--workers", type=int, default=1, help="processes for the auto steps s07-s09 (default 1)")
    ap.add_argument("--lines", type=int, default=3, help="receipt lines (Rincian) per bundle")
    ap.add_argument("--jumlah", type=int, default=1_250_000, help="rupiah per receipt line (default 1250000)")
    ap.add_argument("--step4", action="store_true", help="also time step 4's automatic completeness check")
    ap.add_argument("--keep", action="store_true", help="keep the temp homes (SQLite db, documents) and say where")
    args = ap.parse_args()
    if args.bundles < 1 or args.workers < 1 or args.lines < 1:
        ap.error("--bundles, --workers and --lines must be at least 1")

    started = time.perf_counter()
    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.2f}; python "
          f"{sys.version.split()[0]}; {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; code {code_state()}")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    tmp = Path(tempfile.mkdtemp(prefix="sopflow-bench-spp-"))
    summaries = []
    try:
        for part in ("plugins", "config", "include"):  # one code state for the whole run (see the docstring)
            shutil.copytree(REPO / part, tmp / "code" / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for engine in engines:
            print(f"\n=== {engine}: {args.bundles} bundles, workers {args.workers} ===", flush=True)
            r = run_engine(engine, args, tmp)
            if r is not None:
                summaries.append(report(r, args))
    finally:
        if args.keep:
            print(f"\n(temp homes kept in {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nsummary (automated part = {' + '.join(IN_TOTAL)}; {args.bundles} bundles, workers {args.workers}):")
    for s in summaries:
        peak = (f"peak RSS {s['maxrss_mb']:.0f} MB" + (f" (+ pool workers up to {s['worker_maxrss_mb']:.0f} MB each)"
                                                       if s["worker_maxrss_mb"] else "")
                + f", transmittal process {s['kirim_maxrss_mb']:.0f} MB")
        print(f"  {s['engine']:<10} {s['total_s']:8.1f} s  {s['rate']:6.2f} bundles/s  {s['ms_per_bundle']:6.0f} ms/bundle"
              f"  rendering (s08+s09) {s['render_share']:.0%} of it  {peak}")
    if len(summaries) == 2:
        a, b = summaries
        print(f"  ratio {b['engine']}/{a['engine']} (time): total {b['total_s'] / a['total_s']:.2f}x; " + ", ".join(
            f"{name} {b['phases'][name] / a['phases'][name]:.2f}x" for name in a["phases"]
            if name in b["phases"] and a["phases"][name] > 0))
    print(f"\n(load average at end {os.getloadavg()[0]:.2f}; took {time.perf_counter() - started:.0f} s)")
    return 0 if len(summaries) == len(engines) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], json.loads(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-kirim":
        child_kirim()
    else:
        sys.exit(main())
