"""Drains sopflow's mail outbox every five minutes: mail an SMTP outage held back goes out."""

import datetime as dt

from airflow.sdk import DAG

from sopflow.airflow.operators import OutboxOperator

with DAG(
    dag_id="sopflow_outbox",
    description="Kirim ulang email sopflow yang tertunda",
    schedule=dt.timedelta(minutes=5),
    is_paused_upon_creation=False,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["sopflow", "system"],
) as dag:
    OutboxOperator(task_id="kirim_outbox", retries=0)
