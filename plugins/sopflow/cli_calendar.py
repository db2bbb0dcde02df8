"""`sopflow calendar`: answers an admin's "when is this due?" from config/calendar.yaml."""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def _calendar():
    from sopflow.domain.worktime import load_calendar
    from sopflow.settings import get_settings

    return load_calendar(get_settings().calendar_file)


def _parse_start(text: str, tz) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"START must be an ISO date or date-time, e.g. 2026-12-03T09:00, got {text!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)  # a bare time is office time, Asia/Jakarta
    return value


def cmd_due(args: argparse.Namespace) -> int:
    calendar = _calendar()
    try:
        start = _parse_start(args.start, calendar.tz)
    except argparse.ArgumentTypeError as exc:
        print(exc, file=sys.stderr)
        return 2
    due = calendar.due(start, minutes=args.minutes, days=args.days)
    print(due.at.isoformat())
    if due.estimated:
        days = ", ".join(f"{d.isoformat()} ({calendar.holiday_name(d)})" for d in due.estimated)
        print(f"perkiraan: hari libur berikut belum ditetapkan pemerintah: {days}")
    return 0


def cmd_is_working(args: argparse.Namespace) -> int:
    calendar = _calendar()
    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError:
        print(f"DATE must be YYYY-MM-DD, got {args.date!r}", file=sys.stderr)
        return 2
    if calendar.is_working_day(day):
        print("yes")
        return 0
    name = calendar.holiday_name(day)
    reason = name if name else "di luar hari kerja (" + ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"][day.weekday()] + ")"
    estimate = " (perkiraan)" if name and calendar.is_estimated(day) and "perkiraan" not in name else ""
    print(f"no: {reason}{estimate}")
    return 0


def add_calendar_parser(sub) -> None:
    c = sub.add_parser("calendar", help="working-time calendar: due times and working days")
    c_sub = c.add_subparsers(dest="calendar_command", required=True)
    due = c_sub.add_parser("due", help="the due instant after N working days or minutes")
    due.add_argument("start", metavar="START", help="ISO date-time (Asia/Jakarta when no offset)")
    amount = due.add_mutually_exclusive_group(required=True)
    amount.add_argument("--days", type=int, metavar="N")
    amount.add_argument("--minutes", type=int, metavar="N")
    due.set_defaults(func=cmd_due)
    working = c_sub.add_parser("is-working", help="is DATE a working day? (yes, or no with the holiday)")
    working.add_argument("date", metavar="DATE")
    working.set_defaults(func=cmd_is_working)
