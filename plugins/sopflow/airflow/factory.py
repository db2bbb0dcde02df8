"""The DAG factory: one SOP definition in, one Airflow DAG out (DAG id = SOP id, a task per step).

Parse-time work is kept small: reading one YAML file and the staff directory; no database,
no rendering. A broken SOP file raises its ConfigError, which Airflow shows as that DAG
file's import error while the other DAG files load.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param, task_group
from airflow.timetables.events import EventsTimetable
from airflow.timetables.trigger import CronTriggerTimetable

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor
from sopflow.airflow.timetables import EveryWorkingDayTimetable, WorkingDayTimetable
from sopflow.domain.catalogue import check_against_staff
from sopflow.domain.sop import (AnnualSchedule, BatchSchedule, EventSchedule, FiveYearlySchedule, OnDemandSchedule,
                                QuarterlySchedule, SopDefinition, load_sop)
from sopflow.domain.staff import load_staff
from sopflow.settings import get_settings

JAKARTA = ZoneInfo("Asia/Jakarta")
START = dt.datetime(2026, 1, 1, tzinfo=JAKARTA)
FIVE_YEARLY_EVENTS = 15  # 75 years of Renstra periods from the anchor


def timetable_for(sop: SopDefinition):
    s = sop.schedule
    if isinstance(s, QuarterlySchedule):
        if s.hari_kerja:
            return WorkingDayTimetable((1, 4, 7, 10), s.hari_kerja, s.hour, s.minute)
        return CronTriggerTimetable(f"{s.minute} {s.hour} {s.day} 1,4,7,10 *", timezone="Asia/Jakarta")
    if isinstance(s, AnnualSchedule):
        if s.hari_kerja:
            return WorkingDayTimetable((s.month,), s.hari_kerja, s.hour, s.minute)
        return CronTriggerTimetable(f"{s.minute} {s.hour} {s.day} {s.month} *", timezone="Asia/Jakarta")
    if isinstance(s, FiveYearlySchedule):
        # Cron has no year step and airflow.sdk.EventsTimetable fails to serialize in 3.3.2: the
        # core EventsTimetable with the dates listed works (see docs/decisions.md).
        events = [dt.datetime(s.anchor_year + 5 * k, s.month, s.day, s.hour, s.minute, tzinfo=JAKARTA)
                  for k in range(FIVE_YEARLY_EVENTS)]
        return EventsTimetable(event_dates=events, description=f"setiap 5 tahun sejak {s.anchor_year}",
                               presorted=True, restrict_to_events=False)
    if isinstance(s, BatchSchedule):
        return EveryWorkingDayTimetable(s.hour, s.minute)
    if isinstance(s, (EventSchedule, OnDemandSchedule)):
        return None
    raise TypeError(f"unknown schedule {s!r}")


def params_for(sop: SopDefinition) -> dict[str, Param]:
    params: dict[str, Param] = {
        "periode": Param("", type="string", title="Periode (opsional)",
                         description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'."),
    }
    s = sop.schedule
    if isinstance(s, EventSchedule) and s.event == "surat_bpkad":
        params.update(
            nomor_surat=Param(type="string", minLength=1, title="Nomor surat BPKAD"),
            tanggal_surat=Param(type="string", format="date", title="Tanggal surat BPKAD"),
            tahun_anggaran=Param(type="integer", minimum=2000, maximum=2100, title="Tahun anggaran"),
        )
    if isinstance(s, BatchSchedule):
        params["periode"] = Param("", type="string", title="Periode (opsional)",
                                  description="Kosongkan: setiap SPJ berperiode Tahun Anggarannya sendiri.")
    if isinstance(s, OnDemandSchedule) and s.form == "spj":
        params.update(
            jenis_spp=Param(type="string", enum=["UP", "GU", "TU", "LS"], title="Jenis SPP"),
            jumlah=Param(type="string", pattern=r"^[0-9]{1,15}([.,][0-9]{1,2})?$",
                         title="Jumlah (rupiah)", description="Angka tanpa titik ribuan, mis. 12500000 atau 12500000,50"),
            uraian=Param(type="string", minLength=3, title="Uraian SPJ"),
            tahun_anggaran=Param(type="integer", minimum=2000, maximum=2100, title="Tahun anggaran"),
        )
    return params


def doc_md(sop: SopDefinition) -> str:
    lines = [f"# {sop.nama}", "", f"**Nomor SOP:** {sop.nomor} (Lampiran {sop.lampiran}, Keputusan {sop.keputusan})  ",
             f"**Unit:** {sop.unit}  ", f"**Disahkan oleh:** {sop.disahkan_oleh}", "",
             "| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |", "|---|---|---|---|---|---|"]
    for step in sop.steps:
        waktu = f"{step.waktu_menit} menit" if step.waktu_menit else "-"
        if step.batas_hari_kerja:
            waktu += f" (batas {step.batas_hari_kerja} hari kerja)"
        lines.append(f"| {step.no} | {step.uraian} | {step.pelaksana} | {step.kind} | {waktu} | {step.output or '-'} |")
    lines += ["", f"**Peringatan:** {sop.peringatan}"]
    return "\n".join(lines)


def _step_tasks(sop: SopDefinition, poll: float, batch: bool = False) -> None:
    """One task per step, in order: a waiting sensor for what people (or the transmittal) do."""
    previous = None
    for step in sop.steps:
        doc = f"Langkah {step.no}: {step.uraian}"
        if step.waits:
            task = HumanStepSensor(task_id=step.id, sop_id=sop.id, step_id=step.id, poll_seconds=poll,
                                   batch=batch, doc_md=doc)
        else:
            task = AutoStepOperator(task_id=step.id, sop_id=sop.id, step_id=step.id, batch=batch, doc_md=doc)
        if previous is not None:
            previous >> task
        previous = task


def build_dag(sop: SopDefinition) -> DAG:
    batch = isinstance(sop.schedule, BatchSchedule)
    scheduled = not isinstance(sop.schedule, (EventSchedule, OnDemandSchedule))
    poll = get_settings().poll_seconds
    with DAG(
        dag_id=sop.id,
        description=f"{sop.nama} ({sop.nomor})",
        schedule=timetable_for(sop),
        start_date=START,
        catchup=False,
        # A triggered run (one SPJ bundle, one BPKAD letter) waits days for people; Airflow's
        # default of 16 would hold the 17th bundle back unopened.
        # A batch run lives until its last bundle is sent: several working days' batches overlap.
        max_active_runs=1000 if batch or not scheduled else 1,
        # A triggered-only DAG starts nothing by itself: unpaused, so a trigger runs at once.
        is_paused_upon_creation=scheduled,
        params=params_for(sop),
        doc_md=doc_md(sop),
        tags=["sopflow", sop.schedule.cadence, f"lampiran-{sop.lampiran}"],
        default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
    ) as dag:
        if not batch:
            _step_tasks(sop, poll)
        else:
            from sopflow.airflow.spp import CollectBatchOperator

            collect = CollectBatchOperator(task_id="kumpulkan_spj", sop_id=sop.id,
                                           doc_md="Mengambil semua SPJ yang diajukan sampai jam potong")

            # Mapped over the bundles: each one goes through the steps on its own, so one waiting
            # for a signature holds up no other. The tasks find their bundle by map index.
            @task_group(group_id="spj")
            def per_spj(spj_id):
                _step_tasks(sop, poll, batch=True)

            per_spj.expand(spj_id=collect.output)
    return dag


def dag_from_yaml(file_name: str) -> DAG:
    """Build the DAG of `config/sops/<file_name>`; raises its ConfigError when the file is wrong."""
    settings = get_settings()
    path = settings.sops_dir / file_name
    sop = load_sop(path)
    check_against_staff(path, sop, load_staff(settings.staff_file))
    return build_dag(sop)
