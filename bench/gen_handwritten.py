"""Writes bench/handwritten/: the eight SOP DAGs as plain Airflow DAG files, no YAML reading.

Run once (already done; the files are checked in): `.venv/bin/python bench/gen_handwritten.py`.
It reads the SOP files through the factory only to copy their values out as literals; the files
it writes import nothing from sopflow but the two operators. `bench/parse_time.py` checks that
each handwritten DAG serializes exactly like its factory twin before timing anything.
Run with SOPFLOW_POLL_SECONDS unset: the literal poll_seconds is the default (10.0).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "handwritten"


def _dt(value: dt.datetime) -> str:
    from zoneinfo import ZoneInfo

    value = value.astimezone(ZoneInfo("Asia/Jakarta"))
    assert value.second == 0 and value.microsecond == 0, value
    return f"dt.datetime({value.year}, {value.month}, {value.day}, {value.hour}, {value.minute}, tzinfo=JAKARTA)"


def _timetable(dag) -> tuple[str, set[str]]:
    from airflow.timetables.events import EventsTimetable
    from airflow.timetables.trigger import CronTriggerTimetable

    tt = dag.timetable
    try:  # sopflow's own timetables (working days), when the factory uses them
        from sopflow.airflow.timetables import EveryWorkingDayTimetable, WorkingDayTimetable
    except ImportError:
        EveryWorkingDayTimetable = WorkingDayTimetable = None
    if EveryWorkingDayTimetable is not None and isinstance(tt, EveryWorkingDayTimetable):
        return (f"EveryWorkingDayTimetable({tt.hour!r}, {tt.minute!r}, timezone={tt.timezone!r})"), {"everyworkingday"}
    if WorkingDayTimetable is not None and isinstance(tt, WorkingDayTimetable):
        return (f"WorkingDayTimetable({tt.months!r}, {tt.nth!r}, {tt.hour!r}, {tt.minute!r}, "
                f"timezone={tt.timezone!r})"), {"workingday"}
    if isinstance(tt, CronTriggerTimetable):
        return f"CronTriggerTimetable({tt._expression!r}, timezone=\"Asia/Jakarta\")", {"cron"}
    if isinstance(tt, EventsTimetable):
        dates = ",\n        ".join(_dt(d) for d in tt.event_dates)
        return (f"EventsTimetable(\n    event_dates=[\n        {dates},\n    ],\n"
                f"    description={tt.description!r},\n    presorted=True,\n    restrict_to_events=False,\n)"), {"events"}
    return "None", set()


def _param(p) -> str:
    from airflow.sdk.definitions._internal.types import NOTSET

    args = [] if p.value is NOTSET else [repr(p.value)]
    if p.description is not None:
        args.append(f"description={p.description!r}")
    args += [f"{k}={v!r}" for k, v in p.schema.items()]
    return "Param(" + ", ".join(args) + ")"


def render(dag, source_name: str) -> str:
    from sopflow.airflow.operators import HumanStepSensor

    schedule, kinds = _timetable(dag)
    imports = ["import datetime as dt", "from zoneinfo import ZoneInfo", "", "from airflow.sdk import DAG, Param"]
    if "events" in kinds:
        imports.append("from airflow.timetables.events import EventsTimetable")
    if "cron" in kinds:
        imports.append("from airflow.timetables.trigger import CronTriggerTimetable")
    imports += ["", "from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor"]
    if "workingday" in kinds:
        imports.append("from sopflow.airflow.timetables import WorkingDayTimetable")
    if "everyworkingday" in kinds:
        imports.append("from sopflow.airflow.timetables import EveryWorkingDayTimetable")
    schedule_line = (f"SCHEDULE = {schedule}\n\n" if schedule != "None" else "")
    params = ",\n".join(f"        {k!r}: {_param(dag.params.get_param(k))}" for k in dag.params)
    da = dag.default_args
    assert set(da) == {"retries", "retry_delay"}, da  # extend render() if the factory sets more
    tasks, names = [], []
    ordered = list(dag.topological_sort())
    batch = ordered[0].task_id == "kumpulkan_spj"  # SOP VIII: the steps mapped over the day's bundles
    pad = "        " if batch else "    "
    for t in ordered[1:] if batch else ordered:
        task_id = t.task_id.split(".")[-1]
        var = task_id.split("_")[0]
        names.append(var)
        extra = ", batch=True" if batch else ""
        if isinstance(t, HumanStepSensor):
            tasks.append(f"{pad}{var} = HumanStepSensor(task_id={task_id!r}, sop_id={t.sop_id!r}, step_id={t.step_id!r}, "
                         f"poll_seconds={t.poll_seconds!r}{extra},\n{pad}{' ' * (len(var) + 19)}doc_md={t.doc_md!r})")
        else:
            tasks.append(f"{pad}{var} = AutoStepOperator(task_id={task_id!r}, sop_id={t.sop_id!r}, step_id={t.step_id!r}"
                         f"{extra},\n{pad}{' ' * (len(var) + 20)}doc_md={t.doc_md!r})")
    # Same shape as the factory: a plain chain, one step after another.
    for a, b in zip(ordered, ordered[1:]):
        assert a.downstream_task_ids == {b.task_id}, (dag.dag_id, a.task_id)
    chain = " >> ".join(names)
    if batch:
        imports += ["from sopflow.airflow.spp import CollectBatchOperator"]
        imports[imports.index("from airflow.sdk import DAG, Param")] = "from airflow.sdk import DAG, Param, task_group"
        collect = ordered[0]
        tasks = ([f"    collect = CollectBatchOperator(task_id='kumpulkan_spj', sop_id={collect.sop_id!r}, "
                  f"doc_md={collect.doc_md!r})", "", "    @task_group(group_id='spj')", "    def per_spj(spj_id):"]
                 + tasks)
        chain = f"        {chain}\n\n    per_spj.expand(spj_id=collect.output)"
    else:
        chain = f"    {chain}"
    doc_lines = "\n".join(f"    {line!r}," for line in dag.doc_md.split("\n"))
    return f'''"""{dag.dag_id} written by hand (benchmark twin of dags/{source_name}): literal values, no YAML."""

{chr(10).join(imports)}

JAKARTA = ZoneInfo("Asia/Jakarta")

{schedule_line}DOC_MD = "\\n".join([
{doc_lines}
])

with DAG(
    dag_id={dag.dag_id!r},
    description={dag.description!r},
    schedule={"SCHEDULE" if schedule != "None" else "None"},
    start_date={_dt(dag.start_date)},
    catchup={dag.catchup!r},
    max_active_runs={dag.max_active_runs!r},
    is_paused_upon_creation={dag.is_paused_upon_creation!r},
    params={{
{params},
    }},
    doc_md=DOC_MD,
    tags={sorted(dag.tags)!r},
    default_args={{"retries": {da["retries"]!r}, "retry_delay": dt.timedelta(seconds={int(da["retry_delay"].total_seconds())})}},
) as dag:
{chr(10).join(tasks)}
{chain}
'''


def main() -> None:
    os.environ.pop("SOPFLOW_POLL_SECONDS", None)
    sys.path.insert(0, str(REPO / "dags"))
    import importlib

    OUT.mkdir(exist_ok=True)
    for path in sorted(p for p in (REPO / "dags").glob("sop[0-9][0-9]_*.py") if not p.stem.endswith("_kirim")):
        dag = importlib.import_module(path.stem).dag
        (OUT / path.name).write_text(render(dag, path.name))
        print("wrote", OUT / path.name)


if __name__ == "__main__":
    main()
