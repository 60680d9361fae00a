"""The live driver only talks to loopback, within its bounds, and reproduces the records."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fairclick.simulate import LiveDriveError, drive_live, generate, iter_events
from fairclick.simulate.scenario import Scenario


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1:8000",
        "https://8.8.8.8/",
        "http://192.168.1.2",
        "http://[2001:db8::1]:8000",
        "ftp://127.0.0.1",
        "127.0.0.1:8000",
    ],
)
def test_refuses_anything_but_loopback(url: str) -> None:
    with pytest.raises(LiveDriveError):
        drive_live([], url, rate=10, duration=1)


def test_refuses_a_non_loopback_proxy_and_unbounded_drives() -> None:
    with pytest.raises(LiveDriveError, match="proxy_ip"):
        drive_live([], "http://127.0.0.1:1", rate=10, duration=1, proxy_ip="10.1.1.1")
    with pytest.raises(LiveDriveError, match="rate"):
        drive_live([], "http://127.0.0.1:1", rate=1e9, duration=1)
    with pytest.raises(LiveDriveError, match="duration"):
        drive_live([], "http://localhost:1", rate=10, duration=86_400)


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[str, str, dict[str, str]]]]]:
    seen: list[tuple[str, str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(302)
            self.send_header("location", "https://primaire.example.org/ou-voter")
            self.send_header("content-length", "0")
            self.end_headers()

        do_GET = do_HEAD = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_drives_records_over_loopback(
    small: Scenario, recorder: tuple[str, list[tuple[str, str, dict[str, str]]]]
) -> None:
    base, seen = recorder
    records = [r for chunk in iter_events(generate(small, 300), 100) for r in chunk][:40]
    summary = drive_live(iter([records]), base, rate=200, duration=10)
    assert summary.sent == 40 and summary.failed == 0 and summary.statuses == {302: 40}
    by_path: dict[str, list[dict[str, str]]] = {}
    for method, path, headers in seen:
        by_path.setdefault(path, []).append(headers | {"method": method})
    for record in records:
        got = by_path[f"/c/{record['code']}"]
        assert any(h["x-forwarded-for"] == record["ip"] for h in got)
        match = next(h for h in got if h["x-forwarded-for"] == record["ip"])
        assert match["user-agent"] == record["user_agent"]
        assert match["method"] == record["method"]
        if record["visitor_id"]:
            assert match["cookie"] == f"fc_vid={record['visitor_id']}"


def test_stops_at_the_duration(
    small: Scenario, recorder: tuple[str, list[tuple[str, str, dict[str, str]]]]
) -> None:
    base, _ = recorder
    summary = drive_live(iter_events(generate(small, 2_000), 500), base, rate=20, duration=0.5)
    assert 0 < summary.sent <= 12  # ~20/s for half a second, never the 2,000 records
