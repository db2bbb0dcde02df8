"""The reporting period of a run (Triwulan, Tahun, five-year Periode), in Asia/Jakarta.

A run's period comes from its `periode` parameter when given, else from its logical date
converted to Asia/Jakarta (Airflow's dates are UTC: 1 Jan 00:30 WIB is still 31 Dec in UTC).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sopflow.domain.sop import (AnnualSchedule, BatchSchedule, EventSchedule, FiveYearlySchedule, OnDemandSchedule,
                                QuarterlySchedule, SopDefinition)

JAKARTA = ZoneInfo("Asia/Jakarta")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def periode_for(sop: SopDefinition, when: dt.datetime, params: dict | None = None) -> str:
    params = params or {}
    given = str(params.get("periode") or "").strip()
    if given:
        return given
    local = when.astimezone(JAKARTA).date()
    schedule = sop.schedule
    if isinstance(schedule, QuarterlySchedule):
        year, quarter = local.year, quarter_of(local)
        if schedule.period == "previous":
            quarter -= 1
            if quarter == 0:
                year, quarter = year - 1, 4
        return f"Triwulan {ROMAN[quarter]} {year}"
    if isinstance(schedule, AnnualSchedule):
        offset = {"previous": -1, "current": 0, "next": 1}[schedule.period]
        return f"Tahun {local.year + offset}"
    if isinstance(schedule, FiveYearlySchedule):
        return f"Periode {local.year + 1}-{local.year + 5}"
    if isinstance(schedule, EventSchedule):
        return f"Tahun Anggaran {params.get('tahun_anggaran') or local.year}"
    if isinstance(schedule, (OnDemandSchedule, BatchSchedule)):
        return f"Tahun Anggaran {params.get('tahun_anggaran') or local.year}"
    raise TypeError(f"unknown schedule {schedule!r}")
