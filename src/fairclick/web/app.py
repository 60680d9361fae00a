"""The web dashboards as one Starlette sub-application, mounted at `/` by `fairclick serve`."""

from __future__ import annotations

from http.cookies import SimpleCookie
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairclick.config import Settings
from fairclick.domain.clock import Clock, system_clock
from fairclick.store import Database
from fairclick.web import i18n
from fairclick.web.labels import reason_text, status_action, status_text
from fairclick.web.pages import WebContext, render
from fairclick.web.routes import admin, advertiser, auth, influencer, statements
from fairclick.web.security import LoginLimiter

HERE = Path(__file__).parent
SESSION_COOKIE = "fc_session"
SESSION_MAX_AGE = 8 * 3600

# Everything is served from this origin: no CDN, no inline script, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


class LocaleMiddleware:
    """Choose the request's language (cookie, else Accept-Language) and add security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header only loses the language choice
            cookie = SimpleCookie()
        chosen = cookie[i18n.LANG_COOKIE].value if i18n.LANG_COOKIE in cookie else None
        scope["fairclick.lang"] = i18n.negotiate(headers.get("accept-language", ""), chosen)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"vary", b"Cookie, Accept-Language"),
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _href(url: object) -> str:
    """A link target only when it is an http(s) URL (stored URLs may come from imports)."""
    text = str(url or "")
    return text if text.lower().startswith(("http://", "https://")) else "#"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_, i18n.ngettext_, newstyle=True
    )
    env.globals.update(
        status_text=status_text, reason_text=reason_text, status_action=status_action
    )
    env.filters["href"] = _href
    return env


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    if request.headers.get("hx-request"):
        return Response(str(detail), status_code=status)
    i18n.activate(request.app.state.web.catalogues[request.scope.get("fairclick.lang", "en")])
    return render(request, "error.html", status_code=status, status=status, detail=detail)


def create_web(
    settings: Settings,
    database: Database,
    *,
    clock: Clock = system_clock,
    limiter: LoginLimiter | None = None,
    secure_cookies: bool | None = None,
) -> Starlette:
    """The dashboards app. Session cookies are signed with `settings.secret_key`, HttpOnly,
    SameSite=Lax, and `Secure` when `secure_cookies` (default: the base URL is https)."""
    secure = settings.base_url.startswith("https://") if secure_cookies is None else secure_cookies
    routes = [
        *auth.routes,
        *advertiser.routes,
        *influencer.routes,
        *admin.routes,
        *statements.routes,
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(LocaleMiddleware),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE,
                same_site="lax",
                https_only=secure,
            ),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.web = WebContext(
        settings=settings,
        database=database,
        env=_environment(),
        catalogues=i18n.load_catalogues(),
        limiter=limiter or LoginLimiter(),
        clock=clock,
    )
    return app
