"""Signed links and web sign-in: who a link is for, until when, and whether it was used already.

Three kinds of signed value, each with its own salt so one can never stand in for another:
- the task link in every task email: (step instance, person), valid `TASK_LINK_DAYS`; it may be
  opened many times (mail scanners open links too) but acts only once: the action records its nonce;
- the sign-in link ("Tugas saya"): a person, valid `SIGNIN_MINUTES`, used once;
- the session cookie the sign-in sets: a person, valid `SESSION_HOURS`.
Forms carry a CSRF token bound to the link's or the session's nonce. Every refusal is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sopflow.domain import audit
from sopflow.store.models import LinkUse, StepInstance

TASK_LINK_DAYS = 30
SIGNIN_MINUTES = 30
SESSION_HOURS = 8

REASONS = {
    "tampered": "Tautan ini tidak sah (tanda tangannya tidak cocok). Gunakan tautan asli dari email Anda.",
    "expired": "Tautan ini sudah kedaluwarsa. Minta tautan baru melalui halaman Masuk.",
    "used": "Tautan ini sudah pernah digunakan. Setiap tautan hanya berlaku untuk satu tindakan.",
    "csrf": "Formulir ini tidak sah atau sudah kedaluwarsa (token keamanan tidak cocok). Muat ulang halaman lalu coba lagi.",
    "not_yours": "Tugas ini bukan untuk Anda.",
    "signin": "Anda perlu masuk terlebih dahulu.",
    "admin": "Halaman ini hanya untuk admin sopflow.",
}


class LinkRefused(Exception):
    """A link, session or form that may not be used; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(REASONS[reason] + (f" ({detail})" if detail else ""))
        self.reason, self.detail = reason, detail

    @property
    def message(self) -> str:
        return REASONS[self.reason]


@dataclass(frozen=True)
class TaskLink:
    instance_id: int
    email: str
    nonce: str


@dataclass(frozen=True)
class Identity:
    """A signed-in person (from a sign-in link's session cookie)."""

    email: str
    nonce: str


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"sopflow-{purpose}")


def _load(secret: str, purpose: str, token: str, max_age: float) -> dict:
    try:
        value = _serializer(secret, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkRefused("expired") from None
    except BadSignature:
        raise LinkRefused("tampered") from None
    if not isinstance(value, dict):
        raise LinkRefused("tampered")
    return value


# --- task links --------------------------------------------------------------------------------
def task_token(secret: str, instance_id: int, email: str) -> str:
    return _serializer(secret, "task").dumps({"i": instance_id, "e": email.strip().lower(),
                                              "n": secrets.token_urlsafe(12)})


def task_url(base_url: str, secret: str, instance_id: int, email: str) -> str:
    return f"{base_url.rstrip('/')}/t/{task_token(secret, instance_id, email)}"


def read_task_token(secret: str, token: str, max_age_days: float = TASK_LINK_DAYS) -> TaskLink:
    value = _load(secret, "task", token, max_age_days * 86400)
    try:
        return TaskLink(instance_id=int(value["i"]), email=str(value["e"]), nonce=str(value["n"]))
    except (KeyError, TypeError, ValueError):
        raise LinkRefused("tampered") from None


# --- sign-in and sessions ------------------------------------------------------------------------
def signin_token(secret: str, email: str) -> str:
    return _serializer(secret, "masuk").dumps({"e": email.strip().lower(), "n": secrets.token_urlsafe(12)})


def read_signin_token(secret: str, token: str, max_age_minutes: float = SIGNIN_MINUTES) -> Identity:
    value = _load(secret, "masuk", token, max_age_minutes * 60)
    return Identity(email=str(value.get("e", "")), nonce=str(value.get("n", "")))


def session_cookie(secret: str, email: str) -> str:
    return _serializer(secret, "sesi").dumps({"e": email.strip().lower(), "n": secrets.token_urlsafe(12)})


def read_session_cookie(secret: str, value: str | None, max_age_hours: float = SESSION_HOURS) -> Identity | None:
    """The signed-in person, or None for no cookie (a bad or old cookie is treated as none)."""
    if not value:
        return None
    try:
        data = _load(secret, "sesi", value, max_age_hours * 3600)
    except LinkRefused:
        return None
    return Identity(email=str(data.get("e", "")), nonce=str(data.get("n", "")))


# --- forms ---------------------------------------------------------------------------------------
def csrf_token(secret: str, nonce: str) -> str:
    """The form token bound to a link's or a session's nonce: a page of another site cannot know it."""
    return hmac.new(secret.encode(), f"csrf|{nonce}".encode(), hashlib.sha256).hexdigest()


def check_csrf(secret: str, nonce: str, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(csrf_token(secret, nonce), submitted):
        raise LinkRefused("csrf")


# --- use -----------------------------------------------------------------------------------------
def used(session: Session, nonce: str) -> LinkUse | None:
    return session.scalar(select(LinkUse).where(LinkUse.nonce == nonce))


def consume(session: Session, *, nonce: str, purpose: str, email: str, action: str,
            instance_id: int | None = None) -> None:
    """Record the one use of a link in the caller's transaction; a second use raises LinkRefused."""
    if used(session, nonce) is not None:
        raise LinkRefused("used")
    try:
        with session.begin_nested():
            session.add(LinkUse(nonce=nonce, purpose=purpose, email=email, action=action,
                                step_instance_id=instance_id))
    except IntegrityError:  # the same link used twice at the same moment
        raise LinkRefused("used") from None


def record_refusal(session: Session, refusal: Exception, *, actor: str | None, where: str, client: str | None,
                   instance: StepInstance | None = None) -> None:
    """Audit a refused link, form or action. Call it in a transaction of its own: the refused
    change itself was rolled back, the record of the refusal must stay."""
    reason = refusal.reason if isinstance(refusal, LinkRefused) else "action"
    audit.record(session, actor=actor or "anonim", action="refused", source="web", instance=instance,
                 detail={"reason": reason, "message": str(refusal), "where": where, "client": client})
