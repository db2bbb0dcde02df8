"""`sopflow reminders --at`: the admin's preview of what the reminder DAG will send."""

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

BIN = Path(sys.executable).parent
WIB = ZoneInfo("Asia/Jakarta")


def _open_first_renja_step(opened: dt.datetime) -> int:
    from sopflow.domain import steps
    from sopflow.domain.office import load_office
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    office = load_office(get_settings().config_dir)
    sop = office.sop("sop02_renja")
    with session_scope() as session:
        steps.ensure_run(session, sop=sop, dag_id=sop.id, run_id="r1", periode="Tahun 2027", params={})
        [inst] = steps.open_step(session, office, sop, sop.steps[0], dag_id=sop.id, run_id="r1", now=opened)
        return inst.id


def preview(at: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "sopflow"), "reminders", "--at", at], capture_output=True, text=True, timeout=120)


def test_preview_lists_due_reminder_and_escalation_but_queues_nothing(sopflow_home):
    from sqlalchemy import func, select

    from sopflow.store.db import session_scope
    from sopflow.store.models import OutboxMessage

    task = _open_first_renja_step(dt.datetime(2026, 12, 7, 8, 0, tzinfo=WIB))  # Monday; 15 min: due 08:15
    with session_scope() as session:
        before = session.scalar(select(func.count()).select_from(OutboxMessage))
    at_due = preview("2026-12-07T08:30")
    assert at_due.returncode == 0, at_due.stderr
    lines = [line.split() for line in at_due.stdout.splitlines()[1:]]
    assert ["reminder_due", "kepada", "bambang.kusumawardana@example.org", "tugas", str(task)] in lines
    # 480 working minutes late (08:15 Mon + 8 h of office time -> Tue): escalation to the Sekda's superior
    # does not exist (the Sekda has none), so only the daily reminder and the digest appear.
    next_day = preview("2026-12-08T09:00")
    kinds = {line.split()[0] for line in next_day.stdout.splitlines()[1:]}
    assert kinds == {"reminder_daily", "digest"}, next_day.stdout
    assert "di luar jam kerja" in preview("2026-12-06T10:00").stdout  # a Sunday
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_bad_time_is_refused():
    out = preview("besok pagi")
    assert out.returncode == 2 and "ISO date-time" in out.stderr
