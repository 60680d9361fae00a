"""The body guard answers 413 without reading a declared oversized body, and stops reading a
streamed one as soon as it passes the limit; the application never sees either."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from fairclick.api.limits import MAX_BODY_BYTES, BodySizeLimit

CHUNK = 64 * 1024


class Inner:
    """The application behind the guard: records the body it was given and answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _run(headers: list[tuple[bytes, bytes]], chunks: int, chunk: int = CHUNK) -> dict[str, Any]:
    inner = Inner()
    guard = BodySizeLimit(inner)
    sent: list[Message] = []
    reads = 0

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"a" * chunk, "more_body": reads < chunks}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/x", "headers": headers}
    asyncio.run(guard(scope, receive, send))
    return {"status": sent[0]["status"], "reads": reads, "bodies": inner.bodies, "sent": sent}


def test_a_declared_oversized_body_is_refused_without_reading_it() -> None:
    result = _run([(b"content-length", str(MAX_BODY_BYTES + 1).encode())], chunks=1000)
    assert result["status"] == 413 and result["reads"] == 0 and result["bodies"] == []
    assert b"payload-too-large" in result["sent"][1]["body"]


def test_a_streamed_body_stops_being_read_past_the_limit() -> None:
    result = _run([], chunks=1000)  # 62.5 MiB offered, no Content-Length
    assert result["status"] == 413 and result["bodies"] == []
    assert result["reads"] == MAX_BODY_BYTES // CHUNK + 1


def test_a_body_within_the_limit_reaches_the_application_whole() -> None:
    result = _run([], chunks=MAX_BODY_BYTES // CHUNK)  # exactly 1 MiB in 16 chunks
    assert result["status"] == 200 and result["bodies"] == [b"a" * MAX_BODY_BYTES]
