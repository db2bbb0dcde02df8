"""The operator of the `sopflow_reminders` DAG: reminders, escalations, digests and Plh hand-overs.

The DAG runs every 30 minutes around the clock; what is due is decided by
`sopflow.domain.reminders` from the wall clock at execution (not the run's logical date), so a
run outside office hours or on a day off sends nothing, a late run still sends what is due, and a
retried or repeated run sends nothing twice (outbox keys).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from airflow.sdk import BaseOperator

log = logging.getLogger(__name__)


class ReminderOperator(BaseOperator):
    """Queue the reminders, escalations and digests due now, then drain the outbox."""

    ui_color = "#fecaca"

    def execute(self, context: Any) -> Any:
        from sopflow.domain.office import load_office
        from sopflow.domain.delegation import hand_over_open_tasks
        from sopflow.domain.reminders import in_office_hours, queue_reminders
        from sopflow.mail import send_pending
        from sopflow.settings import get_settings
        from sopflow.store.db import session_scope

        now = dt.datetime.now(dt.timezone.utc)
        office = load_office(get_settings().config_dir)
        with session_scope() as session:
            queued = queue_reminders(session, office, now)
            # A Plh/Plt whose term began today gets the open tasks of the person they stand in for.
            handed = hand_over_open_tasks(session, office, now) if in_office_hours(office, now) else 0
        counts = dict(sorted(Counter(p.kind for p in queued).items()))
        log.info("sopflow reminders at %s: queued %s; open tasks with a delegate today: %s",
                 now.isoformat(), counts or "nothing", handed)
        result: dict[str, Any] = {"queued": counts, "handed_over": handed, "sent": 0, "failed": 0}
        if queued or handed:
            try:
                report = send_pending()
                result.update(sent=report.sent, failed=report.failed)
            except Exception as exc:  # the outbox keeps the mail; the outbox DAG retries
                log.warning("sopflow mail: sending failed, kept in the outbox: %s", exc)
        return result
