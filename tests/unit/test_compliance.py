"""Compliance figures (sopflow.domain.compliance) on a hand-built history, checked against a hand
computation written out in the comments.

The calendar here is built inline so the figures do not move when an office edits its own
config/calendar.yaml: office hours Monday-Friday 08:00-16:00 WIB (480 working minutes a day),
national holidays and cuti bersama from the `holidays` package. In February 2026 that means
Mon 16 Feb (Cuti Bersama Tahun Baru Imlek) and Tue 17 Feb (Tahun Baru Imlek) are not working days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sopflow.domain.compliance import (TANPA_STANDAR, compute, previous_quarter, quarter_bounds, standard_for)
from sopflow.domain.sop import SopDefinition
from sopflow.domain.worktime import CalendarConfig, WorkCalendar
from sopflow.store.models import StepInstance

WIB = ZoneInfo("Asia/Jakarta")
UTC = dt.timezone.utc
DAY = {"buka": "08:00", "tutup": "16:00"}
CALENDAR = WorkCalendar(CalendarConfig.model_validate({
    "office_hours": {"senin": DAY, "selasa": DAY, "rabu": DAY, "kamis": DAY, "jumat": DAY, "sabtu": None, "minggu": None},
}))


def at(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=WIB)


def _sop(sop_id: str, nama: str, steps: list[dict]) -> SopDefinition:
    return SopDefinition.model_validate({
        "id": sop_id, "nomor": "000/1/2026", "lampiran": "I", "nama": nama, "unit": "Bagian Uji",
        "keputusan": "Keputusan Uji", "disahkan_oleh": "Sekretaris Daerah", "dasar_hukum": [],
        "kualifikasi_pelaksana": [], "keterkaitan": [], "peralatan": [], "peringatan": "-", "pencatatan": "-",
        "schedule": {"cadence": "on_demand", "form": "spj"}, "steps": steps,
    })


UJI = _sop("sop90_uji", "SOP Uji Kepatuhan", [
    {"no": 1, "id": "s1_siapkan", "uraian": "Menyiapkan bahan", "pelaksana": "perencana", "kind": "task",
     "waktu_menit": 60},
    {"no": 2, "id": "s2_kumpulkan", "uraian": "Mengumpulkan data", "pelaksana": "tim", "kind": "task",
     "waktu_menit": None, "batas_hari_kerja": 2},
    {"no": 3, "id": "s3_koreksi", "uraian": "Mengoreksi data", "pelaksana": "kabag", "kind": "review",
     "waktu_menit": 30, "on_reject": "s2_kumpulkan"},
    {"no": 4, "id": "s4_paraf", "uraian": "Memaraf dokumen", "pelaksana": "kabag", "kind": "task",
     "waktu_menit": None},
    {"no": 5, "id": "s5_arsip", "uraian": "Mengarsipkan dokumen", "pelaksana": "perencana", "kind": "auto",
     "waktu_menit": 420, "actions": ["archive"]},
])
LAIN = _sop("sop91_lain", "SOP Uji Lain", [
    {"no": 1, "id": "t1_tandatangani", "uraian": "Menandatangani dokumen", "pelaksana": "sekda", "kind": "approval",
     "waktu_menit": 120},
])
SOPS = {UJI.id: UJI, LAIN.id: LAIN}
ROLES = {"sekda": "Sekretaris Daerah", "kabag": "Kepala Bagian", "perencana": "Perencana", "tim": "Tim Perencanaan"}
PERIODS = {("sop90_uji", "r1"): "Tahun 2027", ("sop90_uji", "r2"): "Tahun 2028"}

_ids = iter(range(1, 1000))


def inst(sop: SopDefinition, run_id: str, step_id: str, opened: dt.datetime, closed: dt.datetime | None, *,
         status: str | None = None, round_: int = 1, reopened_by: int | None = None) -> StepInstance:
    step = sop.step(step_id)
    if status is None:
        status = {"task": "done", "auto": "done", "review": "approved", "approval": "approved"}[step.kind]
    return StepInstance(id=next(_ids), dag_id=sop.id, run_id=run_id, sop_id=sop.id, step_id=step.id, step_no=step.no,
                        kind=step.kind, uraian=step.uraian, role=step.pelaksana, bagian="", round=round_,
                        status=status, candidates=[], opened_at=opened, closed_at=closed, reopened_by_id=reopened_by)


# The history. Durations are working minutes (08:00-16:00, Monday-Friday, holidays skipped).
# Week of Mon 2 Feb 2026 has no holiday.
A = inst(UJI, "r1", "s1_siapkan", at(2026, 2, 2, 8), at(2026, 2, 2, 9, 30))
#   a: 90 actual vs 60 standard -> overrun +30 (over)
B = inst(UJI, "r1", "s2_kumpulkan", at(2026, 2, 2, 9, 30), at(2026, 2, 3, 12))
#   b: standard 2 hari kerja from Mon 09:30 = until Wed 4 Feb 16:00 = 390 + 480 + 480 = 1350;
#      actual Mon 09:30-16:00 (390) + Tue 08:00-12:00 (240) = 630 -> overrun -720 (within)
C = inst(UJI, "r1", "s3_koreksi", at(2026, 2, 3, 12), at(2026, 2, 3, 13), status="revised")
#   c: review said TIDAK after 60 vs 30 -> +30 (over); a finished step all the same
D = inst(UJI, "r1", "s2_kumpulkan", at(2026, 2, 3, 13), at(2026, 2, 5, 10), round_=2, reopened_by=C.id)
#   d: the rework round (a revision): standard from Tue 13:00 = until Thu 5 Feb 16:00 = 180 + 480 + 480 = 1140;
#      actual Tue 180 + Wed 480 + Thu 08:00-10:00 120 = 780 -> -360 (within)
E = inst(UJI, "r1", "s3_koreksi", at(2026, 2, 5, 10), at(2026, 2, 5, 11), round_=2)
#   e: 60 vs 30 -> +30 (over)
F = inst(UJI, "r1", "s4_paraf", at(2026, 2, 5, 11), at(2026, 2, 6, 9))
#   f: no waktu_menit, no batas_hari_kerja -> "tanpa standar" (actual 300 + 60 = 360)
G = inst(UJI, "r1", "s5_arsip", at(2026, 2, 6, 9), at(2026, 2, 6, 9, 1))
#   g: auto step: left out of every figure, counted in auto_excluded
H = inst(UJI, "r2", "s1_siapkan", at(2026, 2, 13, 15), at(2026, 2, 18, 9))
#   h: Fri 13 Feb 15:00-16:00 (60), Mon 16 and Tue 17 Feb are holidays, Wed 18 08:00-09:00 (60):
#      120 vs 60 -> +60 (over), although five calendar days passed
I = inst(UJI, "r2", "s2_kumpulkan", at(2026, 2, 18, 9), at(2026, 2, 23, 10))
#   i: standard 2 hari kerja from Wed 18 = until Fri 20 Feb 16:00 = 420 + 480 + 480 = 1380;
#      actual Wed 420 + Thu 480 + Fri 480 + Mon 23 08:00-10:00 120 = 1500 -> +120 (over)
J = inst(UJI, "r2", "s3_koreksi", at(2026, 2, 23, 10), None, status="open")
#   j: still open: not finished, not counted
K = inst(LAIN, "r3", "t1_tandatangani", at(2026, 3, 30, 8), at(2026, 3, 30, 12))
#   k: 240 vs 120 -> +120 (over), Triwulan I
L = inst(LAIN, "r4", "t1_tandatangani", at(2026, 4, 1, 8), at(2026, 4, 1, 9))
#   l: 60 vs 120 -> -60 (within), Triwulan II
M = inst(LAIN, "r5", "t1_tandatangani", at(2026, 6, 30, 15), at(2026, 7, 1, 6))
#   m: closed Wed 1 Jul 06:00 WIB (still 30 Jun in UTC): outside the period Jan-Jun (WIB dates)
N = inst(LAIN, "r6", "t1_tandatangani", at(2026, 6, 30, 8), at(2026, 6, 30, 20))
#   n: closed 30 Jun 20:00 WIB: inside; 08:00-16:00 = 480 vs 120 -> +360 (over), Triwulan II
O = inst(LAIN, "r7", "t1_tandatangani", at(2026, 5, 4, 8), at(2026, 5, 4, 8), status="skipped")
#   o: skipped: not performed, not counted
HISTORY = [A, B, C, D, E, F, G, H, I, J, K, L, M, N, O]


@pytest.fixture(scope="module")
def report():
    return compute(HISTORY, SOPS, CALENDAR, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30), role_names=ROLES,
                   run_periods=PERIODS, generated_at=at(2026, 7, 2, 8))


def test_every_finished_step_against_its_standard(report):
    got = {r.instance_id: (r.actual_minutes, r.standard_minutes, r.overrun_minutes, r.verdict) for r in report.steps}
    assert got == {
        A.id: (90, 60, 30, "melampaui standar"),
        B.id: (630, 1350, -720, "sesuai standar"),
        C.id: (60, 30, 30, "melampaui standar"),
        D.id: (780, 1140, -360, "sesuai standar"),
        E.id: (60, 30, 30, "melampaui standar"),
        F.id: (360, None, None, TANPA_STANDAR),
        H.id: (120, 60, 60, "melampaui standar"),
        I.id: (1500, 1380, 120, "melampaui standar"),
        K.id: (240, 120, 120, "melampaui standar"),
        L.id: (60, 120, -60, "sesuai standar"),
        N.id: (480, 120, 360, "melampaui standar"),
    }
    by_id = {r.instance_id: r for r in report.steps}
    assert by_id[B.id].standard_basis == "2 hari kerja" and by_id[A.id].standard_basis == "60 menit"
    assert by_id[F.id].standard_basis == TANPA_STANDAR and by_id[F.id].within is None
    assert [r.instance_id for r in report.steps if r.rework] == [D.id]
    assert by_id[A.id].periode == "Tahun 2027" and by_id[K.id].periode == ""
    assert by_id[N.id].quarter_label == "Triwulan II 2026" and by_id[K.id].quarter_label == "Triwulan I 2026"
    assert by_id[A.id].role_nama == "Perencana"
    assert report.auto_excluded == 1  # G


def test_total(report):
    # 11 finished steps (A B C D E F H I K L N); 10 with a standard (F has none);
    # within: B D L = 3 -> 3/10 = 30 %; over: A C E H I K N = 7;
    # positive overruns sorted: 30 30 30 60 120 120 360 -> median the 4th = 60, worst 360, sum 750;
    # one revision round (D), highest round 2.
    t = report.total
    assert (t.steps, t.with_standard, t.within, t.over, t.without_standard) == (11, 10, 3, 7, 1)
    assert t.within_share == pytest.approx(0.3)
    assert (t.median_overrun, t.worst_overrun, t.overrun_total) == (60, 360, 750)
    assert (t.revisions, t.max_round) == (1, 2)
    assert t.actual_total == 90 + 630 + 60 + 780 + 60 + 360 + 120 + 1500 + 240 + 60 + 480


def _figures(s):
    return (s.steps, s.with_standard, s.within, s.without_standard,
            None if s.within_share is None else round(s.within_share, 4), s.median_overrun, s.worst_overrun,
            s.overrun_total, s.revisions)


def test_per_sop(report):
    # sop90_uji: A B C D E F H I: 8 steps, 7 timed, within B D = 2/7 = 28.57 %;
    #   overruns 30 30 30 60 120 -> median 30, worst 120, sum 270; revision D.
    # sop91_lain: K L N: 3 timed, within L = 1/3; overruns 120 360 -> median (120 + 360) / 2 = 240, worst 360.
    assert [(s.key, s.label) for s in report.by_sop] == [("sop90_uji", "SOP Uji Kepatuhan"), ("sop91_lain", "SOP Uji Lain")]
    assert [_figures(s) for s in report.by_sop] == [
        (8, 7, 2, 1, round(2 / 7, 4), 30, 120, 270, 1),
        (3, 3, 1, 0, round(1 / 3, 4), 240, 360, 480, 0),
    ]


def test_per_role(report):
    # In the order of role_names (sekda, kabag, perencana, tim):
    # sekda: K L N -> 1/3, overruns 120 360 -> median 240, worst 360.
    # kabag: C E (timed, both +30) and F (tanpa standar) -> 0/2 = 0 %, median 30, worst 30.
    # perencana: A (+30) H (+60) -> 0/2, median 45, worst 60.
    # tim: B D (within) I (+120) -> 2/3, median 120, worst 120, the revision D.
    assert [(s.key, s.label) for s in report.by_role] == [
        ("sekda", "Sekretaris Daerah"), ("kabag", "Kepala Bagian"), ("perencana", "Perencana"), ("tim", "Tim Perencanaan")]
    assert [_figures(s) for s in report.by_role] == [
        (3, 3, 1, 0, round(1 / 3, 4), 240, 360, 480, 0),
        (3, 2, 0, 1, 0.0, 30, 30, 60, 0),
        (2, 2, 0, 0, 0.0, 45, 60, 90, 0),
        (3, 3, 2, 0, round(2 / 3, 4), 120, 120, 120, 1),
    ]


def test_per_quarter(report):
    # Triwulan I: A B C D E F H I K: 9 steps, 8 timed, within B D = 2/8 = 25 %;
    #   overruns 30 30 30 60 120 120 -> median (30 + 60) / 2 = 45, worst 120, sum 390.
    # Triwulan II: L N: within L = 1/2; overrun 360 -> median 360, worst 360.
    assert [(s.key, s.label) for s in report.by_quarter] == [("2026-Q1", "Triwulan I 2026"), ("2026-Q2", "Triwulan II 2026")]
    assert [_figures(s) for s in report.by_quarter] == [
        (9, 8, 2, 1, 0.25, 45, 120, 390, 1),
        (2, 2, 1, 0, 0.5, 360, 360, 360, 0),
    ]


def test_per_run(report):
    # r1: A B C D E F: 6 steps, 5 timed, within B D = 2/5 = 40 %; overruns 30 30 30 -> median 30, worst 30;
    #     revision D, highest round 2.
    # r2: H I: 0/2; overruns 60 120 -> median 90, worst 120.   r3: K: 0/1, 120.
    # r4: L: 1/1, no overrun (median and worst: none).          r6: N: 0/1, 360.
    assert [(s.sub, s.label) for s in report.by_run] == [
        ("r1", "sop90_uji — Tahun 2027"), ("r2", "sop90_uji — Tahun 2028"), ("r3", "sop91_lain"), ("r4", "sop91_lain"),
        ("r6", "sop91_lain")]
    assert [_figures(s) for s in report.by_run] == [
        (6, 5, 2, 1, 0.4, 30, 30, 90, 1),
        (2, 2, 0, 0, 0.0, 90, 120, 180, 0),
        (1, 1, 0, 0, 0.0, 120, 120, 120, 0),
        (1, 1, 1, 0, 1.0, None, None, 0, 0),
        (1, 1, 0, 0, 0.0, 360, 360, 360, 0),
    ]
    assert [s.max_round for s in report.by_run] == [2, 1, 1, 1, 1]


def test_bottleneck_ranking(report):
    # Per SOP step, the sum of positive overruns:
    #   sop91 t1: K +120, N +360 (L within)      = 480, 2 over
    #   sop90 s2: I +120 (B, D within)           = 120, 1 over, 1 revision (D)
    #   sop90 s1: A +30, H +60                   =  90, 2 over
    #   sop90 s3: C +30, E +30                   =  60, 2 over
    #   sop90 s4: tanpa standar                  -> never ranked
    ranked = [(b.rank, b.sop_id, b.step_no, b.overrun_total, b.over, b.instances, b.worst_overrun, b.revisions)
              for b in report.bottlenecks]
    assert ranked == [
        (1, "sop91_lain", 1, 480, 2, 3, 360, 0),
        (2, "sop90_uji", 2, 120, 1, 3, 120, 1),
        (3, "sop90_uji", 1, 90, 2, 2, 60, 0),
        (4, "sop90_uji", 3, 60, 2, 2, 30, 0),
    ]
    assert report.bottlenecks[0].median_overrun == 240 and report.bottlenecks[0].role_nama == "Sekretaris Daerah"


def test_bottleneck_ties_break_on_count_then_worst():
    # Two steps with the same sum (60): s3 over twice (30 + 30) ranks before s1 over once (+60).
    history = [
        inst(UJI, "t", "s1_siapkan", at(2026, 2, 2, 8), at(2026, 2, 2, 10)),       # 120 vs 60 -> +60
        inst(UJI, "t", "s3_koreksi", at(2026, 2, 2, 10), at(2026, 2, 2, 11)),      # 60 vs 30 -> +30
        inst(UJI, "t", "s3_koreksi", at(2026, 2, 2, 11), at(2026, 2, 2, 12), round_=2),  # +30
    ]
    report = compute(history, SOPS, CALENDAR, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert [(b.step_id, b.overrun_total, b.over) for b in report.bottlenecks] == [
        ("s3_koreksi", 60, 2), ("s1_siapkan", 60, 1)]


def test_a_period_without_a_standard_or_without_steps():
    only_f = compute([F], SOPS, CALENDAR, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    t = only_f.total
    assert (t.steps, t.with_standard, t.without_standard, t.within_share, t.median_overrun, t.worst_overrun) == (
        1, 0, 1, None, None, None)
    assert only_f.steps[0].verdict == TANPA_STANDAR and only_f.bottlenecks == []
    assert only_f.title == "Triwulan I 2026"  # an exact quarter is named
    empty = compute(HISTORY, SOPS, CALENDAR, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    assert (empty.total.steps, empty.by_sop, empty.bottlenecks, empty.title) == (0, [], [], "")
    with pytest.raises(ValueError):
        compute([], SOPS, CALENDAR, start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))


def test_standard_of_working_days_skips_holidays_and_falls_back_to_due():
    step = UJI.step("s2_kumpulkan")
    # Opened Fri 13 Feb 15:00; 2 working days after Friday are Wed 18 and Thu 19 (Imlek on Mon and Tue):
    # until Thu 19 Feb 16:00 = Fri 60 + Wed 480 + Thu 480 = 1020.
    assert standard_for(CALENDAR, step, at(2026, 2, 13, 15)) == (1020, "2 hari kerja")
    assert standard_for(CALENDAR, UJI.step("s4_paraf"), at(2026, 2, 13, 15)) == (None, TANPA_STANDAR)
    # An SOP or step no longer in the catalogue: the due time recorded on the instance stands in.
    assert standard_for(CALENDAR, None, at(2026, 2, 2, 8), at(2026, 2, 2, 10)) == (120, "batas waktu tercatat")
    assert standard_for(CALENDAR, None, at(2026, 2, 2, 8), None) == (None, TANPA_STANDAR)
    gone = inst(UJI, "x", "s1_siapkan", at(2026, 2, 2, 8), at(2026, 2, 2, 9))
    gone.step_id, gone.due_at = "s9_dihapus", at(2026, 2, 2, 8, 30)
    [result] = compute([gone], SOPS, CALENDAR, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)).steps
    assert (result.actual_minutes, result.standard_minutes, result.overrun_minutes) == (60, 30, 30)


def test_quarter_just_ended_in_jakarta():
    # The DAG runs 2 Apr 08:00 WIB (01:00 UTC): Triwulan I.
    assert previous_quarter(dt.datetime(2026, 4, 2, 1, 0, tzinfo=UTC)) == (
        dt.date(2026, 1, 1), dt.date(2026, 3, 31), "Triwulan I 2026")
    # 31 Mar 18:00 UTC is already 1 Apr 01:00 WIB: Triwulan I has ended.
    assert previous_quarter(dt.datetime(2026, 3, 31, 18, 0, tzinfo=UTC))[2] == "Triwulan I 2026"
    # 1 Jan 00:30 WIB is 31 Dec in UTC: the quarter that ended is Triwulan IV of the year before.
    assert previous_quarter(at(2026, 1, 1, 0, 30)) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31), "Triwulan IV 2025")
    assert quarter_bounds(2024, 1) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
