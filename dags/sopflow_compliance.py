"""Quarterly compliance report (laporan kepatuhan waktu SOP): on the 2nd of January, April, July and
October at 08:00 WIB, the report of the quarter just ended goes to the Kabag as PDF and XLSX."""

import datetime as dt

from airflow.sdk import DAG
from airflow.timetables.trigger import CronTriggerTimetable

from sopflow.airflow.compliance import ComplianceReportOperator

with DAG(
    dag_id="sopflow_compliance",
    description="Laporan kepatuhan waktu pelaksanaan SOP per triwulan untuk Kabag",
    schedule=CronTriggerTimetable("0 8 2 1,4,7,10 *", timezone="Asia/Jakarta"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["sopflow", "system", "laporan"],
) as dag:
    ComplianceReportOperator(task_id="laporan_kepatuhan", retries=2, retry_delay=dt.timedelta(minutes=10))
