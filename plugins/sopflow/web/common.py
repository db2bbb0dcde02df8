"""What every page shares: settings, the database session, the office in force today, who is
signed in, the CSRF cookie and token, and turning refusals into clear pages (and audit entries).

Pages are server-rendered from `include/templates/web/` with the same Jinja2 environment as mail
(autoescaped, StrictUndefined). Links inside the app are made from the request's root path, so the
app works mounted at /sop in the Airflow API server and standalone under uvicorn in tests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from sopflow.domain import links
from sopflow.domain.errors import ActionRefused
from sopflow.settings import Settings, get_settings

SESSION_COOKIE = "sopflow_sesi"
CSRF_COOKIE = "sopflow_csrf"


def settings() -> Settings:
    return get_settings()


def office(session=None):
    """The office configuration with the delegations in force (staff.yaml plus admin-added).

    Inside a transaction pass its session: on SQLite a second transaction would wait for the first.
    """
    from sopflow.domain import delegation
    from sopflow.domain.office import load_office
    from sopflow.store.db import session_scope

    base = load_office(settings().config_dir)
    if session is not None:
        return delegation.effective(session, base)
    with session_scope() as own:
        return delegation.effective(own, base)


def href(request: Request, path: str) -> str:
    """An in-app path (e.g. '/tugas') as the browser must request it."""
    return request.scope.get("root_path", "").rstrip("/") + path


def client(request: Request) -> str:
    """Where a request came from, for the audit log."""
    host = request.client.host if request.client else "?"
    agent = request.headers.get("user-agent", "")[:120]
    return f"{host} {agent}".strip()


@dataclass(frozen=True)
class Viewer:
    """The person looking at a page: signed in by session, or holding a task link."""

    email: str
    nama: str
    admin: bool


def signed_in(request: Request) -> Viewer | None:
    identity = links.read_session_cookie(settings().secret_key, request.cookies.get(SESSION_COOKIE))
    if identity is None:
        return None
    person = office().staff.by_email(identity.email)
    if person is None:  # removed from staff.yaml since signing in
        return None
    return Viewer(email=person.email, nama=person.nama, admin=person.admin)


def viewer_for(email: str, off=None) -> Viewer:
    person = (off or office()).staff.by_email(email)
    return Viewer(email=email, nama=person.nama if person else email, admin=bool(person and person.admin))


# --- CSRF: a random cookie, and a form field that only a page of ours can compute from it -------------
def csrf_nonce(request: Request) -> str:
    nonce = request.cookies.get(CSRF_COOKIE) or request.state.__dict__.get("new_csrf")
    if not nonce:
        nonce = request.state.new_csrf = secrets.token_urlsafe(16)
    return nonce


def csrf_field(request: Request) -> str:
    return links.csrf_token(settings().secret_key, csrf_nonce(request))


def check_csrf(request: Request, submitted: str | None) -> None:
    links.check_csrf(settings().secret_key, request.cookies.get(CSRF_COOKIE) or "", submitted)


def cookie_path(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/") or "/"


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    from sopflow.render.templates import render

    viewer = context.pop("viewer", None)
    if viewer is None and "viewer" not in context:
        viewer = signed_in(request)
    html = render(f"web/{template}", request=request, href=lambda p: href(request, p), viewer=viewer,
                  csrf=csrf_field(request), **context)
    response = HTMLResponse(html, status_code=status_code)
    if getattr(request.state, "new_csrf", None):
        response.set_cookie(CSRF_COOKIE, request.state.new_csrf, httponly=True, samesite="lax",
                            path=cookie_path(request), secure=request.url.scheme == "https")
    # No page of ours may be framed or cached by a shared device's browser history.
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def refused(request: Request, exc: Exception, *, actor: str | None, where: str, instance_id: int | None = None,
            status_code: int | None = None) -> Response:
    """Audit a refusal in its own transaction and show it as a clear page."""
    from sopflow.store.db import session_scope
    from sopflow.store.models import StepInstance

    with session_scope() as session:
        instance = session.get(StepInstance, instance_id) if instance_id is not None else None
        links.record_refusal(session, exc, actor=actor, where=where, client=client(request), instance=instance)
    if isinstance(exc, links.LinkRefused):
        title, message = "Tidak dapat diproses", exc.message
        code = status_code or (401 if exc.reason == "signin" else 403)
    elif isinstance(exc, ActionRefused):
        title, message, code = "Tindakan ditolak", str(exc), status_code or 409
    else:
        title, message, code = "Tidak dapat diproses", str(exc), status_code or 400
    return page(request, "pesan.html", status_code=code, judul=title, pesan=message, jenis="galat")
