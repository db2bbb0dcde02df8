"""Reminders and escalations end to end, on SQLite and PostgreSQL: steps opened by the domain,
`queue_reminders` at a fixed moment, `send_pending` through a real SMTP sink, the mail as people
receive it. Running again sends nothing new.

Office hours: Mon-Thu 07:30-16:00, Fri 07:30-16:30 (config/calendar.yaml); Mon 18 Aug 2025 is a
cuti bersama. Superiors: Perencana Agus -> Kabag Retno -> Asisten Hendro.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sopflow.domain import steps
from sopflow.domain.office import load_office
from sopflow.domain.reminders import queue_reminders
from sopflow.mail import send_pending
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import OutboxMessage

WIB = ZoneInfo("Asia/Jakarta")
RUN = "manual__2025-08-11T02:00:00+00:00"
AGUS = "agus.nugrahanto@example.org"
RETNO = "retno.wulandarsih@example.org"
HENDRO = "hendro.prasetyaning@example.org"
LILIS = "lilis.suryaningsih@example.org"  # Bendahara Pengeluaran Pembantu (bpp)
STEP3 = "Langkah 3: Perencana menyampaikan melalui grup WA Bendahara Setda"
DPA = "Penyusunan Dokumen Pelaksanaan Anggaran (DPA) Sekretariat Daerah 2025"


def at(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=WIB)


def open_step(office, sop_id: str, step_id: str, when: dt.datetime, periode: str = "2025"):
    sop = office.sop(sop_id)
    with session_scope() as s:
        steps.ensure_run(s, sop=sop, dag_id=sop_id, run_id=RUN, periode=periode, params={})
        [inst] = steps.open_step(s, office, sop, sop.step(step_id), dag_id=sop_id, run_id=RUN, now=when)
    return inst


def remind(office, now: dt.datetime):
    with session_scope() as s:
        return queue_reminders(s, office, now)


def subject(message) -> str:
    """The Subject as a reader sees it. The stdlib folds a long header at 78 characters, and its
    unfolding leaves a leading space (fold right after "Subject:") or a double space (fold before an
    encoded word such as the em dash); mail clients show these collapsed."""
    return " ".join(str(message["Subject"]).split())


def received(sink, since: int = 0) -> list[tuple[str, str, str]]:
    """(kind, recipient, subject) of the messages the sink kept, from the `since`-th on."""
    return [(m["X-Sopflow-Kind"], m["To"], subject(m)) for m in sink.messages()[since:]]


def body(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def test_an_overdue_step_reminds_and_escalates_once(db_url, mail_sink):
    office = load_office(get_settings().config_dir)
    inst = open_step(office, "sop03_dpa", "s03_sampaikan_ke_bendahara", at(2025, 8, 11, 9))
    assert inst.due_at == at(2025, 8, 11, 11)
    assert send_pending().sent == 1  # the task mail
    start = len(mail_sink.messages())

    # Wed 13 Aug 10:00: 300 (Mon 11:00-16:00) + 510 (Tue) + 150 (Wed 07:30-10:00) = 960 working
    # minutes = 16 jam overdue: the daily reminder, both escalation levels and Agus's digest.
    queued = remind(office, at(2025, 8, 13, 10))
    assert [(p.kind, p.recipient) for p in queued] == [
        ("reminder_daily", AGUS), ("escalation", RETNO), ("escalation", HENDRO), ("digest", AGUS)]
    report = send_pending()
    assert (report.sent, report.failed) == (4, 0)

    mails = {(m["X-Sopflow-Kind"], m["To"]): m for m in mail_sink.messages()[start:]}
    assert sorted(mails) == sorted([("reminder_daily", AGUS), ("escalation", RETNO), ("escalation", HENDRO),
                                    ("digest", AGUS)])
    daily = mails[("reminder_daily", AGUS)]
    assert subject(daily).startswith(f"[sopflow] Pengingat: terlambat 16 jam (jam kerja) — {DPA} — {STEP3}")
    assert "sudah terlambat 16 jam (jam kerja) dari batas waktunya" in body(daily, "plain")
    assert "Batas waktu : Senin, 11 Agustus 2025 pukul 11.00 WIB" in body(daily, "plain")
    assert f"sopflow done {inst.id} --by {AGUS}" in body(daily, "plain")

    level1 = mails[("escalation", RETNO)]
    assert subject(level1).startswith("[sopflow] Eskalasi tingkat 1: terlambat 16 jam (jam kerja) — "
                                      f"Agus Setyo Nugrahanto, S.T., M.PP. — {DPA} — {STEP3}")
    assert "sebagai atasan langsung pelaksana (eskalasi tingkat 1)" in body(level1, "plain")
    level2 = mails[("escalation", HENDRO)]
    assert subject(level2).startswith("[sopflow] Eskalasi tingkat 2: terlambat 16 jam (jam kerja) — Agus")
    text = body(level2, "plain")
    assert "atasan tingkat 2 dari pelaksana" in text
    assert ("Sebelumnya telah diberi tahu: Retno Wulandarsih, S.E., M.Si. — Kepala Bagian Perencanaan dan "
            "Keuangan.") in text
    assert "eskalasi tingkat 2" in body(level2, "html")

    digest = mails[("digest", AGUS)]
    assert subject(digest) == "[sopflow] Ringkasan tugas Anda, 13 Agustus 2025: 1 tugas terbuka, 1 terlambat"
    assert "Keadaan     : terlambat 16 jam (jam kerja)" in body(digest, "plain")

    # Again at the same moment, and later the same day: nothing new is queued or sent.
    count = len(mail_sink.messages())
    assert remind(office, at(2025, 8, 13, 10)) == []
    assert remind(office, at(2025, 8, 13, 15, 30)) == []
    assert send_pending().sent == 0
    assert len(mail_sink.messages()) == count

    # The cuti bersama: nothing, even at opening time. Next working day: the daily mail and digest only.
    assert remind(office, at(2025, 8, 18, 7, 30)) == []
    assert [(p.kind, p.recipient) for p in remind(office, at(2025, 8, 19, 7, 30))] == [
        ("reminder_daily", AGUS), ("digest", AGUS), ("weekly", RETNO)]
    assert send_pending().sent == 3
    with session_scope() as s:
        kinds = [r.kind for r in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        statuses = {r.status for r in s.scalars(select(OutboxMessage))}
    assert kinds == ["task", "reminder_daily", "escalation", "escalation", "digest",
                     "reminder_daily", "digest", "weekly"]
    assert statuses == {"sent"}
    with session_scope() as s:  # the subjects exactly as queued
        escalations = [r.subject for r in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "escalation")
                                                      .order_by(OutboxMessage.id))]
    assert escalations == [
        f"[sopflow] Eskalasi tingkat {n}: terlambat 16 jam (jam kerja) — Agus Setyo Nugrahanto, S.T., M.PP. — {DPA} — "
        "Langkah 3: Perencana menyampaikan melalui grup WA Bendahara Setda untuk entry anggaran kegiatan sesuai "
        "Renja dan pagu anggaran ke aplikasi SIPD dan SIMDA" for n in (1, 2)]


def test_every_kind_of_mail_arrives_in_indonesian(db_url, mail_sink):
    office = load_office(get_settings().config_dir)
    # A: Mon 11 Aug 09:00, due Mon 11:00: long overdue on Tue 19 Aug.
    a = open_step(office, "sop03_dpa", "s03_sampaikan_ke_bendahara", at(2025, 8, 11, 9))
    # B: Fri 15 Aug 14:30, 120 minutes: due Fri 16:30 (closing), announced at the next opening, Tue 07:30.
    b = open_step(office, "sop03_dpa", "s04_entry_anggaran", at(2025, 8, 15, 14, 30))
    # C: Fri 15 Aug 15:30, 120 minutes: 60 on Friday, due Tue 19 Aug 08:30: 60 minutes left at 07:30.
    c = open_step(office, "sop06_monev_renstra", "s07_paparkan_renstra", at(2025, 8, 15, 15, 30), periode="2021-2026")
    assert (b.due_at, c.due_at) == (at(2025, 8, 15, 16, 30), at(2025, 8, 19, 8, 30))
    send_pending()
    start = len(mail_sink.messages())

    queued = remind(office, at(2025, 8, 19, 7, 30))
    assert [(p.kind, p.recipient, p.instance_ids) for p in queued] == [
        ("reminder_daily", AGUS, (a.id,)), ("escalation", RETNO, (a.id,)), ("escalation", HENDRO, (a.id,)),
        ("reminder_due", LILIS, (b.id,)), ("reminder_before", AGUS, (c.id,)),
        ("digest", AGUS, (a.id, c.id)), ("digest", LILIS, (b.id,)),
        ("weekly", RETNO, (a.id, b.id, c.id)),  # overdue first: A (since Mon 11), B (since Fri 16:30), then C
    ]
    assert send_pending().sent == 8
    got = received(mail_sink, start)
    subjects = {(kind, to): text for kind, to, text in got}
    assert len(got) == 8
    assert subjects[("reminder_due", LILIS)].startswith(f"[sopflow] Batas waktu tiba — {DPA} — Langkah 4: ")
    assert subjects[("reminder_before", AGUS)].startswith(
        "[sopflow] Pengingat: batas waktu 1 jam lagi — Monitoring dan Evaluasi Rencana Strategis (Renstra) "
        "Sekretariat Daerah 2021-2026 — Langkah 7: ")
    assert subjects[("digest", AGUS)] == "[sopflow] Ringkasan tugas Anda, 19 Agustus 2025: 2 tugas terbuka, 1 terlambat"
    assert subjects[("weekly", RETNO)] == (
        "[sopflow] Ringkasan mingguan langkah SOP terbuka, 19 Agustus 2025: 3 terbuka, 2 terlambat")
    # 300 (Mon 11) + 510 x 3 (Tue-Thu) + 540 (Fri) = 2370 = 39 jam 30 menit; Mon 18 is not counted.
    assert subjects[("reminder_daily", AGUS)].startswith("[sopflow] Pengingat: terlambat 39 jam 30 menit (jam kerja)")

    weekly = next(m for m in mail_sink.messages()[start:] if m["X-Sopflow-Kind"] == "weekly")
    text = body(weekly, "plain")
    assert text.index("Langkah 3:") < text.index("Langkah 4:") < text.index("Langkah 7:")
    assert "Pelaksana   : Lilis Suryaningsih, A.Md." in text and "Keadaan     : sisa 1 jam (jam kerja)" in text
    assert "<table" in body(weekly, "html") and "terlambat 39 jam 30 menit" in body(weekly, "html")
    for message in mail_sink.messages()[start:]:
        assert "Pesan ini dikirim otomatis oleh sopflow" in body(message, "plain")
        assert body(message, "html").lstrip().startswith("<!DOCTYPE html>")

    assert remind(office, at(2025, 8, 19, 7, 30)) == []
    assert send_pending().sent == 0
    assert len(mail_sink.messages()) == start + 8


def test_nothing_outside_office_hours(db_url, mail_sink):
    office = load_office(get_settings().config_dir)
    open_step(office, "sop03_dpa", "s03_sampaikan_ke_bendahara", at(2025, 8, 11, 9))
    for moment in (at(2025, 8, 12, 6), at(2025, 8, 12, 16), at(2025, 8, 12, 22), at(2025, 8, 16, 10),
                   at(2025, 8, 17, 10), at(2025, 8, 18, 10)):
        assert remind(office, moment) == [], moment
    with session_scope() as s:
        assert [r.kind for r in s.scalars(select(OutboxMessage))] == ["task"]


def test_the_digest_is_not_sent_before_its_time(db_url):
    office = load_office(get_settings().config_dir)
    open_step(office, "sop03_dpa", "s03_sampaikan_ke_bendahara", at(2025, 8, 11, 9))
    # Office hours and digest both start at 07:30; 07:00 is before both.
    assert remind(office, at(2025, 8, 12, 7)) == []
    assert [p.kind for p in remind(office, at(2025, 8, 12, 7, 30))] == ["reminder_daily", "digest"]
