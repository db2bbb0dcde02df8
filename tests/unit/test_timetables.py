"""EveryWorkingDayTimetable (SOP VIII's batch and transmittal) against the office calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sopflow.airflow.timetables import EveryWorkingDayTimetable

WIB = ZoneInfo("Asia/Jakarta")


def _runs(timetable, start: dt.datetime, n: int) -> list[dt.datetime]:
    out, current = [], start
    for _ in range(n):
        current = timetable._get_next(current)
        out.append(current.astimezone(WIB))
    return out


def test_no_batch_on_weekends_christmas_cuti_bersama_or_new_year():
    runs = _runs(EveryWorkingDayTimetable(8, 0), dt.datetime(2026, 12, 23, 9, 0, tzinfo=WIB), 4)
    # 24 Dec 2026 cuti bersama Natal, 25 Dec Natal, 26-27 weekend.
    assert runs == [dt.datetime(2026, 12, d, 8, 0, tzinfo=WIB) for d in (28, 29, 30, 31)]
    after_new_year = _runs(EveryWorkingDayTimetable(8, 0), runs[-1], 1)[0]
    assert after_new_year == dt.datetime(2027, 1, 4, 8, 0, tzinfo=WIB)  # 1 Jan holiday, 2-3 weekend


def test_the_cutoff_is_wib_not_utc_and_aligns_on_the_run_time():
    t = EveryWorkingDayTimetable(8, 0)
    at = dt.datetime(2026, 12, 28, 8, 0, tzinfo=WIB)
    assert t._align_to_next(at) == at and t._align_to_prev(at) == at
    assert t._get_next(at).astimezone(dt.timezone.utc).hour == 1  # 08:00 WIB is 01:00 UTC
    assert t._get_prev(at).astimezone(WIB) == dt.datetime(2026, 12, 23, 8, 0, tzinfo=WIB)


def test_serialises_for_the_scheduler():
    t = EveryWorkingDayTimetable(14, 30)
    assert EveryWorkingDayTimetable.deserialize(t.serialize()) == t
    assert t.summary == "setiap hari kerja pukul 14:30 WIB"
