"""Passwordless sign-in: a person asks for a link on /masuk, the link (mailed, valid 30 minutes,
used once) signs them in with a session cookie, /keluar signs them out.

The answer to a request is the same whether or not the address is in the staff directory, so the
page does not tell strangers who works here. Opening the link shows a button: mail scanners that
open links do not use up the one-time link, only the press does.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response

from sopflow.domain import audit, links, outbox
from sopflow.store.db import session_scope
from sopflow.web.common import SESSION_COOKIE, check_csrf, client, cookie_path, href, office, page, refused, settings
from sopflow.web.tasks import send_mail_now

router = APIRouter()


@router.get("/masuk")
def signin_form(request: Request) -> Response:
    return page(request, "masuk.html", terkirim=None)


@router.post("/masuk")
def signin_request(request: Request, background: BackgroundTasks, email: str = Form(""),
                   csrf: str = Form("")) -> Response:
    from sopflow.render.templates import render

    try:
        check_csrf(request, csrf)
    except links.LinkRefused as exc:
        return refused(request, exc, actor=email or None, where="POST /masuk")
    email = email.strip().lower()
    person = office().staff.by_email(email) if email else None
    if person is not None:
        s = settings()
        token = links.signin_token(s.secret_key, person.email)
        context = dict(person=person, link=f"{s.base_url}/masuk/{token}", menit=links.SIGNIN_MINUTES)
        with session_scope() as session:
            outbox.enqueue(session, key=outbox.message_key("masuk", person.email, token[-24:]), kind="masuk",
                           recipient=person.email, subject=render("email/masuk.subject.txt", **context).strip(),
                           body_text=render("email/masuk.txt", **context), body_html=render("email/masuk.html", **context))
            audit.record(session, actor=person.email, action="signin_link_sent", source="web",
                         detail={"client": client(request)})
        background.add_task(send_mail_now)
    return page(request, "masuk.html", terkirim=email or "-")


@router.get("/masuk/{token}")
def signin_confirm(request: Request, token: str) -> Response:
    try:
        identity = links.read_signin_token(settings().secret_key, token)
        with session_scope() as session:
            if links.used(session, identity.nonce) is not None:
                raise links.LinkRefused("used")
    except links.LinkRefused as exc:
        return refused(request, exc, actor=None, where="GET /masuk/{token}")
    return page(request, "masuk_konfirmasi.html", token=token, email=identity.email)


@router.post("/masuk/{token}")
def signin_use(request: Request, token: str, csrf: str = Form("")) -> Response:
    s = settings()
    try:
        identity = links.read_signin_token(s.secret_key, token)
        check_csrf(request, csrf)
        if office().staff.by_email(identity.email) is None:
            raise links.LinkRefused("not_yours", "alamat tidak lagi ada di daftar pegawai")
        with session_scope() as session:
            links.consume(session, nonce=identity.nonce, purpose="masuk", email=identity.email, action="masuk")
            audit.record(session, actor=identity.email, action="signed_in", source="web",
                         detail={"client": client(request)})
    except links.LinkRefused as exc:
        return refused(request, exc, actor=None, where="POST /masuk/{token}")
    response = RedirectResponse(href(request, "/tugas"), status_code=303)
    response.set_cookie(SESSION_COOKIE, links.session_cookie(s.secret_key, identity.email),
                        max_age=links.SESSION_HOURS * 3600, httponly=True, samesite="lax", path=cookie_path(request),
                        secure=request.url.scheme == "https")
    return response


@router.post("/keluar")
def signout(request: Request, csrf: str = Form("")) -> Response:
    try:
        check_csrf(request, csrf)
    except links.LinkRefused as exc:
        return refused(request, exc, actor=None, where="POST /keluar")
    response = RedirectResponse(href(request, "/masuk"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=cookie_path(request))
    return response
