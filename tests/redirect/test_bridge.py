"""The ASGI-over-RSGI bridge: scope translation, the request body, one-shot and streamed
responses, repeated headers, and a 500 when the application fails before answering."""

from __future__ import annotations

import asyncio
from typing import Any

from fairclick.redirect.bridge import Message, asgi_over_rsgi
from tests.redirect.harness import RsgiHeaders, RsgiScope


class Stream:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        self.chunks.append(data)


class Proto:
    def __init__(self, body: bytes = b"") -> None:
        self.body = body
        self.response: tuple[int, list[tuple[str, str]], bytes] | None = None
        self.stream: tuple[int, list[tuple[str, str]], Stream] | None = None

    async def __call__(self) -> bytes:
        return self.body

    async def client_disconnect(self) -> None:
        return None

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        assert self.response is None and self.stream is None
        self.response = (status, headers, body)

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream:
        assert self.response is None and self.stream is None
        self.stream = (status, headers, Stream())
        return self.stream[2]


def _scope(method: str = "POST", client: str = "[2001:db8::1]:4711") -> RsgiScope:
    headers = RsgiHeaders([(b"content-type", b"application/json"), (b"cookie", b"a=1")])
    return RsgiScope(method, "/api/v1/x y", "q=1&r=%C3%A9", headers, client, "https")


def test_scope_body_and_a_one_shot_answer() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["scope"] = scope
        seen["request"] = await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
            }
        )
        await send({"type": "http.response.body", "body": b"done"})
        seen["disconnect"] = await receive()

    proto = Proto(b'{"x": 1}')
    asyncio.run(asgi_over_rsgi(app, _scope(), proto))
    scope = seen["scope"]
    assert (scope["method"], scope["path"], scope["query_string"]) == (
        "POST",
        "/api/v1/x y",
        b"q=1&r=%C3%A9",
    )
    assert scope["client"] == ("2001:db8::1", 4711) and scope["scheme"] == "https"
    assert (b"cookie", b"a=1") in scope["headers"]
    assert seen["request"] == {"type": "http.request", "body": b'{"x": 1}', "more_body": False}
    assert seen["disconnect"] == {"type": "http.disconnect"}
    assert proto.response == (201, [("set-cookie", "a=1"), ("set-cookie", "b=2")], b"done")


def test_a_body_in_several_messages_is_streamed() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for chunk in (b"a", b"", b"b"):
            message: Message = {"type": "http.response.body", "body": chunk, "more_body": True}
            await send(message)
        await send({"type": "http.response.body", "body": b"c"})

    proto = Proto()
    asyncio.run(asgi_over_rsgi(app, _scope("GET"), proto))
    assert proto.response is None and proto.stream is not None
    assert proto.stream[0] == 200 and proto.stream[2].chunks == [b"a", b"b", b"c"]


def test_an_application_that_fails_before_answering_gets_a_500() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    async def silent(scope: Any, receive: Any, send: Any) -> None:
        return None

    failed, nothing = Proto(), Proto()
    asyncio.run(asgi_over_rsgi(app, _scope(), failed))
    asyncio.run(asgi_over_rsgi(silent, _scope(), nothing))
    assert failed.response is not None and failed.response[0] == 500
    assert nothing.response is not None and nothing.response[0] == 500
