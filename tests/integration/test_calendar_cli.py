"""`sopflow calendar`, as an admin runs it."""

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def cli(*args):
    return subprocess.run([str(BIN / "sopflow"), "calendar", *args], capture_output=True, text=True, timeout=60)


def test_due_over_lebaran_2023():
    # 18 Apr 2023 (Tue) + 3 working days: 19-25 Apr are Idul Fitri and cuti bersama -> 26, 27, 28.
    out = cli("due", "2023-04-18T10:00", "--days", "3")
    assert out.returncode == 0 and out.stdout.strip() == "2023-04-28T16:30:00+07:00"


def test_due_in_minutes_across_friday_closing():
    # Fri 5 Dec 2025 16:00 + 60 min: 30 min until 16:30, then Mon 8 Dec 07:30 + 30 -> 08:00.
    out = cli("due", "2025-12-05T16:00", "--minutes", "60")
    assert out.stdout.strip() == "2025-12-08T08:00:00+07:00"


def test_due_flags_estimated_holidays_on_a_second_line():
    out = cli("due", "2045-08-10T09:00", "--days", "5")
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("perkiraan:") and "2045-08-14" in lines[1]


def test_is_working_names_the_holiday():
    assert cli("is-working", "2025-08-18").stdout.strip() == "no: Cuti Bersama Hari Kemerdekaan Republik Indonesia"
    assert cli("is-working", "2025-08-19").stdout.strip() == "yes"
    assert cli("is-working", "2026-12-05").stdout.strip() == "no: di luar hari kerja (Sabtu)"


def test_bad_input_is_refused_clearly():
    out = cli("is-working", "18-08-2025")
    assert out.returncode == 2 and "YYYY-MM-DD" in out.stderr
    out = cli("due", "kemarin", "--days", "1")
    assert out.returncode == 2 and "ISO date" in out.stderr
