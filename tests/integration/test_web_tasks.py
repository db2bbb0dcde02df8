"""The task pages and sign-in, through the real web app (FastAPI TestClient over the real app and
real databases): the link from a task mail opens the task, acting on it moves the SOP on exactly as
the CLI does, and every bad link, form or upload is refused, audited, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from sopflow.domain import links
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import AuditEntry, Document, OutboxMessage, StepInstance
from sopflow.web.app import create_app
from test_lifecycle import KABAG, PERENCANA, SEKDA, Run, counts_and_statuses, snapshot

LINK = re.compile(r"https?://\S+?/sop(/t/[A-Za-z0-9_.\-]+)")
PDF = b"%PDF-1.4\n% Renja\n"


@pytest.fixture
def client(sopflow_home) -> TestClient:
    return TestClient(create_app(), base_url="http://testserver/sop", root_path="/sop")


def task_link(recipient: str, step_no: int, round_: int = 1) -> str:
    """The page path in the newest task mail queued for this person and step round."""
    with session_scope() as s:
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task",
                                                      OutboxMessage.recipient == recipient)
                          .order_by(OutboxMessage.id)).all()
    for mail in reversed(mails):
        if f"Langkah {step_no}:" in mail.subject and (round_ == 1 or f"Revisi ke-{round_ - 1}" in mail.subject):
            return LINK.search(mail.body_text).group(1)
    raise AssertionError(f"no task mail for {recipient} step {step_no} round {round_}")


def form_of(page_html: str) -> dict:
    return {"csrf": re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)}


def refusals() -> list[AuditEntry]:
    with session_scope() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "refused").order_by(AuditEntry.id)))


def renja_at_draft() -> tuple[Run, StepInstance]:
    """A Renja run whose step 5 (the Perencana drafts the Renja) is open."""
    run = Run("sop02_renja")
    [draft] = run.open("s05_buat_dokumen")
    return run, draft


def without_audit(state: dict) -> dict:
    return {k: v for k, v in counts_and_statuses(state).items() if k != "audit_log"}


# --- the happy path --------------------------------------------------------------------------------
def test_mail_link_opens_the_task_and_done_with_upload_moves_on(db_url, client):
    run, draft = renja_at_draft()
    path = task_link(PERENCANA, 5)
    page = client.get(path)
    assert page.status_code == 200
    assert "Langkah 5:" in page.text and "Mutu baku" in page.text and "Batas waktu" in page.text
    assert "Selesai" in page.text and 'enctype="multipart/form-data"' in page.text

    done = client.post(path, data={**form_of(page.text), "keputusan": "selesai", "catatan": "Draf pertama"},
                       files={"berkas": ("Renja Setda 2027.pdf", PDF, "application/pdf")})
    assert done.status_code == 200, done.text
    assert "Langkah 5 selesai" in done.text and "Terima kasih" in done.text
    assert run.latest("s05_buat_dokumen").status == "done"
    with session_scope() as s:
        [doc] = s.scalars(select(Document).where(Document.jenis == "upload")).all()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "done")).one()
    assert (doc.name, doc.version, doc.step_instance_id) == ("Renja Setda 2027.pdf", 1, draft.id)
    assert (entry.actor, entry.source) == (PERENCANA, "web")


def test_review_revision_round_from_the_pages(db_url, client):
    run, draft = renja_at_draft()
    run.done(draft.id, PERENCANA)
    [review] = run.open("s06_koreksi_dokumen")
    kabag_path = task_link(KABAG, 6)
    page = client.get(kabag_path)
    assert "Setuju" in page.text and "Perlu revisi" in page.text

    # TIDAK without a note is refused by the domain rule and the link stays usable.
    empty = client.post(kabag_path, data={**form_of(page.text), "keputusan": "tidak", "catatan": " "})
    assert empty.status_code == 409 and "catatan" in empty.text
    sent_back = client.post(kabag_path, data={**form_of(page.text), "keputusan": "tidak",
                                              "catatan": "Target kinerja <script>alert(1)</script> belum diisi"})
    assert sent_back.status_code == 200 and "Dikembalikan untuk revisi" in sent_back.text
    round2 = run.latest("s05_buat_dokumen")
    assert (round2.round, round2.status) == (2, "open")

    # The Perencana's revision link shows the reviewer's note, escaped.
    page2 = client.get(task_link(PERENCANA, 5, round_=2))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page2.text and "<script>alert(1)" not in page2.text
    client.post(task_link(PERENCANA, 5, round_=2), data={**form_of(page2.text), "keputusan": "selesai"})
    again = client.get(task_link(KABAG, 6, round_=2))
    ok = client.post(task_link(KABAG, 6, round_=2), data={**form_of(again.text), "keputusan": "iya"})
    assert "Keputusan IYA dicatat" in ok.text
    assert run.resolved("s06_koreksi_dokumen")


# --- refusals: each audited, each changing nothing ---------------------------------------------------
def test_forged_expired_and_someone_elses_links_are_refused(db_url, client):
    run, draft = renja_at_draft()
    path = task_link(PERENCANA, 5)
    before = snapshot()

    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(forged).status_code == 403
    secret = get_settings().secret_key
    someone_else = "/t/" + links.task_token(secret, draft.id, SEKDA)
    response = client.get(someone_else)
    assert response.status_code == 403 and "bukan untuk Anda" in response.text
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=links.TASK_LINK_DAYS + 1)):
        expired = client.get(path)
    assert expired.status_code == 403 and "kedaluwarsa" in expired.text
    # The forged link's POST is refused too, even with a valid form token.
    page = client.get(path)
    assert client.post(forged, data={**form_of(page.text), "keputusan": "selesai"}).status_code == 403

    assert without_audit(snapshot()) == without_audit(before)
    assert run.latest("s05_buat_dokumen").status == "open"
    reasons = [r.detail["reason"] for r in refusals()]
    assert reasons == ["tampered", "not_yours", "expired", "tampered"]
    assert refusals()[1].actor == SEKDA and refusals()[1].step_instance_id == draft.id


def test_a_link_acts_once(db_url, client):
    run, draft = renja_at_draft()
    path = task_link(PERENCANA, 5)
    page = client.get(path)
    form = {**form_of(page.text), "keputusan": "selesai"}
    assert client.post(path, data=form).status_code == 200
    before = snapshot()
    replay = client.post(path, data=form)
    assert replay.status_code == 403 and "sudah pernah digunakan" in replay.text
    assert client.get(path).status_code == 403
    assert without_audit(snapshot()) == without_audit(before)
    assert [r.detail["reason"] for r in refusals()] == ["used", "used"]


def test_missing_or_wrong_csrf_token_changes_nothing(db_url, client):
    run, draft = renja_at_draft()
    path = task_link(PERENCANA, 5)
    client.get(path)  # sets the CSRF cookie
    before = snapshot()
    assert client.post(path, data={"keputusan": "selesai"}).status_code == 403
    assert client.post(path, data={"keputusan": "selesai", "csrf": "0" * 64}).status_code == 403
    # A cross-site page posting in the person's browser has no cookie-matching token either.
    other = TestClient(create_app(), base_url="http://testserver/sop", root_path="/sop")
    assert other.post(path, data={"keputusan": "selesai", "csrf": form_of(client.get(path).text)["csrf"]}
                      ).status_code == 403
    assert without_audit(snapshot()) == without_audit(before)
    assert [r.detail["reason"] for r in refusals()] == ["csrf", "csrf", "csrf"]


@pytest.mark.parametrize("name, data, reason", [
    ("../../etc/passwd.pdf", b"<html>not a pdf</html>", "bukan PDF"),
    ("laporan.exe", b"MZ\x90\x00", ".exe"),
    ("foto.png", PDF, "bukan PNG"),
])
def test_hostile_uploads_are_refused(db_url, client, name, data, reason):
    run, draft = renja_at_draft()
    path = task_link(PERENCANA, 5)
    page = client.get(path)
    before = snapshot()
    response = client.post(path, data={**form_of(page.text), "keputusan": "selesai"},
                           files={"berkas": (name, data, "application/octet-stream")})
    assert response.status_code == 409 and reason in response.text
    assert without_audit(snapshot()) == without_audit(before)
    assert refusals()[-1].detail["reason"] == "action"


def test_a_hostile_file_name_is_stored_harmless(db_url, client):
    run, draft = renja_at_draft()
    path = task_link(PERENCANA, 5)
    page = client.get(path)
    client.post(path, data={**form_of(page.text), "keputusan": "selesai"},
                files={"berkas": ('../../<img src=x onerror=alert(1)>\x00.pdf', PDF, "application/pdf")})
    with session_scope() as s:
        [doc] = s.scalars(select(Document).where(Document.jenis == "upload")).all()
    assert "/" not in doc.name and "<" not in doc.name and "\x00" not in doc.name and doc.name.endswith(".pdf")
    assert get_settings().documents_dir in __import__("pathlib").Path(doc.path).parents


# --- one rule for the web and the CLI ------------------------------------------------------------------
def test_web_and_cli_give_the_same_result(db_url, client):
    from test_cli import sopflow

    web_run = Run("sop02_renja", run_id="manual__web")
    cli_run = Run("sop02_renja", run_id="manual__cli")
    for run in (web_run, cli_run):
        [draft] = run.open("s05_buat_dokumen")
        run.done(draft.id, PERENCANA)
        run.open("s06_koreksi_dokumen")
    web_review, cli_review = web_run.latest("s06_koreksi_dokumen"), cli_run.latest("s06_koreksi_dokumen")
    path = next(LINK.search(m.body_text).group(1) for m in _task_mails(KABAG) if m.run_id == "manual__web")
    client.post(path, data={**form_of(client.get(path).text), "keputusan": "tidak", "catatan": "Perbaiki tabel"})
    result = sopflow("revise", str(cli_review.id), "--by", KABAG, "--note", "Perbaiki tabel")
    assert result.returncode == 0, result.stderr

    def outcome(run: Run) -> list:
        with session_scope() as s:
            rows = s.scalars(select(StepInstance).where(StepInstance.run_id == run.run_id)
                             .order_by(StepInstance.id)).all()
            mails = s.scalars(select(OutboxMessage).where(OutboxMessage.run_id == run.run_id)
                              .order_by(OutboxMessage.id)).all()
            return ([(r.step_id, r.round, r.status, r.closed_by, r.note) for r in rows],
                    [(m.kind, m.recipient, m.subject) for m in mails])

    assert outcome(web_run) == outcome(cli_run)
    assert web_review.id != cli_review.id


def _task_mails(recipient: str) -> list[OutboxMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task",
                                                          OutboxMessage.recipient == recipient)))


# --- sign-in and "Tugas saya" ------------------------------------------------------------------------
def test_sign_in_by_mailed_link_lists_my_tasks(db_url, client, mail_sink):
    run, draft = renja_at_draft()
    assert client.get("/tugas").status_code == 401
    page = client.get("/masuk")
    sent = client.post("/masuk", data={**form_of(page.text), "email": PERENCANA})
    assert "tautan masuk telah dikirim" in sent.text
    [mail] = [m for m in mail_sink.messages() if m["X-Sopflow-Kind"] == "masuk"]
    assert mail["To"] == PERENCANA and "Tautan masuk" in mail["Subject"]
    path = re.search(r"/sop(/masuk/\S+)", mail.get_body(("plain",)).get_content()).group(1)

    confirm = client.get(path)
    assert "Masuk sebagai" in confirm.text
    signed = client.post(path, data=form_of(confirm.text), follow_redirects=True)
    assert signed.status_code == 200 and "Tugas saya" in signed.text
    assert f"/sop/tugas/{draft.id}" in signed.text
    task = client.get(f"/tugas/{draft.id}")
    done = client.post(f"/tugas/{draft.id}", data={**form_of(task.text), "keputusan": "selesai"})
    assert "Langkah 5 selesai" in done.text
    # The sign-in link was for one use.
    assert client.post(path, data=form_of(confirm.text)).status_code == 403


def test_unknown_address_gets_the_same_answer_and_no_mail(db_url, client, mail_sink):
    page = client.get("/masuk")
    sent = client.post("/masuk", data={**form_of(page.text), "email": "orang.asing@example.com"})
    assert "tautan masuk telah dikirim" in sent.text
    assert [m for m in mail_sink.messages() if m["X-Sopflow-Kind"] == "masuk"] == []


def test_signed_in_person_cannot_open_someone_elses_task(db_url, client):
    run, draft = renja_at_draft()
    secret = get_settings().secret_key
    client.cookies.set("sopflow_sesi", links.session_cookie(secret, SEKDA), path="/sop")
    response = client.get(f"/tugas/{draft.id}")
    assert response.status_code == 403
    assert refusals()[-1].actor == SEKDA


def test_the_mail_sink_log_shows_the_page_link(db_url, mail_sink, caplog):
    """Under `make run` the console alone leads a newcomer from one task page to the next."""
    import logging

    from sopflow.mail import send_pending

    caplog.set_level(logging.INFO, logger="sopflow.mailsink")
    renja_at_draft()
    send_pending()
    # The sink's own line (aiosmtpd logs the SMTP dialogue too when an earlier test left logging up).
    line = next(r.getMessage() for r in caplog.records if r.name == "sopflow.mailsink" and PERENCANA in r.getMessage())
    assert "Langkah 5" in line
    assert LINK.search(line).group(1) == task_link(PERENCANA, 5)
