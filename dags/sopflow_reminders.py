"""Reminders, escalations and digests of open SOP steps, every 30 minutes (Asia/Jakarta).

Thin on purpose: the operator decides what is due from the clock, office hours and holidays
(config/calendar.yaml) and config/reminders.yaml; outside office hours a run sends nothing.
"""

import datetime as dt

from airflow.sdk import DAG
from airflow.timetables.trigger import CronTriggerTimetable

from sopflow.airflow.reminders import ReminderOperator

with DAG(
    dag_id="sopflow_reminders",
    description="Pengingat, eskalasi dan ringkasan tugas SOP",
    # Office days and hours only (the operator still checks holidays and the exact hours).
    schedule=CronTriggerTimetable("0,30 7-16 * * 1-5", timezone="Asia/Jakarta"),
    is_paused_upon_creation=False,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["sopflow", "system"],
) as dag:
    ReminderOperator(task_id="kirim_pengingat", retries=1, retry_delay=dt.timedelta(minutes=2))
