"""The process's application: answers `/c/{code}`, `/metrics` and `/healthz` itself, forwards
every other path to the API application. It speaks RSGI (what `fairclick serve` runs) and ASGI.

The redirect path reads the link from the in-process cache, appends the click to the journal,
awaits the group commit that makes it durable, and only then answers: no framework routing,
no request validation layer, no ORM between the socket and the journal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fairclick.domain.ids import new_click_id
from fairclick.journal.rows import headers_json, sqlite_ts
from fairclick.journal.writer import JournalUnavailable, JournalWriter
from fairclick.redirect import pages
from fairclick.redirect.bridge import ASGIApp, Receive, Scope, Send, asgi_over_rsgi
from fairclick.redirect.cache import LinkCache
from fairclick.redirect.metrics import CONTENT_TYPE, Metrics
from fairclick.redirect.request import (
    MAX_PATH,
    Proxies,
    RequestFacts,
    clean,
    code_of,
    new_visitor_id,
    read_headers,
    read_rsgi_headers,
    visitor_cookie,
    visitor_from_cookie,
)

log = logging.getLogger(__name__)


_HTML = (b"content-type", b"text/html; charset=utf-8")
_HTML_TEXT = ("content-type", "text/html; charset=utf-8")
_NO_STORE = ("cache-control", "no-store")
_METRICS_TYPE = CONTENT_TYPE.decode("ascii")
_PAGES = {404: pages.NOT_FOUND, 405: pages.NOT_FOUND, 410: pages.GONE, 503: pages.UNAVAILABLE}


__all__ = ["ASGIApp", "RedirectApp"]


class RedirectApp:
    """The process's application (RSGI and ASGI). `startup()`/`shutdown()` run from the ASGI lifespan
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
        """ASGI: what tests drive and what an ASGI server would serve (`fairclick serve` uses
        `__rsgi__`)."""
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if self.redirect and path.startswith("/c/"):
                client = scope.get("client")
                query = scope.get("query_string", b"")
                status, headers, body = await self.answer(
                    scope["method"],
                    path,
                    query.decode("latin-1") if query else "",
                    read_headers(scope["headers"]),
                    client[0] if client else "",
                    scope.get("scheme", "http"),
                )
                raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
                raw.append((b"content-length", str(len(body)).encode()))
                if scope["method"] == "HEAD":
                    body = b""
                start = {"type": "http.response.start", "status": status, "headers": raw}
                await send(start)
                await send({"type": "http.response.body", "body": body})
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

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        """RSGI (Granian's native interface, what `fairclick serve` runs, ADR 0303): `/c/` is
        answered with one call into the server, without ASGI's message dictionaries; every
        other path goes to the API through `asgi_over_rsgi`."""
        path = scope.path
        if scope.proto == "http":
            if self.redirect and path.startswith("/c/"):
                status, headers, body = await self.answer(
                    scope.method,
                    path,
                    scope.query_string,
                    read_rsgi_headers(scope.headers),
                    _rsgi_host(scope.client),
                    scope.scheme,
                )
                # Granian adds content-length and sends no body to HEAD itself.
                proto.response_bytes(status, headers, body)
                return
            if path == "/metrics":
                body = await asyncio.get_running_loop().run_in_executor(None, self.metrics.render)
                proto.response_bytes(200, [("content-type", _METRICS_TYPE)], body)
                return
            if path == "/healthz":
                proto.response_bytes(200, [("content-type", "text/plain")], b"ok\n")
                return
        if self.api is not None:
            await asgi_over_rsgi(self.api, scope, proto)
        elif scope.proto == "http":
            proto.response_bytes(404, [_HTML_TEXT], pages.NOT_FOUND)

    async def answer(
        self,
        method: str,
        path: str,
        query: str,
        facts: RequestFacts,
        peer: str,
        scheme: str,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The response to a request to `/c/…` (status, headers, body for GET), once the click
        is durably journaled; both interfaces call it."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        writer = self.writer
        ip = (
            self.proxies.client(peer, facts.forwarded_for, facts.forwarded)
            if facts.forwarded_for or facts.forwarded
            else peer
        )
        code, well_formed = code_of(path)
        link = self.cache.get(code) if well_formed else None
        visitor = visitor_from_cookie(facts.cookie) if facts.cookie else None
        assigned = None if visitor else new_visitor_id()

        location: str | None = None
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

        # The INSERT's parameters, built here in `rows.COLUMNS` order (what `rows.to_params`
        # gives for a `JournalRow`): no intermediate row object on the hot path.
        try:
            await writer.append_params(
                (
                    new_click_id(),
                    sqlite_ts(now) if writer.sqlite else now,
                    "live",
                    code,
                    clean(path + "?" + query if query else path, MAX_PATH),
                    clean(method, 8),
                    status,
                    ip,
                    facts.user_agent,
                    facts.referer,
                    facts.accept_language,
                    headers_json(facts.headers),
                    visitor,
                    assigned,
                    None,
                    link.link_id if link else None,
                    link.campaign_id if link else None,
                    link.influencer_id if link else None,
                    link.post_id if link else None,
                    active,
                )
            )
        except JournalUnavailable:
            self.metrics.journal_failures.inc()
            status, location, assigned = 503, None, None

        headers = [_NO_STORE]
        if assigned is not None:
            secure = (
                self.proxies.scheme(peer, scheme, facts.forwarded_proto, facts.forwarded) == "https"
            )
            headers.append(("set-cookie", visitor_cookie(assigned, secure)))
        if location is not None:
            headers.append(("location", location))
            body = b""
        else:
            body = _PAGES[status]
            headers.append(_HTML_TEXT)
            if status == 405:
                headers.append(("allow", "GET, HEAD"))
            elif status == 503:
                headers.append(("retry-after", "1"))
        self.metrics.count(status, time.perf_counter() - started)
        return status, headers, body

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


def _rsgi_host(address: str) -> str:
    """The host of Granian's `host:port` (`[v6]:port` for IPv6)."""
    host = address.rsplit(":", 1)[0]
    return host[1:-1] if host.startswith("[") else host
