"""Working time (`config/calendar.yaml`): office hours, holidays and cuti bersama.

Due times and measured durations count only office hours on working days. A working day has
office hours for its weekday and is not a holiday. Holidays come from the `holidays` package
(category `public` for national holidays, `government` for cuti bersama). Each year's `local`
section can add days off (`tambah`) or remove package days (`hapus`).

Every datetime passed in must be timezone-aware. Results are in the calendar's zone
(Asia/Jakarta). Office hours are half-open, [buka, tutup): a due time can fall exactly at
closing, and work resumed at closing starts at the next opening.

Holidays the government has not yet fixed (Islamic and lunar holidays of later years) are
estimates in the package. `due()` lists the estimated days it skipped, because the due time
moves if one of those dates changes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from sopflow.domain.errors import ConfigError
from sopflow.domain.yamlio import read_yaml_file

DAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")  # index = date.weekday()
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MAX_SCAN_DAYS = 3660  # a calendar with no working day for ten years is a broken calendar


# --- the file's schema ---------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficeDay(_Strict):
    """Opening (`buka`) and closing (`tutup`) time of one weekday."""

    buka: dt.time
    tutup: dt.time

    @field_validator("buka", "tutup", mode="before")
    @classmethod
    def _hhmm(cls, v: Any) -> Any:
        if isinstance(v, dt.time):
            return v
        m = HHMM.match(v.strip()) if isinstance(v, str) else None
        if not m:
            raise ValueError(f'time must be "HH:MM" (24h, 00:00 to 23:59), got {v!r}')
        return dt.time(int(m.group(1)), int(m.group(2)))

    @field_validator("tutup")
    @classmethod
    def _after_opening(cls, v: dt.time, info: ValidationInfo) -> dt.time:
        buka = info.data.get("buka")
        if buka is not None and v <= buka:
            raise ValueError(f"closing time {v:%H:%M} must be after opening time {buka:%H:%M}")
        return v


class OfficeHours(_Strict):
    """Every weekday must be listed; null means closed."""

    senin: OfficeDay | None
    selasa: OfficeDay | None
    rabu: OfficeDay | None
    kamis: OfficeDay | None
    jumat: OfficeDay | None
    sabtu: OfficeDay | None
    minggu: OfficeDay | None

    @model_validator(mode="after")
    def _some_day_open(self) -> "OfficeHours":
        if all(getattr(self, d) is None for d in DAYS):
            raise ValueError("no day has office hours")
        return self


class HolidaySource(_Strict):
    country: str = "ID"
    categories: list[str] = Field(default_factory=lambda: ["public", "government"], min_length=1)
    language: str = "id"

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if v not in holidays_pkg.list_supported_countries():
            raise ValueError(f"the holidays package has no country {v!r}")
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str], info: ValidationInfo) -> list[str]:
        country = info.data.get("country")
        if country:
            known = holidays_pkg.country_holidays(country).supported_categories
            unknown = [c for c in v if c not in known]
            if unknown:
                raise ValueError(f"unknown categories {unknown}; {country} has {sorted(known)}")
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str, info: ValidationInfo) -> str:
        country = info.data.get("country")
        if country:
            known = holidays_pkg.country_holidays(country).supported_languages
            if v not in known:
                raise ValueError(f"unknown language {v!r}; {country} has {sorted(known)}")
        return v


class Tambah(_Strict):
    """A day off the package does not know."""

    tanggal: dt.date
    nama: str = Field(..., min_length=1)


class Hapus(_Strict):
    """A package holiday that is a working day after all."""

    tanggal: dt.date
    alasan: str = Field(..., min_length=1)


class LocalYear(_Strict):
    tambah: list[Tambah] = Field(default_factory=list)
    hapus: list[Hapus] = Field(default_factory=list)

    @field_validator("tambah", "hapus", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v


class CalendarConfig(_Strict):
    timezone: str = "Asia/Jakarta"
    office_hours: OfficeHours
    holidays: HolidaySource = Field(default_factory=HolidaySource)
    local: dict[int, LocalYear] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Asia/Jakarta)") from None
        return v

    @field_validator("local", mode="before")
    @classmethod
    def _local(cls, v: Any) -> Any:
        return {} if v is None else v


# --- results -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueTime:
    """A due time, and the estimated holidays skipped on the way to it (oldest first).

    When `estimated` is not empty, the due time moves if the government fixes one of those
    holidays on another date.
    """

    at: dt.datetime
    estimated: tuple[dt.date, ...] = ()

    @property
    def is_estimate(self) -> bool:
        return bool(self.estimated)


@dataclass(frozen=True)
class _Holiday:
    name: str
    estimated: bool


# --- the calendar --------------------------------------------------------------------------------

def _utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.timezone.utc)


class WorkCalendar:
    """Working-time arithmetic over one calendar. Holiday sets are built once per year."""

    def __init__(self, config: CalendarConfig):
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self._hours: tuple[OfficeDay | None, ...] = tuple(getattr(config.office_hours, d) for d in DAYS)
        self._package_years: dict[int, dict[dt.date, _Holiday]] = {}
        self._years: dict[int, dict[dt.date, _Holiday]] = {}

    # -- holidays --
    def _package_holidays(self, year: int) -> dict[dt.date, _Holiday]:
        """The package's holidays of `year`, before local changes."""
        cached = self._package_years.get(year)
        if cached is None:
            src = self.config.holidays
            pkg = holidays_pkg.country_holidays(
                src.country, years=year, categories=tuple(src.categories), language=src.language
            )
            # The package has no "is estimated" API: it appends its translated estimated_label,
            # "%s (perkiraan)" in Indonesian, to the name of each estimated date.
            label = getattr(pkg, "estimated_label", None)
            marker = pkg.tr(label).replace("%s", "").strip() if label else None
            cached = {}
            for day in sorted(pkg):
                if day.year == year:
                    names = pkg.get_list(day)
                    estimated = bool(marker) and all(marker in n for n in names)
                    cached[day] = _Holiday("; ".join(names), estimated)
            self._package_years[year] = cached
        return cached

    def _holidays(self, year: int) -> dict[dt.date, _Holiday]:
        """Holidays of `year`: the package's, minus `hapus`, plus `tambah`."""
        cached = self._years.get(year)
        if cached is None:
            cached = dict(self._package_holidays(year))
            local = self.config.local.get(year)
            if local:
                for h in local.hapus:
                    cached.pop(h.tanggal, None)
                for t in local.tambah:
                    prev = cached.get(t.tanggal)
                    # A decreed local day off is not an estimate, whatever the package guessed.
                    cached[t.tanggal] = _Holiday(f"{prev.name}; {t.nama}" if prev else t.nama, False)
            self._years[year] = cached
        return cached

    def _day(self, day: dt.date) -> dt.date:
        return self._local(day).date() if isinstance(day, dt.datetime) else day

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday's name in the configured language (names joined by "; "), or None."""
        day = self._day(day)
        h = self._holidays(day.year).get(day)
        return h.name if h else None

    def is_estimated(self, day: dt.date) -> bool:
        """True when `day` is a holiday whose date the package only estimates."""
        day = self._day(day)
        h = self._holidays(day.year).get(day)
        return bool(h and h.estimated)

    def is_working_day(self, day: dt.date) -> bool:
        day = self._day(day)
        return self._hours[day.weekday()] is not None and day not in self._holidays(day.year)

    def office_hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """Opening and closing moment of `day`, or None when it is not a working day."""
        day = self._day(day)
        if not self.is_working_day(day):
            return None
        hours = self._hours[day.weekday()]
        return (dt.datetime.combine(day, hours.buka, tzinfo=self.tz),
                dt.datetime.combine(day, hours.tutup, tzinfo=self.tz))

    # -- arithmetic --
    def _local(self, t: dt.datetime) -> dt.datetime:
        if not isinstance(t, dt.datetime) or t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"a timezone-aware datetime is required, got {t!r}")
        return t.astimezone(self.tz)

    def next_working_moment(self, t: dt.datetime) -> dt.datetime:
        """`t` itself during office hours, otherwise the next opening."""
        t = self._local(t)
        day = t.date()
        for _ in range(_MAX_SCAN_DAYS):
            hours = self.office_hours(day)
            if hours and t < hours[1]:
                return max(t, hours[0])
            day += dt.timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {t}")

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The moment `minutes` of office time after `start`. A start outside office hours counts
        from the next opening. The result may be a closing time."""
        if minutes < 0:
            raise ValueError(f"minutes must not be negative, got {minutes}")
        t = self.next_working_moment(start)
        remaining = dt.timedelta(minutes=minutes)
        while True:
            close = self.office_hours(t.date())[1]
            left = _utc(close) - _utc(t)
            if remaining <= left:
                return (_utc(t) + remaining).astimezone(self.tz)
            remaining -= left
            t = self.next_working_moment(close)

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Closing time of the `days`-th working day after the date of `start`.
        With 0 days: closing time of the working day `start` is in (or of the next one)."""
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        if days == 0:
            return self.office_hours(self.next_working_moment(start).date())[1]
        day, count = self._local(start).date(), 0
        for _ in range(_MAX_SCAN_DAYS * days):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
                if count == days:
                    return self.office_hours(day)[1]
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {start}")

    def working_minutes_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Whole minutes of office time from `a` to `b` (negative when `b` is before `a`)."""
        a, b = self._local(a), self._local(b)
        if b < a:
            return -self.working_minutes_between(b, a)
        total = dt.timedelta(0)
        day = a.date()
        while day <= b.date():
            hours = self.office_hours(day)
            if hours:
                lo, hi = max(a, hours[0]), min(b, hours[1])
                if hi > lo:
                    total += _utc(hi) - _utc(lo)
            day += dt.timedelta(days=1)
        return int(total.total_seconds() // 60)

    def due(self, start: dt.datetime, *, minutes: int | None = None, days: int | None = None) -> DueTime:
        """A step's due time: `minutes` of office time (waktu_menit) or `days` working days
        (batas_hari_kerja) after `start`, with the estimated holidays skipped on the way."""
        if (minutes is None) == (days is None):
            raise ValueError("give exactly one of minutes and days")
        at = self.add_working_minutes(start, minutes) if minutes is not None else self.add_working_days(start, days)
        return DueTime(at, self.estimated_holidays(self._local(start).date(), at.date()))

    def estimated_holidays(self, first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
        """Estimated holidays from `first` to `last` (inclusive) that fall on a day with office
        hours, i.e. that change the count of working time if they move."""
        found, day = [], self._day(first)
        last = self._day(last)
        while day <= last:
            if self._hours[day.weekday()] is not None and self.is_estimated(day):
                found.append(day)
            day += dt.timedelta(days=1)
        return tuple(found)


# --- loading -------------------------------------------------------------------------------------

def _error_from_validation(path: Path, exc: ValidationError) -> ConfigError:
    errors = exc.errors()
    # A misspelt key shows as both "unknown key" and "missing"; the misspelling is the useful one.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(p) for p in err["loc"] if p != "[key]"]
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        if loc[:1] == ["office_hours"] and len(loc) == 2:
            message = f"unknown day (the days are {', '.join(DAYS)})"
        else:
            message = "unknown key (not part of the calendar schema)"
    elif err["type"] == "missing":
        message = "required (for a closed day write null)" if loc[:1] == ["office_hours"] else "required"
    return ConfigError(path, message, field=".".join(loc) or None)


def _check_local(path: Path, calendar: WorkCalendar) -> None:
    for year, changes in calendar.config.local.items():
        added = {t.tanggal for t in changes.tambah}
        for kind, entries in (("tambah", changes.tambah), ("hapus", changes.hapus)):
            for i, entry in enumerate(entries):
                field = f"local.{year}.{kind}.{i}.tanggal"
                if entry.tanggal.year != year:
                    raise ConfigError(path, f"{entry.tanggal} is not in {year}", field=field)
                if kind == "hapus" and entry.tanggal in added:
                    raise ConfigError(path, f"{entry.tanggal} is both added and removed", field=field)
                if kind == "hapus" and entry.tanggal not in calendar._package_holidays(year):
                    raise ConfigError(
                        path, f"{entry.tanggal} is not a holiday in the holidays package, so there is nothing to remove",
                        field=field,
                    )


def load_calendar(path: Path | str) -> WorkCalendar:
    """Read and validate `calendar.yaml`. Any problem raises ConfigError naming the file and field."""
    path = Path(path)
    raw = read_yaml_file(path)
    if not isinstance(raw, dict):
        raise ConfigError(path, "the file must be a YAML mapping (timezone, office_hours, holidays, local)")
    try:
        config = CalendarConfig.model_validate(raw)
    except ValidationError as exc:
        raise _error_from_validation(path, exc) from None
    calendar = WorkCalendar(config)
    _check_local(path, calendar)
    return calendar
