"""The sender: drains the outbox (`sopflow.domain.outbox`) over SMTP with yagmail.

How a message is built, and why not with `yag.send`
----------------------------------------------------
yagmail 0.16 builds its MIME message from "contents" strings. Every string becomes BOTH the HTML
part and the text/plain alternative: it replaces each newline with `<br>` and puts that same
string, tags and all, in the text part (checked with `prepare_send`: a call with an HTML body
gives a text/plain part that is the raw markup plus `<br>`s). There is no way to hand it a
separate plain-text body, so with `yag.send` a reader whose client shows the text part (or a
filter that reads it) gets markup. Attachments have a second snag: yagmail names an attachment
after the file's basename, so a document would have to be copied to a file called exactly like
its registry name first.

So the message is composed with the standard library (`email.message.EmailMessage`):
multipart/mixed holding multipart/alternative (text/plain from the `.txt` template, text/html
from the `.html` template, both UTF-8, each exactly as rendered: no `<br>` rewriting, so the HTML
templates are free to contain newlines, though they do not rely on them) and one part per
document, whose filename is the document's registry `name`, byte for byte (RFC 2231 encoding
when it is not ASCII). yagmail is still the transport: it opens the connection (SSL or plain,
STARTTLS, login or `smtp_skip_login`) and the message goes out through `yag.smtp.send_message`.
Headers are RFC 2047-encoded by the stdlib, so Indonesian subjects arrive intact.

Delivery rules
--------------
- Rows are claimed one at a time with a conditional UPDATE (`status pending -> sending`); a row
  count of 1 means this drain owns the row, so two concurrent drains never send one row twice.
- While a row is `sending`, `next_attempt_at` holds the end of the claim's lease (10 minutes).
  A row still `sending` after its lease (the sender crashed mid-send) is put back to `pending`
  and counted as an attempt; it may then be delivered twice (at-least-once). Its Message-ID is
  stable per outbox row, so mail clients can tell the copies apart.
- Success: `sent`, `sent_at`. Failure: `attempts += 1`, `last_error`, back to `pending` with
  `next_attempt_at = now + min(2 ** (attempts - 1), 60)` minutes; after 8 attempts `failed`.
- If the server cannot be reached (connect, TLS or login fails, or it drops the connection), the
  drain stops after recording that one failure: the rest stay pending, untouched, for the next
  drain (no 100 x connection timeout during an outage).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import case, select, update

from sopflow.settings import Settings, get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import Document, OutboxMessage, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_CAP_MINUTES = 60
SENDING_LEASE = dt.timedelta(minutes=10)
SMTP_TIMEOUT_SECONDS = 30
_ERROR_MAX_CHARS = 2000


@dataclass(frozen=True)
class SendReport:
    """One drain: `sent` delivered; `failed` attempts that failed (the row went back to
    pending with back-off, or to failed after the last attempt); `skipped` due rows this drain
    did not attempt (claimed by a concurrent drain, or left for later because the server was
    unreachable)."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0


class _ConnectionProblem(Exception):
    """The SMTP server is unreachable or refused us: stop this drain."""


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after `attempts` failed tries: 1, 2, 4 ... minutes, capped."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_MINUTES))


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:_ERROR_MAX_CHARS]


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "sopflow.invalid"


def build_message(
    row: OutboxMessage, documents: Sequence[Document], *, mail_from: str, date: dt.datetime
) -> EmailMessage:
    """The MIME message of one outbox row (see the module docstring)."""
    from_addr = parseaddr(mail_from)[1] or mail_from
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(date)
    # Stable per outbox row: a copy re-sent after a crash carries the same Message-ID.
    digest = hashlib.sha256(row.key.encode("utf-8")).hexdigest()[:20]
    msg["Message-ID"] = f"<sopflow.{row.id}.{digest}@{_domain_of(from_addr)}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg["X-Sopflow-Kind"] = row.kind
    msg.set_content(row.body_text, subtype="plain", charset="utf-8")
    msg.add_alternative(row.body_html, subtype="html", charset="utf-8")
    for doc in documents:
        data = Path(doc.path).read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if doc.sha256 and actual != doc.sha256:
            raise ValueError(
                f"document {doc.id} ({doc.name!r}) changed on disk: sha256 {actual} != registry {doc.sha256}"
            )
        ctype = mimetypes.guess_type(doc.name)[0] or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=doc.name)
    return msg


class _Transport:
    """One yagmail connection, opened on first use and reused for the whole drain."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.yag = None

    def _open(self):
        import yagmail

        s = self.settings
        from_addr = parseaddr(s.mail_from)[1] or s.mail_from
        skip_login = not (s.smtp_user or s.smtp_password)
        user = s.smtp_user or from_addr
        yag = yagmail.SMTP(
            user=user,
            # Never None: yagmail would look in the keyring, then prompt on the terminal.
            password=s.smtp_password or "",
            host=s.smtp_host,
            port=s.smtp_port,
            smtp_ssl=s.smtp_ssl,
            smtp_starttls=bool(s.smtp_starttls and not s.smtp_ssl),
            smtp_skip_login=skip_login,
            soft_email_validation=False,
            timeout=SMTP_TIMEOUT_SECONDS,  # passed on to smtplib
        )
        # yagmail appends "@gmail.com" to a user without "@"; an SMTP login name need not be an address.
        yag.user = user
        yag.login()
        return yag

    def send(self, msg: EmailMessage, from_addr: str, to_addrs: list[str]) -> None:
        if self.yag is None:
            try:
                self.yag = self._open()
            except (OSError, smtplib.SMTPException) as exc:
                self.yag = None
                raise _ConnectionProblem(_error_text(exc)) from exc
        try:
            refused = self.yag.smtp.send_message(msg, from_addr=from_addr, to_addrs=to_addrs)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise _ConnectionProblem(_error_text(exc)) from exc
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def close(self) -> None:
        if self.yag is not None:
            try:
                self.yag.close()
            except Exception:  # pragma: no cover - closing a dead connection
                pass
            self.yag = None


def _release_stale(url: str | None, now: dt.datetime) -> int:
    """Rows whose sender died mid-send (lease over) become pending again, as one failed attempt."""
    attempts = OutboxMessage.attempts + 1
    with session_scope(url) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now)
            .values(
                status=case((attempts >= MAX_ATTEMPTS, "failed"), else_="pending"),
                attempts=attempts,
                last_error="sender stopped while sending (claim expired); delivery unknown",
                next_attempt_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        count = result.rowcount or 0
    if count:
        log.warning("outbox: %d message(s) stuck in 'sending' released for another try", count)
    return count


def _claim(url: str | None, message_id: int, now: dt.datetime) -> bool:
    with session_scope(url) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
            )
            .values(status="sending", next_attempt_at=now + SENDING_LEASE)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def _mark_sent(url: str | None, row: OutboxMessage, now: dt.datetime) -> None:
    with session_scope(url) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == "sending")
            .values(status="sent", sent_at=now, attempts=row.attempts + 1, last_error=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            log.warning("outbox %s: sent, but its claim had expired and was taken over", row.id)


def _mark_failed(url: str | None, row: OutboxMessage, now: dt.datetime, error: str) -> str:
    attempts = row.attempts + 1
    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    with session_scope(url) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == "sending")
            .values(status=status, attempts=attempts, last_error=error, next_attempt_at=now + backoff(attempts))
            .execution_options(synchronize_session=False)
        )
    return status


def send_pending(url: str | None = None, *, limit: int = 100, now: dt.datetime | None = None) -> SendReport:
    """Send up to `limit` due messages. `now` (aware) fixes the clock, for tests and replays."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else utcnow
    settings = get_settings()
    url = url or settings.database_url
    from_addr = parseaddr(settings.mail_from)[1] or settings.mail_from

    _release_stale(url, clock())
    with session_scope(url) as session:
        due = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= clock())
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            )
        )

    sent = failed = skipped = 0
    transport = _Transport(settings)
    try:
        for index, message_id in enumerate(due):
            if not _claim(url, message_id, clock()):
                skipped += 1
                continue
            with session_scope(url) as session:
                row = session.get(OutboxMessage, message_id)
                docs = [session.get(Document, int(d)) for d in (row.attachments or [])]
                session.expunge_all()
            try:
                missing = [d for d, doc in zip(row.attachments or [], docs) if doc is None]
                if missing:
                    raise LookupError(f"attached document(s) not in the registry: {missing}")
                msg = build_message(row, docs, mail_from=settings.mail_from, date=clock())
                transport.send(msg, from_addr, [row.recipient])
            except _ConnectionProblem as exc:
                status = _mark_failed(url, row, clock(), str(exc))
                failed += 1
                skipped += len(due) - index - 1
                log.warning("outbox %s to %s: SMTP unreachable (%s); now %s, stopping this drain",
                            row.id, row.recipient, exc, status)
                break
            except Exception as exc:  # one bad message must not block the others
                status = _mark_failed(url, row, clock(), _error_text(exc))
                failed += 1
                log.warning("outbox %s to %s failed (%s); now %s", row.id, row.recipient, _error_text(exc), status)
            else:
                _mark_sent(url, row, clock())
                sent += 1
                log.info("outbox %s sent to %s: %s", row.id, row.recipient, row.subject)
    finally:
        transport.close()
    return SendReport(sent=sent, failed=failed, skipped=skipped)
