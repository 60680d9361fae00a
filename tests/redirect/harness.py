"""Drive the redirect ASGI app in-process with hand-built scopes (any header, any peer)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from fairclick.journal.writer import JournalWriter
from fairclick.redirect.app import RedirectApp
from fairclick.redirect.cache import LinkCache
from fairclick.redirect.metrics import Metrics
from fairclick.redirect.request import Proxies
from fairclick.store import Database


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.decode() == name:
                return value.decode("latin-1")
        return None


class Harness:
    def __init__(self, app: RedirectApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app, self.loop = app, loop

    def get(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: Sequence[tuple[bytes, bytes]] = (),
        peer: str = "203.0.113.9",
        query: bytes = b"",
        scheme: str = "http",
    ) -> Answer:
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "query_string": query,
            "headers": list(headers),
            "client": (peer, 50000),
            "scheme": scheme,
        }
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        self.loop.run_until_complete(self.app(scope, receive, send))  # type: ignore[arg-type]
        start, body = sent[0], sent[1]
        return Answer(int(start["status"]), list(start["headers"]), bytes(body["body"]))  # type: ignore[call-overload, arg-type]


@contextmanager
def running(db: Database, trusted: Sequence[str] = ()) -> Iterator[Harness]:
    """The redirect app started on its own loop, stopped (journal flushed) on exit."""
    import ipaddress

    loop = asyncio.new_event_loop()
    app = RedirectApp(
        LinkCache(db.engine),
        JournalWriter(db.engine),
        Proxies([ipaddress.ip_network(t) for t in trusted]),
        Metrics(db),
        poll_seconds=3600,
    )
    loop.run_until_complete(app.startup())
    try:
        yield Harness(app, loop)
    finally:
        loop.run_until_complete(app.shutdown())
        loop.close()
