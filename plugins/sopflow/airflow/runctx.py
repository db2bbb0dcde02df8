"""What a task needs to know about its run, read from the Airflow context once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunContext:
    dag_id: str
    run_id: str
    when: dt.datetime  # the run's logical date, or when it was asked to run (manual runs may have none)
    params: dict


def run_context(context: Any) -> RunContext:
    dag_run = context["dag_run"]
    when = context.get("logical_date") or getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
    if when is None:
        when = dt.datetime.now(dt.timezone.utc)
    # `pelaksana` binds people to a run's steps; only sopflow sets it (an SPJ bundle's BPP), never a
    # trigger's conf, or whoever may trigger a DAG could route its signatures to anyone.
    params = {k: v for k, v in dict(context.get("params") or {}).items() if k != "pelaksana"}
    return RunContext(dag_id=dag_run.dag_id, run_id=dag_run.run_id, when=when, params=params)
