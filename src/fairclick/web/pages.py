"""Glue shared by every route: the web context, rendering, the logged-in actor, flashes.

Handlers are plain synchronous functions run in the thread pool (`page`, `form_page`), so
that database work and template rendering never block the event loop that the redirect
shares in `fairclick serve`.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from fairclick.config import Settings
from fairclick.domain.clock import Clock
from fairclick.domain.errors import NotFound
from fairclick.domain.money import Money
from fairclick.store import Database
from fairclick.web import i18n
from fairclick.web.access import Actor, actor_for
from fairclick.web.security import LoginLimiter, checked_form, csrf_token


@dataclass
class WebContext:
    """Everything a web handler needs, built once by `create_web`."""

    settings: Settings
    database: Database
    env: Environment
    catalogues: dict[str, gettext.NullTranslations]
    limiter: LoginLimiter
    clock: Clock
    extras: dict[str, Any] = field(default_factory=dict)


def context(request: Request) -> WebContext:
    """The web context of the app serving `request`."""
    ctx: WebContext = request.app.state.web
    return ctx


def language(request: Request) -> str:
    """The language chosen for this request by the locale middleware."""
    return str(request.scope.get("fairclick.lang", i18n.DEFAULT_LANGUAGE))


def money(request: Request, minor: int | None, currency: str | None) -> str:
    """An amount formatted for the request's language (exact: Decimal, never float)."""
    if minor is None or not currency:
        return "—"
    amount = Money(int(minor), currency)
    return format_currency(amount.to_decimal(), amount.currency, locale=language(request))


def percent(request: Request, share: float | None) -> str:
    """A share in [0, 1] as a percentage, `—` when undefined (no clicks: no rate)."""
    if share is None:
        return "—"
    return format_percent(Decimal(str(round(share, 4))), "#,##0.0%", locale=language(request))


def number(request: Request, value: int | None) -> str:
    """An integer with the language's grouping."""
    return "—" if value is None else format_decimal(value, locale=language(request))


def when(request: Request, value: datetime | None, fmt: str = "short") -> str:
    """A UTC time formatted in the request's language (UTC, labelled)."""
    if value is None:
        return "—"
    return format_datetime(value, fmt, tzinfo=None, locale=language(request)) + " UTC"


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Queue a message for the next rendered page."""
    request.session.setdefault("flash", []).append([kind, message])


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render `template` with the common values (actor, language, CSRF token, helpers)."""
    ctx = context(request)
    flashes = request.session.pop("flash", []) if "fragment" not in values else []
    html = ctx.env.get_template(template).render(
        request=request,
        actor=request.scope.get("fairclick.actor"),
        lang=language(request),
        languages=i18n.LANGUAGES,
        csrf=csrf_token(request),
        flashes=flashes,
        money=functools.partial(money, request),
        percent=functools.partial(percent, request),
        number=functools.partial(number, request),
        when=functools.partial(when, request),
        **values,
    )
    return HTMLResponse(html, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """A 303 See Other (the answer to a successful form POST)."""
    return RedirectResponse(url, status_code=303)


Handler = Callable[..., Response]


def _actor(request: Request, session: Session, anonymous: bool) -> Actor | None:
    user_id = request.session.get("uid")
    actor = actor_for(session, user_id) if isinstance(user_id, int) else None
    if actor is None and not anonymous:
        raise _LoginRequired
    request.scope["fairclick.actor"] = actor
    return actor


class _LoginRequired(Exception):
    pass


def page(
    anonymous: bool = False,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a sync handler `(request, session, actor) -> Response` for GET: opens a unit of
    work, loads the actor (redirecting to the login page when there is none), and answers a
    `NotFound` with the 404 page."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(_run, handler, request, None, anonymous)

        return endpoint

    return wrap


def form_page(
    anonymous: bool = False,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Like `page` for POST: the form is read and its CSRF token checked first (403 when
    wrong); the handler is `(request, session, actor, form) -> Response`."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            form = await checked_form(request)
            return await run_in_threadpool(_run, handler, request, form, anonymous)

        return endpoint

    return wrap


def _run(handler: Handler, request: Request, form: FormData | None, anonymous: bool) -> Response:
    i18n.activate(context(request).catalogues[language(request)])
    try:
        with context(request).database.session() as session:
            actor = _actor(request, session, anonymous)
            if form is None:
                return handler(request, session, actor)
            return handler(request, session, actor, form)
    except _LoginRequired:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return redirect(f"/login?next={request.url.path}")
    except NotFound:
        return render(request, "error.html", status_code=404, status=404)
