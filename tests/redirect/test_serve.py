"""`fairclick serve` for real (Granian, RSGI): the redirect answered natively, the API and the
dashboards through the ASGI bridge on the same port, HEAD without a body, and a header value
Granian cannot give as text journaled as marked rather than dropped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from fairclick.journal.models import JournalEntry
from fairclick.redirect.request import LOST
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, load_world
from tests.redirect.test_redirect import CODE, _target, running_world

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "FAIRCLICK_DATABASE_URL": url,
        "FAIRCLICK_SECRET_KEY": TEST_SECRET,
    }
    command = [sys.executable, "-c", "from fairclick.cli.main import run; run()", "serve"]
    command += ["--role", "redirect", "--role", "api", "--port", str(port)]
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120  # the CLI imports every capability: slow on a busy box
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def _raw_get(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536)


def test_serve_answers_redirects_natively_and_the_api_through_the_bridge(
    sqlite_db: TestDb,
) -> None:
    load_world(sqlite_db.db, running_world())
    port = _free_port()
    server = _serve(sqlite_db.url, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            click = client.get(f"/c/{CODE}", headers={"user-agent": "Mozilla/5.0 test"})
            head = client.head(f"/c/{CODE}")
            missing = client.get("/c/doesNotExist")
            metrics = client.get("/metrics")
            bad_json = client.post(
                "/api/v1/tokens", content=b"{not json", headers={"content-type": "application/json"}
            )
            wrong = client.post(
                "/api/v1/tokens", json={"email": "nobody@example.org", "password": "wrong-pass1"}
            )
            login = client.get("/login")
            home = client.get("/")
        odd = _raw_get(
            port,
            f"GET /c/{CODE} HTTP/1.1\r\nHost: x\r\nUser-Agent: ".encode()
            + "Navigateur é".encode()
            + b"\r\nConnection: close\r\n\r\n",
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)

    assert click.status_code == 302
    assert click.headers["location"] == _target(sqlite_db.db)
    assert click.headers["cache-control"] == "no-store"
    assert click.headers["set-cookie"].startswith("fc_vid=")
    assert (head.status_code, head.content) == (302, b"")
    assert missing.status_code == 404 and b"Link not found" in missing.content
    assert 'fairclick_redirect_requests_total{status="302"}' in metrics.text
    assert bad_json.status_code == 400  # the body reached FastAPI (malformed JSON)
    assert bad_json.headers["content-type"].startswith("application/problem+json")
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert login.status_code == 200 and "text/html" in login.headers["content-type"]
    assert home.status_code in (302, 303) and home.headers["location"].startswith("/login")
    assert odd.startswith(b"HTTP/1.1 302")
    with sqlite_db.db.session() as session:
        agents = list(session.scalars(select(JournalEntry.user_agent).order_by(JournalEntry.seq)))
    # Every request to /c/ was journaled before its answer (SIGTERM flushed nothing extra).
    assert agents[0] == "Mozilla/5.0 test" and agents[-1] == LOST and len(agents) == 4
