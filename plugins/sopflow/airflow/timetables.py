"""WorkingDayTimetable: "the Nth working day of these months at HH:MM" (Asia/Jakarta).

Working days come from `config/calendar.yaml` (office hours, national holidays, cuti bersama
and local changes), so a quarterly or annual SOP never starts its run on a holiday: the first
working day of January 2027 is Monday 4 January, not the holiday of 1 January. Registered by
the sopflow AirflowPlugin so the scheduler can deserialize it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from airflow._shared.timezones.timezone import coerce_datetime, utcnow
from airflow.timetables.trigger import _TriggerTimetable

_SEARCH_YEARS = 3


def _calendar():
    from sopflow.domain.worktime import load_calendar
    from sopflow.settings import get_settings

    return load_calendar(get_settings().calendar_file)


class WorkingDayTimetable(_TriggerTimetable):
    def __init__(self, months: tuple[int, ...] | list[int], nth: int, hour: int, minute: int,
                 timezone: str = "Asia/Jakarta") -> None:
        if not months or any(not 1 <= m <= 12 for m in months):
            raise ValueError(f"months must be 1..12, got {months!r}")
        if nth < 1:
            raise ValueError(f"nth working day must be 1 or more, got {nth!r}")
        self.months = tuple(sorted(set(int(m) for m in months)))
        self.nth, self.hour, self.minute, self.timezone = int(nth), int(hour), int(minute), timezone
        self._interval = dt.timedelta(0)
        self._tz = ZoneInfo(timezone)
        self._cache: dict[tuple[int, int], dt.datetime] = {}

    # --- the dates --------------------------------------------------------------------------
    def occurrence(self, year: int, month: int) -> dt.datetime:
        """The run time in (year, month), as an aware UTC datetime."""
        key = (year, month)
        if key not in self._cache:
            calendar = _calendar()
            day, seen = dt.date(year, month, 1), 0
            while True:
                if calendar.is_working_day(day):
                    seen += 1
                    if seen == self.nth:
                        break
                day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(self.hour, self.minute), tzinfo=self._tz)
            self._cache[key] = local.astimezone(dt.timezone.utc)
        return self._cache[key]

    def _around(self, current: dt.datetime) -> list[dt.datetime]:
        year = current.astimezone(self._tz).year
        return [self.occurrence(y, m) for y in range(year - _SEARCH_YEARS, year + _SEARCH_YEARS + 1)
                for m in self.months]

    def _get_next(self, current):
        return coerce_datetime(min(t for t in self._around(current) if t > current))

    def _get_prev(self, current):
        return coerce_datetime(max(t for t in self._around(current) if t < current))

    def _align_to_next(self, current):
        return coerce_datetime(min(t for t in self._around(current) if t >= current))

    def _align_to_prev(self, current):
        return coerce_datetime(max(t for t in self._around(current) if t <= current))

    def _calc_first_run(self):
        return self._align_to_next(coerce_datetime(utcnow()))

    # --- Airflow's contract -------------------------------------------------------------------
    @property
    def summary(self) -> str:
        months = ",".join(str(m) for m in self.months)
        return f"hari kerja ke-{self.nth} bulan {months} pukul {self.hour:02d}:{self.minute:02d} WIB"

    @property
    def description(self) -> str:
        return self.summary

    def serialize(self) -> dict[str, Any]:
        return {"months": list(self.months), "nth": self.nth, "hour": self.hour, "minute": self.minute,
                "timezone": self.timezone}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "WorkingDayTimetable":
        return cls(data["months"], data["nth"], data["hour"], data["minute"], data.get("timezone", "Asia/Jakarta"))

    def validate(self) -> None:
        pass

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkingDayTimetable) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((self.months, self.nth, self.hour, self.minute, self.timezone))


class EveryWorkingDayTimetable(WorkingDayTimetable):
    """Every working day at HH:MM (Asia/Jakarta): the SPJ batch's cut-off and the day's transmittal
    to BPKAD. Weekends, holidays and cuti bersama of `config/calendar.yaml` get no run."""

    def __init__(self, hour: int, minute: int, timezone: str = "Asia/Jakarta") -> None:
        super().__init__(tuple(range(1, 13)), 1, hour, minute, timezone)

    def _day_at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(self.hour, self.minute), tzinfo=self._tz).astimezone(dt.timezone.utc)

    def _scan(self, current: dt.datetime, step: int, strict: bool) -> dt.datetime:
        calendar = _calendar()
        day = current.astimezone(self._tz).date()
        for _ in range(366 * _SEARCH_YEARS):
            if calendar.is_working_day(day):
                at = self._day_at(day)
                if (at > current if step > 0 else at < current) or (not strict and at == current):
                    return coerce_datetime(at)
            day += dt.timedelta(days=step)
        raise ValueError(f"no working day within {_SEARCH_YEARS} years of {current}")

    def _get_next(self, current):
        return self._scan(current, 1, True)

    def _get_prev(self, current):
        return self._scan(current, -1, True)

    def _align_to_next(self, current):
        return self._scan(current, 1, False)

    def _align_to_prev(self, current):
        return self._scan(current, -1, False)

    @property
    def summary(self) -> str:
        return f"setiap hari kerja pukul {self.hour:02d}:{self.minute:02d} WIB"

    def serialize(self) -> dict[str, Any]:
        return {"hour": self.hour, "minute": self.minute, "timezone": self.timezone}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "EveryWorkingDayTimetable":
        return cls(data["hour"], data["minute"], data.get("timezone", "Asia/Jakarta"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EveryWorkingDayTimetable) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((self.hour, self.minute, self.timezone))
