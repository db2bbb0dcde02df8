"""The `sopflow` command: the admin's and approver's terminal tool (design section 9).

Stable forms: validate, tasks, done, approve, revise. A refused action exits 1 with one line
saying why and changes nothing (the transaction is rolled back).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_REFUSED = 1


def _office():
    from sopflow.domain.office import load_office
    from sopflow.settings import get_settings

    return load_office(get_settings().config_dir)


def _flush_mail() -> None:
    from sopflow.mail import send_pending

    try:
        report = send_pending()
    except Exception as exc:  # kept in the outbox; the outbox DAG retries
        print(f"Email belum terkirim (disimpan di outbox): {exc}", file=sys.stderr)
        return
    if report.failed:
        print(f"Email: {report.sent} terkirim, {report.failed} gagal (dicoba lagi nanti).")
    elif report.sent:
        print(f"Email: {report.sent} terkirim.")


# --- validate ----------------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from sopflow.domain.catalogue import check_against_staff
    from sopflow.domain.errors import ConfigError
    from sopflow.domain.sop import load_sop, sop_files
    from sopflow.domain.staff import load_staff
    from sopflow.domain.worktime import load_calendar
    from sopflow.settings import REPO_ROOT, get_settings

    settings = get_settings()
    errors: list[str] = []
    staff = None
    try:
        staff = load_staff(settings.staff_file)
    except ConfigError as exc:
        errors.append(str(exc))
    paths = [Path(p) for p in args.paths]
    check_calendar = not paths or any(p.name == "calendar.yaml" for p in paths)
    if check_calendar:
        try:
            load_calendar(settings.calendar_file if not paths else next(p for p in paths if p.name == "calendar.yaml"))
        except ConfigError as exc:
            errors.append(str(exc))
    check_reminders = not paths or any(p.name == "reminders.yaml" for p in paths)
    if check_reminders:
        from sopflow.domain.reminders import load_reminders

        try:
            load_reminders(settings.config_dir / "reminders.yaml" if not paths
                           else next(p for p in paths if p.name == "reminders.yaml"), staff)
        except ConfigError as exc:
            errors.append(str(exc))
    spp_file = (settings.config_dir / "spp.yaml" if not paths
                else next((p for p in paths if p.name == "spp.yaml"), None))
    check_spp = spp_file is not None and (spp_file.exists() or bool(paths))
    if check_spp:
        from sopflow.domain.spp_checklist import load_spp_config

        try:
            load_spp_config(spp_file, staff)
        except ConfigError as exc:
            errors.append(str(exc))
    sop_paths = ([p for p in paths if p.name not in ("staff.yaml", "calendar.yaml", "reminders.yaml", "spp.yaml")]
                 if paths else sop_files(settings.sops_dir))
    ok = 0
    for path in sop_paths:
        try:
            sop = load_sop(path)
            if staff is not None:
                check_against_staff(path, sop, staff)
        except ConfigError as exc:
            errors.append(str(exc))
            continue
        ok += 1
        if not paths and not (REPO_ROOT / "dags" / f"{path.stem if path.stem.startswith('sop') else 'sop' + path.stem}.py").exists():
            errors.append(f"{path}: no DAG file loads it; add dags/sop{path.stem}.py (see docs/admin.md)")
    for line in errors:
        print(line, file=sys.stderr)
    if errors:
        return 1
    people = f", staff.yaml ({len(staff.people)} orang)" if staff else ""
    print(f"OK: {ok} SOP{people}{', calendar.yaml' if check_calendar else ''}"
          f"{', reminders.yaml' if check_reminders else ''}{', spp.yaml' if check_spp else ''}")
    return 0


# --- tasks ---------------------------------------------------------------------------------------
def _task_json(inst, periode: str | None) -> dict:
    return {
        "id": inst.id, "dag_id": inst.dag_id, "run_id": inst.run_id, "step_no": inst.step_no,
        "step_id": inst.step_id, "kind": inst.kind, "uraian": inst.uraian,
        "assignee_email": inst.assignee_email, "candidates": list(inst.candidates or []),
        "status": inst.status, "round": inst.round, "bagian": inst.bagian or None, "periode": periode,
        "opened_at": inst.opened_at.isoformat() if inst.opened_at else None,
        "due_at": inst.due_at.isoformat() if inst.due_at else None,
        "closed_at": inst.closed_at.isoformat() if inst.closed_at else None,
        "closed_by": inst.closed_by,
    }


def cmd_tasks(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from sopflow.domain.period import JAKARTA
    from sopflow.domain.steps import list_instances
    from sopflow.store.db import session_scope
    from sopflow.store.models import SopRun

    with session_scope() as session:
        rows = list_instances(session, assignee=args.assignee, status=args.status, dag_id=args.dag)
        periods = {(r.dag_id, r.run_id): r.periode for r in session.scalars(select(SopRun))}
    items = [_task_json(r, periods.get((r.dag_id, r.run_id))) for r in rows]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("Tidak ada tugas.")
        return 0
    for r, item in zip(rows, items):
        due = r.due_at.astimezone(JAKARTA).strftime("%d-%m-%Y %H:%M WIB") if r.due_at else "-"
        who = r.assignee_email + (f" (+{len(r.candidates) - 1})" if len(r.candidates or []) > 1 else "") if r.assignee_email else "-"
        bagian = f" [{r.bagian}]" if r.bagian else ""
        print(f"{r.id:>5}  {r.dag_id:<22} langkah {r.step_no:<2} {r.kind:<8} putaran {r.round}  {r.status:<8} "
              f"batas {due:<20} {who}{bagian}\n       {r.uraian}")
    return 0


# --- actions -------------------------------------------------------------------------------------
def _act(action: str, args: argparse.Namespace) -> int:
    from sopflow.domain import steps
    from sopflow.domain.errors import ActionRefused
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    office = _office()
    try:
        with session_scope() as session:
            if action == "done":
                outcome = steps.complete(session, office, args.task_id, actor=args.by, note=args.note,
                                         file=Path(args.file) if args.file else None, source="cli",
                                         documents_dir=get_settings().documents_dir)
            elif action == "approve":
                outcome = steps.approve(session, office, args.task_id, actor=args.by, note=args.note, source="cli")
            else:
                outcome = steps.revise(session, office, args.task_id, actor=args.by, note=args.note, source="cli")
            message = outcome.message
    except ActionRefused as exc:
        print(f"Ditolak: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(message)
    _flush_mail()
    return 0


# --- db, mail ------------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace) -> int:
    from sopflow.settings import get_settings
    from sopflow.store.db import upgrade

    upgrade()
    print(f"Database up to date: {get_settings().database_url.split('@')[-1]}")
    return 0


def cmd_mail_send(args: argparse.Namespace) -> int:
    from sopflow.mail import send_pending

    report = send_pending()
    print(f"{report.sent} sent, {report.failed} failed, {report.skipped} waiting")
    return 0 if not report.failed else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sopflow", description="SOP-as-code on Apache Airflow: tasks, reviews and approvals.")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="validate SOP files, staff.yaml and calendar.yaml")
    v.add_argument("paths", nargs="*", help="files to check (default: all of config/)")
    v.set_defaults(func=cmd_validate)

    t = sub.add_parser("tasks", help="list step instances")
    t.add_argument("--assignee", metavar="EMAIL")
    t.add_argument("--status", choices=["open", "done", "all"], default="open")
    t.add_argument("--dag", metavar="DAG_ID")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_tasks)

    d = sub.add_parser("done", help="mark a task done (Selesai)")
    d.add_argument("task_id", type=int)
    d.add_argument("--by", required=True, metavar="EMAIL")
    d.add_argument("--file", metavar="PATH")
    d.add_argument("--note", metavar="TEXT")
    d.set_defaults(func=lambda a: _act("done", a))

    a = sub.add_parser("approve", help="approve a review (IYA) or sign an approval")
    a.add_argument("task_id", type=int)
    a.add_argument("--by", required=True, metavar="EMAIL")
    a.add_argument("--note", metavar="TEXT")
    a.set_defaults(func=lambda a: _act("approve", a))

    r = sub.add_parser("revise", help="send a review back for revision (TIDAK)")
    r.add_argument("task_id", type=int)
    r.add_argument("--by", required=True, metavar="EMAIL")
    r.add_argument("--note", required=True, metavar="TEXT")
    r.set_defaults(func=lambda a: _act("revise", a))

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply pending migrations")
    up.set_defaults(func=cmd_db)

    m = sub.add_parser("mail", help="the mail outbox")
    m_sub = m.add_subparsers(dest="mail_command", required=True)
    send = m_sub.add_parser("send", help="send what waits in the outbox")
    send.set_defaults(func=cmd_mail_send)

    from sopflow.cli_calendar import add_calendar_parser

    add_calendar_parser(sub)

    from sopflow.cli_money import add_terbilang_parser

    add_terbilang_parser(sub)

    from sopflow.cli_spj import add_spj_parser

    add_spj_parser(sub)

    from sopflow.cli_reminders import add_reminders_parser
    from sopflow.cli_report import add_report_parser

    add_reminders_parser(sub)
    add_report_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from sopflow.domain.errors import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"Konfigurasi salah: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `sopflow tasks | head`: the reader has gone, nothing is wrong
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
