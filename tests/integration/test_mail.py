"""The outbox and the sender against a real SMTP server (the aiosmtpd sink) and a real SQLite file."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from sopflow.domain.outbox import enqueue, message_key
from sopflow.mail import MAX_ATTEMPTS, send_pending
from sopflow.mailsink import MailSink
from sopflow.store import db
from sopflow.store.db import session_scope
from sopflow.store.models import Document, OutboxMessage

SUBJECT = "[sopflow] Tugas: Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah 2027 — Langkah 5: Membuat dokumen Rencana Kerja (Renja) Setda"
ATTACHMENT_NAME = "Lembar Disposisi Langkah 1.pdf"
# Ahead of the real clock, so rows queued "now" are already due at T0.
T0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def env(tmp_path, monkeypatch):
    """A fresh SQLite database and SMTP settings pointing at a port no one listens on yet."""
    port = _free_port()
    monkeypatch.setenv("SOPFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    monkeypatch.setenv("SOPFLOW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SOPFLOW_SMTP_PORT", str(port))
    monkeypatch.setenv("SOPFLOW_MAIL_FROM", "sopflow@setda.blitarkab.example")
    for name in ("SOPFLOW_SMTP_USER", "SOPFLOW_SMTP_PASSWORD", "SOPFLOW_SMTP_STARTTLS", "SOPFLOW_SMTP_SSL"):
        monkeypatch.delenv(name, raising=False)
    db.dispose_all()
    yield {"port": port, "tmp": tmp_path, "maildir": tmp_path / "mail"}
    db.dispose_all()


@pytest.fixture()
def sink(env):
    s = MailSink("127.0.0.1", env["port"], env["maildir"]).start()
    yield s
    s.stop()


def _document(tmp: Path, *, name: str, on_disk: str, data: bytes) -> int:
    path = tmp / "docs" / on_disk
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with session_scope() as s:
        doc = Document(
            dag_id="sop02_renja", run_id="r1", name=name, jenis="lembar_disposisi", version=1,
            sha256=hashlib.sha256(data).hexdigest(), size=len(data), path=str(path), created_by="sopflow",
        )
        s.add(doc)
        s.flush()
        return doc.id


def _enqueue(key: str, *, recipient: str = "budi@setda.blitarkab.example", subject: str = SUBJECT,
             attachments=(), body_text: str | None = None, body_html: str | None = None):
    with session_scope() as s:
        msg = enqueue(
            s, key=key, kind="task", recipient=recipient, subject=subject,
            body_text=body_text or "Yth. Budi Santoso,\n\nAnda mendapat tugas.\nPeriode : 2027\nBatas waktu: Senin, 7 Desember 2026 pukul 09.00 WIB\n",
            body_html=body_html or "<!DOCTYPE html>\n<html><body>\n<p>Yth. Budi Santoso,</p>\n<p>Anda mendapat <strong>tugas</strong>.</p>\n</body></html>\n",
            attachments=attachments, dag_id="sop02_renja", run_id="r1",
        )
        return None if msg is None else msg.id


def _parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _rows() -> list[OutboxMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _pdf_bytes() -> bytes:
    # Not UTF-8, with every byte value: any transfer-encoding slip shows up.
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def test_messages_arrive_with_subject_bodies_and_attachment_intact(env, sink):
    data = _pdf_bytes()
    doc_id = _document(env["tmp"], name=ATTACHMENT_NAME, on_disk=ATTACHMENT_NAME, data=data)
    key1 = message_key("sop02_renja", "r1", "s05_buat", "", 1, "task", "budi@setda.blitarkab.example")
    key2 = message_key("sop02_renja", "r1", "s05_buat", "", 1, "task", "sri@setda.blitarkab.example")
    assert _enqueue(key1, attachments=[doc_id]) is not None
    assert _enqueue(key2, recipient="sri@setda.blitarkab.example", subject="[sopflow] Dokumen: Renja — Langkah 8 ✓") is not None

    report = send_pending()
    assert (report.sent, report.failed, report.skipped) == (2, 0, 0)

    files = sink.messages()
    assert len(files) == 2
    by_to = {str(_parse(p)["To"]): (p, _parse(p)) for p in files}
    path, msg = by_to["budi@setda.blitarkab.example"]
    assert path.name.endswith("-budi@setda.blitarkab.example.eml")
    assert msg["Subject"] == SUBJECT
    assert by_to["sri@setda.blitarkab.example"][1]["Subject"] == "[sopflow] Dokumen: Renja — Langkah 8 ✓"

    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Yth. Budi Santoso," in text and "Senin, 7 Desember 2026 pukul 09.00 WIB" in text
    assert "<br>" not in text and "<p>" not in text
    assert text.splitlines()[2] == "Anda mendapat tugas."  # newlines kept as newlines
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "<strong>tugas</strong>" in html and "<br>" not in html

    attachments = list(msg.iter_attachments())
    assert [a.get_filename() for a in attachments] == [ATTACHMENT_NAME]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == data

    rows = _rows()
    assert [r.status for r in rows] == ["sent", "sent"]
    assert all(r.sent_at is not None and r.last_error is None for r in rows)


def test_attachment_name_comes_from_the_registry_not_the_disk(env, sink):
    data = b"PK\x03\x04 not really a spreadsheet \xff\x00"
    name = "Rekap Kinerja — Triwulan I 2027 (revisi 2).xlsx"
    doc_id = _document(env["tmp"], name=name, on_disk="3f9a0c.bin", data=data)
    _enqueue("k-xlsx", attachments=[doc_id])
    assert send_pending().sent == 1
    (attachment,) = list(_parse(sink.messages()[0]).iter_attachments())
    assert attachment.get_filename() == name
    assert attachment.get_content() == data


def test_same_key_twice_queues_and_sends_one_message(env, sink):
    key = message_key("sop02_renja", "r1", "s05_buat", "", 1, "task", "budi@setda.blitarkab.example")
    assert _enqueue(key) is not None
    assert _enqueue(key) is None
    assert len(_rows()) == 1

    assert send_pending().sent == 1
    again = send_pending()
    assert (again.sent, again.failed, again.skipped) == (0, 0, 0)
    assert len(sink.messages()) == 1


def test_outage_loses_nothing_backs_off_and_delivers_once(env):
    for i in range(3):
        _enqueue(f"k{i}", recipient=f"orang{i}@setda.blitarkab.example")

    down = send_pending(now=T0)  # nothing listens on the port
    assert (down.sent, down.failed, down.skipped) == (0, 1, 2)  # stops at the first refusal
    rows = _rows()
    assert [r.status for r in rows] == ["pending"] * 3
    assert rows[0].attempts == 1 and "Connection refused" in rows[0].last_error
    assert rows[0].next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert [r.attempts for r in rows[1:]] == [0, 0]

    sink = MailSink("127.0.0.1", env["port"], env["maildir"]).start()
    try:
        early = send_pending(now=T0 + dt.timedelta(seconds=30))  # first message is not due yet
        assert early.sent == 2
        later = send_pending(now=T0 + dt.timedelta(minutes=1, seconds=1))
        assert later.sent == 1
        assert send_pending(now=T0 + dt.timedelta(hours=5)).sent == 0
        recipients = sorted(str(_parse(p)["To"]) for p in sink.messages())
        assert recipients == [f"orang{i}@setda.blitarkab.example" for i in range(3)]
    finally:
        sink.stop()
    assert [r.status for r in _rows()] == ["sent"] * 3


def test_back_off_doubles_caps_at_an_hour_and_gives_up_after_eight_attempts(env):
    _enqueue("k")
    now = T0
    delays = []
    for _ in range(MAX_ATTEMPTS):
        assert send_pending(now=now).failed == 1
        (row,) = _rows()
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert [d // dt.timedelta(minutes=1) for d in delays] == [1, 2, 4, 8, 16, 32, 60, 60]
    (row,) = _rows()
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert send_pending(now=now + dt.timedelta(days=1)).failed == 0


def test_a_row_left_sending_by_a_crashed_sender_is_sent_again(env, sink):
    _enqueue("k")
    with session_scope() as s:  # a sender claimed it at T0 and died
        s.execute(update(OutboxMessage).values(status="sending", next_attempt_at=T0 + dt.timedelta(minutes=10)))
    assert send_pending(now=T0 + dt.timedelta(minutes=5)).sent == 0  # its claim still holds
    assert send_pending(now=T0 + dt.timedelta(minutes=11)).sent == 1
    (row,) = _rows()
    assert row.status == "sent" and row.attempts == 2
    assert len(sink.messages()) == 1


def test_concurrent_drains_never_send_a_row_twice(env, sink):
    for i in range(12):
        _enqueue(f"k{i}", recipient=f"orang{i}@setda.blitarkab.example")
    reports = []
    start = threading.Barrier(3)

    def drain():
        start.wait()
        reports.append(send_pending())

    threads = [threading.Thread(target=drain) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in reports) == 12
    assert sum(r.failed for r in reports) == 0
    assert len(sink.messages()) == 12
    assert len({str(_parse(p)["To"]) for p in sink.messages()}) == 12


def test_enqueue_is_part_of_the_callers_transaction(env):
    with pytest.raises(RuntimeError):
        with session_scope() as s:
            assert enqueue(s, key="k", kind="task", recipient="a@b.example", subject="s",
                           body_text="t", body_html="<p>h</p>") is not None
            raise RuntimeError("the step could not be opened")
    assert _rows() == []


def test_concurrent_enqueue_of_one_key_keeps_one_row(env):
    with session_scope():
        pass  # create the schema before the race
    first_inserted = threading.Event()
    results: dict[str, object] = {}

    def first():
        with session_scope() as s:
            results["first"] = enqueue(s, key="k", kind="task", recipient="a@b.example", subject="s",
                                       body_text="t", body_html="h")
            first_inserted.set()
            threading.Event().wait(0.5)  # hold the uncommitted row while the second one tries

    def second():
        first_inserted.wait(10)
        with session_scope() as s:
            results["second"] = enqueue(s, key="k", kind="task", recipient="a@b.example", subject="s",
                                        body_text="t", body_html="h")
            # the session is still usable after the lost race
            results["count"] = s.scalar(select(func.count()).select_from(OutboxMessage))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results["first"] is not None
    assert results["second"] is None
    assert results["count"] == 1
    assert len(_rows()) == 1


def test_message_key_rejects_the_separator():
    assert message_key("d", "r", "s", None, 2, "task", "a@b") == "d|r|s||2|task|a@b"
    with pytest.raises(ValueError):
        message_key("d", "r|x")
