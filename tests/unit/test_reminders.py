"""Reminders, escalation and digests (sopflow.domain.reminders): what is sent, to whom and when,
worked out by hand over simulated weeks.

Office hours (config/calendar.yaml): Mon-Thu 07:30-16:00 (510 working minutes), Fri 07:30-16:30
(540). Week of 11 Aug 2025: Sat 16 and Sun 17 (Hari Kemerdekaan) are off, and so is Mon 18 Aug,
a cuti bersama. The DAG runs every 30 minutes; a "run" below is a call at :00 or :30 WIB.
Superiors (config/staff.yaml): Perencana Agus -> Kabag Retno -> Asisten Hendro -> Sekda Bambang.
Defaults (config/reminders.yaml): before-due 60 working minutes, daily reminder on, escalation
after 8 working hours (480 min) overdue, 2 levels, digests and the weekly summary at 07:30.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sopflow.domain.errors import ConfigError
from sopflow.domain.office import load_office
from sopflow.domain.reminders import (RemindersConfig, due_messages, lama, load_reminders, queue_reminders,
                                      superiors, week_slot)
from sopflow.store.models import StepInstance

REPO = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
TICK = dt.timedelta(minutes=30)

AGUS = "agus.nugrahanto@example.org"  # Perencana; atasan Retno
RETNO = "retno.wulandarsih@example.org"  # Kabag Perencanaan dan Keuangan (role kabag); atasan Hendro
HENDRO = "hendro.prasetyaning@example.org"  # Asisten Administrasi Umum; atasan Sekda
SEKDA = "bambang.kusumawardana@example.org"
SUGENG = "sugeng.santosa@example.org"  # Kabag Umum, Plh of Retno 2026-12-14..18
FAJAR = "fajar.hidayatullah@example.org"  # Tim member (Bagian Perencanaan dan Keuangan); atasan Agus
TIM = ["fajar.hidayatullah@example.org", "teguh.wicaksana@example.org", "ayu.ningtyas@example.org",
       "bayu.kurniawanto@example.org", "dimas.wiratmaja@example.org", "galih.jati@example.org"]


def at(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=WIB)


@pytest.fixture(scope="module")
def office():
    return load_office(REPO / "config")


def step(office, *, id=1, opened: dt.datetime, minutes: int | None = 120, candidates=(AGUS,), kind="task",
         sop_id="sop03_dpa", step_id="s03_sampaikan_ke_bendahara", step_no=3, bagian="", round_=1) -> StepInstance:
    """An open step instance as `steps.open_step` makes it (not stored: planning is pure)."""
    due = office.calendar.add_working_minutes(opened, minutes) if minutes is not None else None
    return StepInstance(id=id, dag_id=sop_id, run_id="manual__2025", sop_id=sop_id, step_id=step_id, step_no=step_no,
                        kind=kind, uraian="Langkah uji", role="perencana", bagian=bagian, round=round_, status="open",
                        candidates=list(candidates), assignee_email=candidates[0], opened_at=opened, due_at=due)


def simulate(office, steps, start, end, config=None):
    """Call the planner every 30 minutes from `start` to `end` inclusive, as the DAG does, and keep
    what a run would queue: the messages whose key was not planned before. A step is seen once it
    is open."""
    seen, sent = set(), []
    t = start
    while t <= end:
        for m in due_messages(t, [s for s in steps if s.opened_at <= t], office, config):
            if m.key not in seen:
                seen.add(m.key)
                sent.append((t, m.kind, m.recipient))
        t += TICK
    return sent


# --- the week ------------------------------------------------------------------------------------
def test_a_week_of_an_open_step(office):
    # Opened Mon 11 Aug 09:00 with a mutu baku of 120 working minutes: due Mon 11:00.
    s = step(office, opened=at(2025, 8, 11, 9))
    assert s.due_at == at(2025, 8, 11, 11)

    sent = simulate(office, [s], at(2025, 8, 11, 0), at(2025, 8, 19, 23, 30))

    assert sent == [
        # Mon 07:30: no digest and no weekly summary, the step is not open yet (opened 09:00).
        # Mon 10:00: 60 working minutes to the due time (09:30 was 90).
        (at(2025, 8, 11, 10), "reminder_before", AGUS),
        # Mon 11:00: the due time.
        (at(2025, 8, 11, 11), "reminder_due", AGUS),
        # Mon 11:00-16:00 = 300 minutes overdue by closing; nothing else on Monday.
        # Tue 07:30, first run of the day: the daily reminder and the digest.
        (at(2025, 8, 12, 7, 30), "reminder_daily", AGUS),
        (at(2025, 8, 12, 7, 30), "digest", AGUS),
        # Tue 10:30: 300 + 180 (07:30-10:30) = 480 = 8 working hours overdue -> level 1 to Agus's atasan.
        (at(2025, 8, 12, 10, 30), "escalation", RETNO),
        (at(2025, 8, 13, 7, 30), "reminder_daily", AGUS),
        (at(2025, 8, 13, 7, 30), "digest", AGUS),
        # Wed 10:00: 300 + 510 (all Tuesday) + 150 (07:30-10:00) = 960 = 2 x 480 -> level 2, Retno's atasan.
        (at(2025, 8, 13, 10), "escalation", HENDRO),
        # No level 3 (eskalasi_tingkat 2): the Sekda is never told.
        (at(2025, 8, 14, 7, 30), "reminder_daily", AGUS),
        (at(2025, 8, 14, 7, 30), "digest", AGUS),
        (at(2025, 8, 15, 7, 30), "reminder_daily", AGUS),
        (at(2025, 8, 15, 7, 30), "digest", AGUS),
        # Sat 16, Sun 17 (Hari Kemerdekaan) and Mon 18 (cuti bersama): nothing.
        # Tue 19 is the first working day of week 34: the weekly summary goes to the Kabag.
        (at(2025, 8, 19, 7, 30), "reminder_daily", AGUS),
        (at(2025, 8, 19, 7, 30), "digest", AGUS),
        (at(2025, 8, 19, 7, 30), "weekly", RETNO),
    ]


def test_nothing_is_planned_outside_office_hours_or_on_a_day_off(office):
    s = step(office, opened=at(2025, 8, 11, 9))
    t = s.due_at  # from the due time on, something is due at every run in office hours
    while t <= at(2025, 8, 19, 23, 30):
        planned = due_messages(t, [s], office)  # everything due, sent before or not
        hours = office.calendar.office_hours(t)
        if hours is None or not hours[0] <= t < hours[1]:
            assert planned == [], t
        else:
            assert planned, t
        t += TICK
    # The cuti bersama in particular, at any time of day, even with the step long overdue:
    assert not office.calendar.is_working_day(dt.date(2025, 8, 18))
    for h in range(24):
        assert due_messages(at(2025, 8, 18, h), [s], office) == []
    # Closing time itself is outside office hours ([buka, tutup)).
    assert due_messages(at(2025, 8, 12, 16), [s], office) == []
    assert due_messages(at(2025, 8, 15, 16), [s], office) != []  # Friday closes at 16:30


def test_repeated_calls_at_the_same_slot_plan_the_same_keys(office):
    s = step(office, opened=at(2025, 8, 11, 9))
    for t in (at(2025, 8, 11, 10), at(2025, 8, 12, 7, 30), at(2025, 8, 13, 10)):
        assert due_messages(t, [s], office) == due_messages(t, [s], office)
    # Within one working day the keys are stable: a later run adds only what became due since.
    morning = {m.key for m in due_messages(at(2025, 8, 12, 7, 30), [s], office)}
    afternoon = due_messages(at(2025, 8, 12, 15, 30), [s], office)
    assert morning < {m.key for m in afternoon}
    assert [(m.kind, m.recipient) for m in afternoon if m.key not in morning] == [("escalation", RETNO)]
    # Replaying the week adds nothing: every key was planned the first time.
    first = simulate(office, [s], at(2025, 8, 11, 0), at(2025, 8, 19, 23, 30))
    keys = set()
    t = at(2025, 8, 11, 0)
    while t <= at(2025, 8, 19, 23, 30):
        keys |= {m.key for m in due_messages(t, [s], office)}
        t += TICK
    assert len(keys) == len(first)


def test_keys_name_the_step_round_kind_recipient_and_slot(office):
    s = step(office, opened=at(2025, 8, 11, 9))
    by_kind = {m.kind: m for m in due_messages(at(2025, 8, 13, 10), [s], office)}
    base = "sop03_dpa|manual__2025|s03_sampaikan_ke_bendahara||1"
    assert by_kind["reminder_daily"].key == f"{base}|reminder_daily|{AGUS}|2025-08-13"
    assert by_kind["digest"].key == f"sopflow|digest|{AGUS}|2025-08-13"
    escalations = [m for m in due_messages(at(2025, 8, 13, 10), [s], office) if m.kind == "escalation"]
    assert [(m.key, m.level, m.about, m.minutes) for m in escalations] == [
        (f"{base}|escalation|{RETNO}|1", 1, AGUS, 960),
        (f"{base}|escalation|{HENDRO}|2", 2, AGUS, 960),
    ]
    assert week_slot(dt.date(2025, 8, 19)) == "2025-W34"


def test_a_late_run_still_sends_what_is_due_once(office):
    # The scheduler was down all Tuesday morning; its first run is at 14:00.
    s = step(office, opened=at(2025, 8, 11, 9))
    sent = simulate(office, [s], at(2025, 8, 11, 0), at(2025, 8, 11, 23, 30))
    assert [k for _, k, _ in sent] == ["reminder_before", "reminder_due"]
    late = [(m.kind, m.recipient, m.minutes) for m in due_messages(at(2025, 8, 12, 14), [s], office)]
    # 300 + 390 (07:30-14:00) = 690 minutes overdue: level 1 (480) but not level 2 (960).
    assert late == [("reminder_daily", AGUS, 690), ("escalation", RETNO, 690), ("digest", AGUS, None)]


# --- edges of the rules ----------------------------------------------------------------------------
def test_a_short_step_gets_no_before_reminder(office):
    # 15 minutes: the task mail has just said when it is due; a reminder 15 minutes later is noise.
    s = step(office, opened=at(2025, 8, 12, 9), minutes=15)
    sent = simulate(office, [s], at(2025, 8, 12, 9), at(2025, 8, 12, 15, 30))
    assert sent == [(at(2025, 8, 12, 9, 30), "reminder_due", AGUS)]  # due 09:15, first run after it
    # Exactly 60 minutes of working time is not more than 60: no before-due reminder either.
    assert simulate(office, [step(office, opened=at(2025, 8, 12, 9), minutes=60)],
                    at(2025, 8, 12, 9), at(2025, 8, 12, 9, 30)) == []


def test_a_due_time_at_closing_is_announced_at_the_next_opening(office):
    # Opened Thu 14 Aug 14:00, 120 minutes: due Thu 16:00 (closing). 15:00 is 60 minutes before.
    s = step(office, opened=at(2025, 8, 14, 14))
    assert s.due_at == at(2025, 8, 14, 16)
    sent = simulate(office, [s], at(2025, 8, 14, 14), at(2025, 8, 15, 23, 30))
    assert sent == [
        (at(2025, 8, 14, 15), "reminder_before", AGUS),
        # Fri 07:30: the due mail, not also a daily one (0 working minutes overdue so far).
        (at(2025, 8, 15, 7, 30), "reminder_due", AGUS),
        (at(2025, 8, 15, 7, 30), "digest", AGUS),
        # Fri 07:30-15:30 = 480 minutes overdue.
        (at(2025, 8, 15, 15, 30), "escalation", RETNO),
    ]


def test_a_group_step_reminds_every_member_and_escalates_along_the_assignee_line(office):
    # SOP VI step 8 is for the whole Tim Perencanaan dan Pelaporan (6 members in 6 Bagian).
    s = step(office, opened=at(2025, 8, 12, 9), candidates=TIM, sop_id="sop06_monev_renstra",
             step_id="s08_evaluasi_indikator", step_no=8)
    before = due_messages(at(2025, 8, 12, 10), [s], office)
    assert [(m.kind, m.recipient) for m in before] == [("reminder_before", e) for e in TIM]
    # Overdue from Tue 11:00: 300 (Tue) + 180 (Wed 07:30-10:30) = 480 at Wed 10:30.
    esc = [(m.recipient, m.level) for m in due_messages(at(2025, 8, 14, 10), [s], office) if m.kind == "escalation"]
    # Fajar (the assignee, first member) -> Agus (Perencana) -> Retno; not the six Kabag of the members.
    assert superiors(office.staff, FAJAR, 3) == [AGUS, RETNO, HENDRO]
    assert esc == [(AGUS, 1), (RETNO, 2)]
    digests = [m.recipient for m in due_messages(at(2025, 8, 13, 7, 30), [s], office) if m.kind == "digest"]
    assert digests == sorted(TIM)


def test_a_superior_who_is_a_candidate_is_not_escalated_to(office):
    s = step(office, opened=at(2025, 8, 12, 9), candidates=(FAJAR, AGUS))
    esc = [(m.recipient, m.level) for m in due_messages(at(2025, 8, 14, 10), [s], office) if m.kind == "escalation"]
    assert esc == [(RETNO, 2)]  # level 1 would be Agus, who is reminded as a candidate already


def test_the_sekda_has_no_one_to_escalate_to(office):
    s = step(office, opened=at(2025, 8, 12, 9), candidates=(SEKDA,))
    assert superiors(office.staff, SEKDA, 2) == []
    assert [m for m in due_messages(at(2025, 8, 15, 10), [s], office) if m.kind == "escalation"] == []
    assert superiors(office.staff, "nobody@example.org", 2) == []


def test_a_delegate_active_that_day_is_reminded_too(office):
    # Sugeng (Kabag Umum) is Plh for Retno from Mon 14 to Fri 18 Dec 2026.
    s = step(office, opened=at(2026, 12, 14, 9), candidates=(RETNO,), sop_id="sop02_renja",
             step_id="s06_koreksi_dokumen", step_no=6, kind="review")
    before = [(m.kind, m.recipient, m.stands_in_for) for m in due_messages(at(2026, 12, 14, 10), [s], office)]
    assert before == [("reminder_before", RETNO, None), ("reminder_before", SUGENG, RETNO)]
    digest = {m.recipient: m for m in due_messages(at(2026, 12, 15, 7, 30), [s], office) if m.kind == "digest"}
    assert sorted(digest) == [RETNO, SUGENG]
    assert digest[SUGENG].on_behalf == ((s.id, RETNO),) and digest[RETNO].on_behalf == ()
    # Escalation goes up Retno's line, not Sugeng's.
    esc = [(m.recipient, m.level) for m in due_messages(at(2026, 12, 16, 10), [s], office) if m.kind == "escalation"]
    assert esc == [(HENDRO, 1), (SEKDA, 2)]
    # Mon 21 Dec: the delegation has ended.
    monday = due_messages(at(2026, 12, 21, 7, 30), [s], office)
    assert [m.recipient for m in monday if m.kind in ("reminder_daily", "digest")] == [RETNO, RETNO]


def test_a_step_without_due_time_is_only_in_the_digests(office):
    s = step(office, opened=at(2025, 8, 11, 9), minutes=None)
    sent = simulate(office, [s], at(2025, 8, 11, 0), at(2025, 8, 19, 23, 30))
    assert sent == [(at(2025, 8, d, 7, 30), "digest", AGUS) for d in (12, 13, 14, 15, 19)] + [
        (at(2025, 8, 19, 7, 30), "weekly", RETNO)]


def test_only_open_human_steps_count(office):
    done = step(office, opened=at(2025, 8, 11, 9))
    done.status = "done"
    auto = step(office, id=2, opened=at(2025, 8, 11, 9), kind="auto")
    assert due_messages(at(2025, 8, 12, 7, 30), [done, auto], office) == []


def test_the_weekly_summary_lists_overdue_steps_first(office):
    later = step(office, id=1, opened=at(2025, 8, 15, 9), minutes=3000)  # due in week 34
    none = step(office, id=2, opened=at(2025, 8, 11, 8), minutes=None)
    old = step(office, id=3, opened=at(2025, 8, 12, 9))  # due Tue 12 Aug 11:00
    older = step(office, id=4, opened=at(2025, 8, 11, 9), candidates=(FAJAR,))  # due Mon 11 Aug 11:00
    planned = due_messages(at(2025, 8, 19, 7, 30), [later, none, old, older], office)
    [weekly] = [m for m in planned if m.kind == "weekly"]
    assert weekly.recipient == RETNO and weekly.slot == "2025-W34"
    assert weekly.instance_ids == (4, 3, 1, 2)
    # The digest lists each person's own steps in the same order.
    assert [m.instance_ids for m in planned if m.kind == "digest" and m.recipient == AGUS] == [(3, 1, 2)]
    # Monday of a normal week: the weekly summary is sent on Monday.
    assert [m.slot for m in due_messages(at(2025, 8, 25, 7, 30), [none], office) if m.kind == "weekly"] == ["2025-W35"]
    assert [m for m in due_messages(at(2025, 8, 26, 7, 30), [none], office) if m.kind == "weekly"] == []


def test_the_digest_time_and_steps_opened_after_it(office):
    s = step(office, opened=at(2025, 8, 12, 9), minutes=None)
    # Opened after Tuesday's 07:30: in no digest that day (the task mail has just told them).
    assert [m for m in due_messages(at(2025, 8, 12, 10), [s], office) if m.kind == "digest"] == []
    # 07:29 is before the digest time, 07:30 on.
    assert due_messages(at(2025, 8, 13, 7, 29), [s], office) == []  # also before opening
    late = RemindersConfig(ringkasan_harian={"jam": "09:00"})
    assert [m for m in due_messages(at(2025, 8, 13, 8, 30), [s], office, late) if m.kind == "digest"] == []
    assert [m.recipient for m in due_messages(at(2025, 8, 13, 9), [s], office, late) if m.kind == "digest"] == [AGUS]


def test_the_config_switches(office):
    s = step(office, opened=at(2025, 8, 11, 9))
    config = RemindersConfig(sebelum_menit=0, pengingat_harian=False, eskalasi_setelah_jam_kerja=4,
                             eskalasi_tingkat=3, ringkasan_harian={"aktif": False}, ringkasan_mingguan={"aktif": False})
    sent = simulate(office, [s], at(2025, 8, 11, 0), at(2025, 8, 19, 23, 30), config)
    assert sent == [
        (at(2025, 8, 11, 11), "reminder_due", AGUS),  # no before-due mail, no daily ones, no digests
        (at(2025, 8, 11, 15), "escalation", RETNO),  # 240 = 11:00-15:00
        (at(2025, 8, 12, 10, 30), "escalation", HENDRO),  # 480 = 300 Mon + 180 Tue (07:30-10:30)
        (at(2025, 8, 12, 14, 30), "escalation", SEKDA),  # 720 = 300 Mon + 420 Tue (07:30-14:30)
    ]


# --- wording ---------------------------------------------------------------------------------------
def test_lama():
    assert [lama(m) for m in (0, 45, 60, 480, 510, 2370)] == [
        "0 menit", "45 menit", "1 jam", "8 jam", "8 jam 30 menit", "39 jam 30 menit"]


# --- reminders.yaml ------------------------------------------------------------------------------
def test_the_shipped_file_is_the_defaults(office):
    config = load_reminders(REPO / "config" / "reminders.yaml", office.staff)
    assert config == RemindersConfig()
    assert (config.sebelum_menit, config.eskalasi_menit, config.eskalasi_tingkat) == (60, 480, 2)
    assert config.ringkasan_harian.jam == dt.time(7, 30) and config.ringkasan_mingguan.peran == ["kabag"]


def test_a_missing_or_empty_file_means_the_defaults(tmp_path):
    assert load_reminders(tmp_path / "reminders.yaml") == RemindersConfig()
    (tmp_path / "reminders.yaml").write_text("# nothing set\n", encoding="utf-8")
    assert load_reminders(tmp_path / "reminders.yaml") == RemindersConfig()
    (tmp_path / "reminders.yaml").write_text("eskalasi_setelah_jam_kerja: 7.5\n", encoding="utf-8")
    assert load_reminders(tmp_path / "reminders.yaml").eskalasi_menit == 450


@pytest.mark.parametrize("text, field, message", [
    ("sebelum_menitt: 60\n", "sebelum_menitt", "unknown key"),
    ("ringkasan_harian:\n  aktif: true\n  hari: senin\n", "ringkasan_harian.hari", "unknown key"),
    ("sebelum_menit: '60'\n", "sebelum_menit", "valid integer"),
    ("sebelum_menit: -5\n", "sebelum_menit", "greater than or equal to 0"),
    ("pengingat_harian: yes\n", "pengingat_harian", "valid boolean"),
    ("eskalasi_setelah_jam_kerja: 0\n", "eskalasi_setelah_jam_kerja", "greater than 0"),
    ("eskalasi_setelah_jam_kerja: 8 jam\n", "eskalasi_setelah_jam_kerja", "number of working hours"),
    ("eskalasi_setelah_jam_kerja: 0.01\n", "eskalasi_setelah_jam_kerja", "whole minutes"),
    ("eskalasi_tingkat: 9\n", "eskalasi_tingkat", "less than or equal to 5"),
    ("ringkasan_harian:\n  jam: '7.30'\n", "ringkasan_harian.jam", 'time must be "HH:MM"'),
    ("ringkasan_mingguan:\n  peran: []\n", "ringkasan_mingguan.peran", "at least 1 item"),
    ("ringkasan_mingguan:\n  peran: [kepala]\n", "ringkasan_mingguan.peran.0", "unknown role 'kepala'"),
])
def test_a_bad_file_names_the_field(tmp_path, office, text, field, message):
    path = tmp_path / "reminders.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_reminders(path, office.staff)
    assert exc.value.field == field and message in exc.value.message, str(exc.value)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("text, message", [
    ("- 60\n", "must be a YAML mapping"),
    ("sebelum_menit: [60\n", "YAML syntax error"),
    ("sebelum_menit: 60\nsebelum_menit: 30\n", "duplicate key"),
])
def test_a_broken_file(tmp_path, text, message):
    path = tmp_path / "reminders.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_reminders(path)


# --- queue_reminders with a frozen clock ---------------------------------------------------------------
def test_a_frozen_week_through_the_outbox(sopflow_home):
    """The same week through the real path: the step opened by `steps.open_step` (due time from the
    SOP's mutu baku), `queue_reminders` at every half hour with the clock frozen (time-machine), the
    outbox's own `created_at` as the witness of when each mail was queued."""
    from sqlalchemy import select

    from sopflow.domain import steps
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope
    from sopflow.store.models import OutboxMessage

    office = load_office(get_settings().config_dir)
    sop = office.sop("sop03_dpa")
    with time_machine.travel(at(2025, 8, 11, 0), tick=False) as clock:
        t = at(2025, 8, 11, 0)
        while t <= at(2025, 8, 19, 23, 30):
            clock.move_to(t)
            with session_scope() as s:
                if t == at(2025, 8, 11, 9):
                    steps.ensure_run(s, sop=sop, dag_id="sop03_dpa", run_id="manual__2025", periode="2025", params={})
                    [opened] = steps.open_step(s, office, sop, sop.step("s03_sampaikan_ke_bendahara"),
                                               dag_id="sop03_dpa", run_id="manual__2025")
                    assert opened.due_at == at(2025, 8, 11, 11)
                queue_reminders(s, office)  # the clock's now
                again = queue_reminders(s, office)
            assert again == [], t  # a repeated run at the same slot adds nothing
            t += TICK

    with session_scope() as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind != "task").order_by(OutboxMessage.id)))
    got = [(r.created_at.astimezone(WIB), r.kind, r.recipient) for r in rows]
    assert got == simulate(office, [_as_planned(office)], at(2025, 8, 11, 0), at(2025, 8, 19, 23, 30))
    assert len(got) == 15
    daily = [r for r in rows if r.kind == "reminder_daily"]
    assert daily[0].subject.startswith("[sopflow] Pengingat: terlambat 5 jam (jam kerja) — ")
    assert "Langkah 3: Perencana menyampaikan melalui grup WA Bendahara Setda" in daily[0].subject
    assert [r.subject.split(" — ")[0] for r in rows if r.kind == "escalation"] == [
        "[sopflow] Eskalasi tingkat 1: terlambat 8 jam (jam kerja)",
        "[sopflow] Eskalasi tingkat 2: terlambat 16 jam (jam kerja)",
    ]


def _as_planned(office) -> StepInstance:
    """The step of `test_a_frozen_week_through_the_outbox` as the planner sees it (id 1)."""
    return step(office, id=1, opened=at(2025, 8, 11, 9))
