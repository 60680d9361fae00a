"""An ASGI application served over Granian's RSGI interface.

`fairclick serve` runs Granian with RSGI so that `/c/` is answered without ASGI's per-message
dictionaries (ADR 0303); the API and the dashboards are ASGI applications (FastAPI, Starlette)
and reach them through this adapter. It reads the whole request body before calling the app
(no route here takes a streamed upload), and answers with one `response_bytes` when the app
sends its body in one message, else streams the chunks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ERROR_HEADERS = [("content-type", "text/plain; charset=utf-8")]


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if host.startswith("["):
        host = host[1:-1]
    return host, int(port) if port.isdigit() else 0


def asgi_scope(scope: Any) -> Scope:
    """The ASGI HTTP scope of an RSGI scope."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": scope.path,
        "query_string": scope.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in scope.headers.items()
        ],
        "client": _address(scope.client),
        "server": _address(scope.server),
        "extensions": {},
    }


async def asgi_over_rsgi(app: ASGIApp, scope: Any, proto: Any) -> None:
    """Serve one RSGI HTTP request with the ASGI `app` (other protocols are refused: the
    server runs without websockets)."""
    if scope.proto != "http":
        return
    request_read = False
    status = 500
    headers: list[tuple[str, str]] = []
    stream: Any = None
    started = finished = False

    async def receive() -> Message:
        nonlocal request_read
        if not request_read:
            request_read = True
            return {"type": "http.request", "body": await proto(), "more_body": False}
        await proto.client_disconnect()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, headers, stream, started, finished
        kind = message["type"]
        if kind == "http.response.start":
            status = int(message["status"])
            headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", ())
            ]
            started = True
        elif kind == "http.response.body" and started and not finished:
            body = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if stream is None and not more:
                proto.response_bytes(status, headers, body)
                finished = True
                return
            if stream is None:
                stream = proto.response_stream(status, headers)
            if body:
                await stream.send_bytes(body)
            finished = not more

    try:
        await app(asgi_scope(scope), receive, send)
    except Exception:
        log.exception("application error on %s %s", scope.method, scope.path)
        if not started:
            proto.response_bytes(500, _ERROR_HEADERS, b"Internal Server Error\n")
        return
    if not started:
        proto.response_bytes(500, _ERROR_HEADERS, b"Internal Server Error\n")
    elif stream is None and not finished:
        proto.response_bytes(status, headers, b"")
