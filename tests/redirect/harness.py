"""Drive the redirect app in-process with hand-built scopes (any header, any peer), through its
ASGI or its RSGI interface (the RSGI scope and protocol are stand-ins that behave like
Granian's: header names lower-case, a value that is not visible ASCII left out of `items()`)."""

from __future__ import annotations

import asyncio
import re
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


_VISIBLE = re.compile(rb"^[\t\x20-\x7e]*$")  # what Granian (the `http` crate) gives as text


class RsgiHeaders:
    """Granian's RSGI header map: `keys()` names every header once, `items()` leaves out the
    values that are not visible ASCII."""

    def __init__(self, raw: Sequence[tuple[bytes, bytes]]) -> None:
        self._items: list[tuple[str, str]] = []
        self._names: list[str] = []
        for name, value in raw:
            text = name.decode("latin-1").lower()
            if text not in self._names:
                self._names.append(text)
            if _VISIBLE.match(value):
                self._items.append((text, value.decode("ascii")))

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def keys(self) -> list[str]:
        return list(self._names)

    def get(self, key: str, default: object = None) -> object:
        return next((v for k, v in self._items if k == key), default)


@dataclass
class RsgiScope:
    method: str
    path: str
    query_string: str
    headers: RsgiHeaders
    client: str
    scheme: str
    proto: str = "http"
    http_version: str = "1.1"
    server: str = "127.0.0.1:8000"


class RsgiProto:
    def __init__(self) -> None:
        self.response: tuple[int, list[tuple[str, str]], bytes] | None = None

    async def __call__(self) -> bytes:
        return b""

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        assert self.response is None, "one response per request"
        self.response = (status, headers, body)


class Harness:
    def __init__(
        self, app: RedirectApp, loop: asyncio.AbstractEventLoop, interface: str = "asgi"
    ) -> None:
        self.app, self.loop, self.interface = app, loop, interface

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
        if self.interface == "rsgi":
            return self._rsgi(path, method, headers, peer, query, scheme)
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

    def _rsgi(
        self,
        path: str,
        method: str,
        headers: Sequence[tuple[bytes, bytes]],
        peer: str,
        query: bytes,
        scheme: str,
    ) -> Answer:
        host = f"[{peer}]" if ":" in peer else peer
        scope = RsgiScope(
            method,
            path,
            query.decode("latin-1"),
            RsgiHeaders(headers),
            f"{host}:50000",
            scheme,
        )
        proto = RsgiProto()
        self.loop.run_until_complete(self.app.__rsgi__(scope, proto))
        assert proto.response is not None
        status, sent, body = proto.response
        as_bytes = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in sent]
        return Answer(status, as_bytes, b"" if method == "HEAD" else body)  # Granian drops it


@contextmanager
def running(
    db: Database, trusted: Sequence[str] = (), interface: str = "asgi"
) -> Iterator[Harness]:
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
        yield Harness(app, loop, interface)
    finally:
        loop.run_until_complete(app.shutdown())
        loop.close()
