"""The ASGI entry point: answers `/c/{code}`, `/metrics` and `/healthz` itself, forwards every
other path to the API application.

The redirect path reads the link from the in-process cache, appends the click to the journal,
awaits the group commit that makes it durable, and only then answers: no framework routing,
no request validation layer, no ORM between the socket and the journal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from fairclick.domain.ids import new_click_id
from fairclick.journal.rows import JournalRow
from fairclick.journal.writer import JournalUnavailable, JournalWriter
from fairclick.redirect import pages
from fairclick.redirect.cache import LinkCache
from fairclick.redirect.metrics import CONTENT_TYPE, Metrics
from fairclick.redirect.request import (
    MAX_PATH,
    Proxies,
    clean,
    code_of,
    new_visitor_id,
    read_headers,
    visitor_cookie,
    visitor_from_cookie,
)

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_HTML = (b"content-type", b"text/html; charset=utf-8")
_NO_STORE = (b"cache-control", b"no-store")
_EMPTY = (b"content-length", b"0")
_PAGES = {404: pages.NOT_FOUND, 405: pages.NOT_FOUND, 410: pages.GONE, 503: pages.UNAVAILABLE}


class RedirectApp:
    """The process's ASGI application. `startup()`/`shutdown()` run from the ASGI lifespan
    (or are called directly by tests and by `fairclick.server`)."""

    def __init__(
        self,
        cache: LinkCache,
        writer: JournalWriter,
        proxies: Proxies,
        metrics: Metrics,
        *,
        api: ASGIApp | None = None,
        redirect: bool = True,
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.cache = cache
        self.writer = writer
        self.proxies = proxies
        self.metrics = metrics
        self.api = api
        self.redirect = redirect
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown
        self._poll_seconds = poll_seconds
        self._poller: asyncio.Task[None] | None = None
        self._started = False

    async def startup(self) -> None:
        """Start the journal writer, load the link cache, start polling its version."""
        if self._started:
            return
        loop = asyncio.get_running_loop()
        if self.redirect:
            self.writer.start(loop)
            await loop.run_in_executor(None, self.cache.load)
            self._poller = loop.create_task(self._poll())
        if self._on_startup is not None:
            self._on_startup()
        self._started = True

    async def shutdown(self) -> None:
        """Stop polling, write what is queued, stop the other roles."""
        if not self._started:
            return
        if self._poller is not None:
            self._poller.cancel()
        if self.redirect:
            await asyncio.get_running_loop().run_in_executor(None, self.writer.stop)
        if self._on_shutdown is not None:
            self._on_shutdown()
        self._started = False

    async def _poll(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                await loop.run_in_executor(None, self.cache.refresh_if_stale)
            except Exception:
                log.exception("link cache refresh failed; keeping the current copy")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if self.redirect and path.startswith("/c/"):
                await self._redirect(scope, send)
                return
            if path == "/metrics":  # the redirect and worker roles' metrics, any role
                body = await asyncio.get_running_loop().run_in_executor(None, self.metrics.render)
                await _respond(send, 200, [(b"content-type", CONTENT_TYPE)], body)
                return
            if path == "/healthz":
                await _respond(send, 200, [(b"content-type", b"text/plain")], b"ok\n")
                return
        elif kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if self.api is not None:
            await self.api(scope, receive, send)
        elif kind == "http":
            await _respond(send, 404, [_HTML], pages.NOT_FOUND)

    async def _redirect(self, scope: Scope, send: Send) -> None:
        started = time.perf_counter()
        now = datetime.now(UTC)
        method = scope["method"]
        facts = read_headers(scope["headers"])
        client = scope.get("client")
        peer = client[0] if client else ""
        ip = (
            self.proxies.client(peer, facts.forwarded_for, facts.forwarded)
            if facts.forwarded_for or facts.forwarded
            else peer
        )
        code, well_formed = code_of(scope["path"])
        link = self.cache.get(code) if well_formed else None
        visitor = visitor_from_cookie(facts.cookie) if facts.cookie else None
        assigned = None if visitor else new_visitor_id()

        location: bytes | None = None
        active = False
        if method not in ("GET", "HEAD"):
            status = 405
        elif link is None or link.target is None:
            status = 404
        elif link.running(now):
            status, location, active = 302, link.target, True
        elif link.fallback is not None:
            status, location = 302, link.fallback
        else:
            status = 410

        query = scope.get("query_string", b"")
        path = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        row = JournalRow(
            new_click_id(),
            now,
            "live",
            code,
            clean(path, MAX_PATH),
            clean(method, 8),
            status,
            ip,
            facts.user_agent,
            facts.referer,
            facts.accept_language,
            facts.headers,
            visitor,
            assigned,
            None,
            link.link_id if link else None,
            link.campaign_id if link else None,
            link.influencer_id if link else None,
            link.post_id if link else None,
            active,
        )
        try:
            await self.writer.append(row)
        except JournalUnavailable:
            self.metrics.journal_failures.inc()
            status, location, assigned = 503, None, None

        headers = [_NO_STORE]
        if assigned is not None:
            secure = (
                self.proxies.scheme(
                    peer, scope.get("scheme", "http"), facts.forwarded_proto, facts.forwarded
                )
                == "https"
            )
            headers.append((b"set-cookie", visitor_cookie(assigned, secure)))
        if location is not None:
            headers.append((b"location", location))
            headers.append(_EMPTY)
            body = b""
        else:
            body = _PAGES[status]
            headers.append(_HTML)
            headers.append((b"content-length", str(len(body)).encode()))
            if status == 405:
                headers.append((b"allow", b"GET, HEAD"))
            elif status == 503:
                headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
        self.metrics.count(status, time.perf_counter() - started)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Start and stop our parts (the API and pages declare no lifespan of their own)."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
