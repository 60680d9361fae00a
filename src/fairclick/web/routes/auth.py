"""Login, logout, the language switch and the home page that sends each role to its area."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fairclick.accounts.models import Role
from fairclick.accounts.service import authenticate_password
from fairclick.domain.errors import Unauthorized
from fairclick.web import i18n
from fairclick.web.access import Actor
from fairclick.web.i18n import gettext_ as _
from fairclick.web.pages import context, flash, form_page, page, redirect, render

HOME = {Role.ADMIN: "/admin", Role.ADVERTISER: "/campaigns", Role.INFLUENCER: "/me"}
LANG_COOKIE_AGE = 365 * 24 * 3600


def safe_next(value: object, default: str = "/") -> str:
    """A local path to go back to; anything else (other hosts, `//evil`, schemes) is `default`."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value[:500]
    return default


@page(anonymous=True)
def home(request: Request, session: Session, actor: Actor | None) -> Response:
    if actor is None:
        return redirect("/login")
    return redirect(HOME[actor.role])


@page(anonymous=True)
def login_form(request: Request, session: Session, actor: Actor | None) -> Response:
    return render(request, "login.html", next=safe_next(request.query_params.get("next"), ""))


@form_page(anonymous=True)
def login(request: Request, session: Session, actor: Actor | None, form: FormData) -> Response:
    email = str(form.get("email") or "").strip()[:254]
    password = str(form.get("password") or "")[:1024]
    limiter = context(request).limiter
    key = limiter.key(request.client.host if request.client else "?", email)
    wait = limiter.retry_after(key)
    if wait:
        message = _("Too many failed attempts. Try again in %(minutes)d minutes.") % {
            "minutes": (wait + 59) // 60
        }
        response = render(request, "login.html", status_code=429, error=message, email=email)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        user = authenticate_password(session, email, password)
    except Unauthorized:
        limiter.failed(key)
        return render(
            request,
            "login.html",
            status_code=401,
            error=_("Wrong email or password."),
            email=email,
            next=safe_next(form.get("next"), ""),
        )
    limiter.succeeded(key)
    # A fresh session at login: nothing chosen before authentication survives (fixation).
    request.session.clear()
    request.session["uid"] = user.id
    return redirect(safe_next(form.get("next"), HOME[Role(user.role)]))


@form_page(anonymous=True)
def logout(request: Request, session: Session, actor: Actor | None, form: FormData) -> Response:
    request.session.clear()
    flash(request, _("You are logged out."))
    return redirect("/login")


@form_page(anonymous=True)
def switch_language(
    request: Request, session: Session, actor: Actor | None, form: FormData
) -> Response:
    lang = str(form.get("lang") or "")
    response = redirect(safe_next(form.get("next")))
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, httponly=True, samesite="lax"
        )
    return response


routes = [
    Route("/", home, name="home"),
    Route("/login", login_form, methods=["GET"], name="login"),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/lang", switch_language, methods=["POST"], name="lang"),
]
