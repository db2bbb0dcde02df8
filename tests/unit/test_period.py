"""A run's reporting period, from its parameter or its logical date in Asia/Jakarta."""

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from sopflow.domain.period import periode_for
from sopflow.domain.sop import load_sop

SOPS = Path(__file__).resolve().parents[2] / "config" / "sops"
UTC = dt.timezone.utc


def sop(name):
    return load_sop(SOPS / name)


@pytest.mark.parametrize("when, expected", [
    (dt.datetime(2026, 4, 1, 2, 0, tzinfo=UTC), "Triwulan I 2026"),      # 09:00 WIB, 1 April
    (dt.datetime(2026, 1, 1, 2, 0, tzinfo=UTC), "Triwulan IV 2025"),     # the year's first run reports last year's Q4
    (dt.datetime(2026, 6, 30, 17, 30, tzinfo=UTC), "Triwulan II 2026"),  # 1 July 00:30 WIB is still 30 June in UTC
])
def test_quarterly_reports_the_quarter_just_ended(when, expected):
    assert periode_for(sop("05_data_kinerja.yaml"), when) == expected


def test_annual_periods_follow_each_sop():
    jan2 = dt.datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
    assert periode_for(sop("02_renja.yaml"), jan2) == "Tahun 2027"      # Renja plans next year
    assert periode_for(sop("04_lkjip.yaml"), jan2) == "Tahun 2025"      # LKjIP reports last year
    assert periode_for(sop("01_renstra.yaml"), jan2) == "Periode 2027-2031"


def test_new_year_in_jakarta_before_utc():
    # 31 Dec 2026 18:00 UTC is 1 Jan 2027 01:00 WIB: the Jakarta year decides.
    assert periode_for(sop("02_renja.yaml"), dt.datetime(2026, 12, 31, 18, 0, tzinfo=UTC)) == "Tahun 2028"


def test_params_win_and_event_runs_use_their_fiscal_year():
    when = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert periode_for(sop("05_data_kinerja.yaml"), when, {"periode": "Triwulan III 2026"}) == "Triwulan III 2026"
    assert periode_for(sop("03_dpa.yaml"), when, {"tahun_anggaran": 2027}) == "Tahun Anggaran 2027"
    assert periode_for(sop("08_spp.yaml"), when, {"tahun_anggaran": 2026, "periode": ""}) == "Tahun Anggaran 2026"


def test_manual_run_without_logical_date_uses_run_after():
    from sopflow.airflow.runctx import run_context

    after = dt.datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    dag_run = SimpleNamespace(dag_id="sop02_renja", run_id="manual__x", logical_date=None, run_after=after)
    rc = run_context({"dag_run": dag_run, "logical_date": None, "params": {"periode": ""}})
    assert rc.when == after and rc.run_id == "manual__x" and rc.params == {"periode": ""}
