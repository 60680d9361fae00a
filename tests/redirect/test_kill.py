"""The kill test: SIGKILL the server under load; every 302 a client received is exactly one
click once a restarted server has drained the journal, and nothing is counted twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from fairclick.clicks.models import Click, ClickCounter
from fairclick.journal import repository as journal_repo
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, load_world
from tests.redirect.test_redirect import CODE, running_world

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "FAIRCLICK_DATABASE_URL": url,
        "FAIRCLICK_SECRET_KEY": TEST_SECRET,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from fairclick.cli.main import run; run()",
            "serve",
            "--role",
            "redirect",
            "--role",
            "worker",
            "--port",
            str(port),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


def _drive(port: int, acknowledged: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        while not stop.is_set():
            visitor = "kill" + uuid.uuid4().hex
            try:
                answer = client.get(f"/c/{CODE}", headers={"cookie": f"fc_vid={visitor}"})
            except httpx.HTTPError:
                return  # the server is gone
            if answer.status_code == 302:
                acknowledged.append(visitor)


def test_sigkill_under_load_loses_no_acknowledged_click(test_db: TestDb) -> None:
    load_world(test_db.db, running_world())
    port = _free_port()
    server = _start(test_db.url, port)
    acknowledged: list[str] = []
    stop = threading.Event()
    clients = [threading.Thread(target=_drive, args=(port, acknowledged, stop)) for _ in range(16)]
    for thread in clients:
        thread.start()
    deadline = time.monotonic() + 15  # kill mid-load: after 200 redirects (bounded in time)
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    stop.set()
    for thread in clients:
        thread.join(10)
    assert len(acknowledged) >= 20  # it really was under load

    server = _start(test_db.url, _free_port())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with test_db.db.engine.connect() as conn:
                if journal_repo.backlog(conn, "validator")[0] == 0:
                    break
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)

    with test_db.db.session() as session:
        per_visitor = dict(
            session.execute(select(Click.visitor_id, func.count()).group_by(Click.visitor_id)).all()
        )
        clicks = session.scalar(select(func.count()).select_from(Click))
        counted = session.scalar(
            select(func.sum(ClickCounter.raw)).where(ClickCounter.scope == "link")
        )
    missing = [v for v in acknowledged if per_visitor.get(v) != 1]
    assert missing == []
    assert clicks == counted  # each click counted once
    assert all(count == 1 for count in per_visitor.values())
