"""Working-time calendar: golden cases worked out by hand from the decreed holidays.

Office hours of config/calendar.yaml: Mon-Thu 07:30-16:00 (510 min), Fri 07:30-16:30 (540 min).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sopflow.domain.errors import ConfigError
from sopflow.domain.worktime import DueTime, WorkCalendar, load_calendar

REPO = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")

BASE = """\
timezone: Asia/Jakarta
office_hours:
  senin:  {buka: "07:30", tutup: "16:00"}
  selasa: {buka: "07:30", tutup: "16:00"}
  rabu:   {buka: "07:30", tutup: "16:00"}
  kamis:  {buka: "07:30", tutup: "16:00"}
  jumat:  {buka: "07:30", tutup: "16:30"}
  sabtu:  null
  minggu: null
holidays:
  country: ID
  categories: [public, government]
"""


def at(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar(REPO / "config" / "calendar.yaml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- golden cases ----------------------------------------------------------------------------

def test_lebaran_2023_cuti_bersama(cal):
    # Start Tue 18 Apr 2023. Wed 19, Thu 20, Fri 21: cuti bersama Idul Fitri; Sat 22 Idul Fitri;
    # Sun 23 (2nd day); Mon 24, Tue 25: cuti bersama. Working days: Wed 26 (1), Thu 27 (2),
    # Fri 28 (3) -> Friday closing 16:30.
    assert cal.add_working_days(at(2023, 4, 18, 10), 3) == at(2023, 4, 28, 16, 30)
    assert cal.holiday_name(dt.date(2023, 4, 19)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert not cal.is_working_day(dt.date(2023, 4, 25))


def test_cuti_bersama_after_independence_day_2025(cal):
    # Start Thu 14 Aug 2025. Fri 15 (1); Sat 16, Sun 17 (HUT RI); Mon 18 cuti bersama;
    # Tue 19 (2), Wed 20 (3), Thu 21 (4), Fri 22 (5) -> 16:30.
    assert cal.add_working_days(at(2025, 8, 14, 9), 5) == at(2025, 8, 22, 16, 30)
    assert cal.holiday_name(dt.date(2025, 8, 18)) == "Cuti Bersama Hari Kemerdekaan Republik Indonesia"


def test_minutes_cross_friday_closing_into_monday(cal):
    # Fri 22 Aug 2025 15:30 + 120 min: 60 min to the 16:30 closing, Sat/Sun closed,
    # remaining 60 min from Mon 25 Aug 07:30 -> 08:30.
    assert cal.add_working_minutes(at(2025, 8, 22, 15, 30), 120) == at(2025, 8, 25, 8, 30)


def test_due_exactly_at_closing_stays_that_day(cal):
    # Thu 21 Aug 2025 15:00 + 60 min = 16:00, Thursday's closing; not moved to Friday.
    assert cal.add_working_minutes(at(2025, 8, 21, 15), 60) == at(2025, 8, 21, 16)
    # but resuming at closing starts at the next opening
    assert cal.next_working_moment(at(2025, 8, 21, 16)) == at(2025, 8, 22, 7, 30)


def test_year_boundary(cal):
    # Wed 31 Dec 2025 14:00 + 240 min: 120 min to 16:00; Thu 1 Jan 2026 Tahun Baru Masehi;
    # remaining 120 min from Fri 2 Jan 07:30 -> 09:30.
    assert cal.holiday_name(dt.date(2026, 1, 1)) == "Tahun Baru Masehi"
    assert cal.add_working_minutes(at(2025, 12, 31, 14), 240) == at(2026, 1, 2, 9, 30)
    # 1 working day after 31 Dec 2025: 1 Jan holiday -> Fri 2 Jan (1), closing 16:30.
    assert cal.add_working_days(at(2025, 12, 31, 14), 1) == at(2026, 1, 2, 16, 30)


def test_start_on_a_sunday(cal):
    # Sun 24 Aug 2025 09:00: counting starts at Mon 25 Aug 07:30; + 60 min -> 08:30.
    assert cal.next_working_moment(at(2025, 8, 24, 9)) == at(2025, 8, 25, 7, 30)
    assert cal.add_working_minutes(at(2025, 8, 24, 9), 60) == at(2025, 8, 25, 8, 30)
    # 1 working day after Sunday's date: Mon 25 (1) -> 16:00.
    assert cal.add_working_days(at(2025, 8, 24, 9), 1) == at(2025, 8, 25, 16)


def test_minutes_before_opening_and_after_closing(cal):
    # Mon 25 Aug 2025 06:00 -> opening 07:30; Mon 17:00 -> Tue 07:30.
    assert cal.add_working_minutes(at(2025, 8, 25, 6), 30) == at(2025, 8, 25, 8)
    assert cal.add_working_minutes(at(2025, 8, 25, 17), 30) == at(2025, 8, 26, 8)


def test_working_minutes_between_across_weekend(cal):
    # Fri 22 Aug 2025 15:00 -> 16:30 = 90; Sat, Sun 0; Mon 25 07:30 -> 09:00 = 90. Total 180.
    a, b = at(2025, 8, 22, 15), at(2025, 8, 25, 9)
    assert cal.working_minutes_between(a, b) == 180
    assert cal.working_minutes_between(b, a) == -180
    # the inverse of add_working_minutes
    assert cal.working_minutes_between(a, cal.add_working_minutes(a, 1234)) == 1234


def test_other_timezone_inputs_are_converted(cal):
    # 08:00 UTC on Fri 22 Aug 2025 = 15:00 WIB; + 60 -> 16:00 WIB.
    result = cal.add_working_minutes(dt.datetime(2025, 8, 22, 8, tzinfo=dt.timezone.utc), 60)
    assert result == at(2025, 8, 22, 16)
    assert result.tzinfo == WIB


def test_naive_datetime_refused(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_minutes(dt.datetime(2025, 8, 22, 8), 60)


def test_estimated_holiday_flagged(cal):
    # Idul Fitri 2045 is a package estimate: Mon 14 and Tue 15 Aug 2045 "(perkiraan)".
    # Fri 11 Aug 2045 + 1 working day: Mon 14, Tue 15 skipped -> Wed 16 (1), 16:00.
    assert cal.is_estimated(dt.date(2045, 8, 14))
    assert "(perkiraan)" in cal.holiday_name(dt.date(2045, 8, 14))
    due = cal.due(at(2045, 8, 11, 10), days=1)
    assert due == DueTime(at(2045, 8, 16, 16), (dt.date(2045, 8, 14), dt.date(2045, 8, 15)))
    assert due.is_estimate
    # a decreed holiday is not an estimate
    assert not cal.is_estimated(dt.date(2025, 8, 18))
    assert not cal.due(at(2025, 8, 14, 9), days=5).is_estimate
    # due() with minutes gives the same time as add_working_minutes
    assert cal.due(at(2025, 8, 22, 15, 30), minutes=120).at == at(2025, 8, 25, 8, 30)


# --- local overrides -------------------------------------------------------------------------

def test_local_hapus_removes_cuti_bersama(tmp_path):
    cal = load_calendar(write(tmp_path, BASE + """\
local:
  2025:
    hapus:
      - tanggal: 2025-08-18
        alasan: contoh, cuti bersama dibatalkan
"""))
    # Mon 18 Aug 2025 is now a working day: Fri 15 (1), Mon 18 (2), Tue 19 (3), Wed 20 (4),
    # Thu 21 (5) -> 16:00.
    assert cal.is_working_day(dt.date(2025, 8, 18))
    assert cal.holiday_name(dt.date(2025, 8, 18)) is None
    assert cal.add_working_days(at(2025, 8, 14, 9), 5) == at(2025, 8, 21, 16)


def test_local_tambah_adds_day_off(tmp_path):
    cal = load_calendar(write(tmp_path, BASE + """\
local:
  2025:
    tambah:
      - tanggal: 2025-08-19
        nama: Hari Jadi Kabupaten (contoh)
"""))
    # Fri 15 (1), Mon 18 cuti bersama, Tue 19 local day off, Wed 20 (2), Thu 21 (3), Fri 22 (4),
    # Mon 25 (5) -> 16:00.
    assert cal.holiday_name(dt.date(2025, 8, 19)) == "Hari Jadi Kabupaten (contoh)"
    assert cal.add_working_days(at(2025, 8, 14, 9), 5) == at(2025, 8, 25, 16)


def test_unquoted_times_are_read_as_times(tmp_path):
    # YAML 1.1 reads unquoted 16:00 as the base-60 integer 960; the loader does not.
    cal = load_calendar(write(tmp_path, BASE.replace('"', "")))
    assert cal.office_hours(dt.date(2025, 8, 22)) == (at(2025, 8, 22, 7, 30), at(2025, 8, 22, 16, 30))


# --- malformed files -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (BASE + "reminders: 3\n", "reminders", "unknown key"),
        (BASE.replace('senin:  {buka: "07:30"', 'senin:  {buka: "25:00"'), "office_hours.senin.buka", "HH:MM"),
        (BASE.replace('tutup: "16:30"', 'tutup: "07:00"'), "office_hours.jumat.tutup", "must be after opening"),
        (BASE.replace("  sabtu:  null\n", ""), "office_hours.sabtu", "required"),
        (BASE.replace("jumat:", "jumaat:"), "office_hours.jumaat", "unknown day"),
        (BASE.replace("Asia/Jakarta", "Asia/Bandung"), "timezone", "unknown time zone"),
        (BASE.replace("[public, government]", "[public, bank]"), "holidays.categories", "unknown categories"),
        (BASE + "local:\n  2025:\n    hapus:\n      - {tanggal: 2025-08-19, alasan: salah}\n",
         "local.2025.hapus.0.tanggal", "not a holiday"),
        (BASE + "local:\n  2025:\n    tambah:\n      - {tanggal: 2026-08-19, nama: X}\n",
         "local.2025.tambah.0.tanggal", "not in 2025"),
        (BASE + "local:\n  2025:\n    tambah:\n      - {tanggal: 2025-08-19}\n",
         "local.2025.tambah.0.nama", "required"),
    ],
)
def test_malformed_calendar(tmp_path, text, field, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_calendar(path)
    err = info.value
    assert err.path == str(path)
    assert err.field == field
    assert message in err.message
    assert str(path) in str(err) and field in str(err)


def test_yaml_syntax_error(tmp_path):
    path = write(tmp_path, "office_hours: [unclosed\n")
    with pytest.raises(ConfigError, match="YAML syntax error") as info:
        load_calendar(path)
    assert info.value.where.startswith("line ")
