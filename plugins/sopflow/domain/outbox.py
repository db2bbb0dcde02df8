"""The mail outbox: every message is queued here first, then `sopflow.mail` sends it.

Queuing is idempotent on a caller-built key (run, step, Bagian, round, kind, recipient), so a
retried Airflow task, a re-deferred sensor or two workers racing on the same step queue one mail,
never two. The row is written in the caller's transaction: if the caller rolls back (the step was
not opened after all), the mail is not queued either.

No Airflow import here: the DAG, the web app and the CLI all queue through this module.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sopflow.store.models import OutboxMessage

KEY_SEPARATOR = "|"
MAX_KEY_LENGTH = 700  # outbox_message.key is VARCHAR(700)


def message_key(*parts: object) -> str:
    """Join the parts of an idempotency key: `message_key(dag_id, run_id, step_id, bagian, round,
    kind, recipient)`. None becomes "" (so an absent Bagian is stable); the separator may not
    appear inside a part, or two different keys could collide."""
    texts = ["" if p is None else str(p) for p in parts]
    for text in texts:
        if KEY_SEPARATOR in text:
            raise ValueError(f"a message key part may not contain {KEY_SEPARATOR!r}: {text!r}")
    key = KEY_SEPARATOR.join(texts)
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"message key longer than {MAX_KEY_LENGTH} characters: {key[:80]}...")
    return key


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str,
    attachments: Iterable[int] = (),
    dag_id: str | None = None,
    run_id: str | None = None,
) -> OutboxMessage | None:
    """Queue one message; return it, or None when a message with this key is already queued
    (then nothing is changed). `attachments` are Document ids. Safe against a concurrent
    enqueue of the same key: the loser's INSERT fails inside a SAVEPOINT, which is rolled back
    alone, leaving the caller's transaction usable."""
    if not key:
        raise ValueError("an outbox message needs a key")
    if not recipient or "@" not in recipient:
        raise ValueError(f"not an email address: {recipient!r}")
    if "\n" in subject or "\r" in subject:
        raise ValueError("a subject must be one line")

    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None

    message = OutboxMessage(
        key=key,
        kind=kind,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        attachments=[int(a) for a in attachments],
        dag_id=dag_id,
        run_id=run_id,
        status="pending",
        attempts=0,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        # Someone else queued the same key between our SELECT and INSERT. Any other integrity
        # problem is a bug and must not be mistaken for "already queued".
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is None:
            raise
        return None
    return message
