"""`sopflow reminders --at TIME`: which reminders, escalations and digests would go out then.

A preview for admins (and for the walk-through outside office hours): it reads the open steps
and config/reminders.yaml, queues nothing and sends nothing; the `sopflow_reminders` DAG sends.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def cmd_reminders(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from sopflow.domain.office import load_office
    from sopflow.domain.reminders import HUMAN_KINDS, due_messages, in_office_hours, reminders_config
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope
    from sopflow.store.models import StepInstance

    office = load_office(get_settings().config_dir)
    try:
        at = dt.datetime.fromisoformat(args.at) if args.at else dt.datetime.now(office.calendar.tz)
    except ValueError:
        print(f"--at must be an ISO date-time, e.g. 2026-12-07T10:00, got {args.at!r}", file=sys.stderr)
        return 2
    if at.tzinfo is None:
        at = at.replace(tzinfo=office.calendar.tz)
    config = reminders_config(get_settings().config_dir, office.staff)
    when = at.astimezone(office.calendar.tz).strftime("%Y-%m-%d %H:%M WIB")
    if not in_office_hours(office, at):
        print(f"{when}: di luar jam kerja, tidak ada pengingat yang dikirim.")
        return 0
    with session_scope() as session:
        steps = list(session.scalars(select(StepInstance).where(
            StepInstance.status == "open", StepInstance.kind.in_(HUMAN_KINDS)).order_by(StepInstance.id)))
        planned = due_messages(at, steps, office, config)
    if not planned:
        print(f"{when}: tidak ada pengingat.")
        return 0
    print(f"{when}: {len(planned)} pesan akan dikirim (jika belum pernah terkirim):")
    for p in planned:
        about = ", ".join(str(i) for i in p.instance_ids)
        level = f" tingkat {p.level}" if getattr(p, "level", None) else ""
        print(f"  {p.kind}{level:<11} kepada {p.recipient:<40} tugas {about}")
    return 0


def add_reminders_parser(sub) -> None:
    r = sub.add_parser("reminders", help="preview the reminders, escalations and digests due at a time")
    r.add_argument("--at", metavar="TIME", help="ISO date-time (Asia/Jakarta when no offset); default now")
    r.set_defaults(func=cmd_reminders)
