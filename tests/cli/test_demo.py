"""`fairclick demo`: the simulated 2017 story through the real pipeline, or a world file only,
then a server until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from fairclick.links.models import Link
from fairclick.store import Database
from tests.cli.conftest import Cli
from tests.factories import EXAMPLE_WORLD

SCRIPT = Path(sys.executable).parent / "fairclick"
DESTINATION = "https://primaire.example.org/ou-voter"


def _links(folder: Path) -> int:
    db = Database.from_url(f"sqlite:///{folder / 'fairclick.db'}")
    try:
        with db.session() as session:
            return int(session.scalar(select(func.count(Link.id))) or 0)
    finally:
        db.engine.dispose()


def test_demo_builds_a_fresh_database_and_prints_the_logins(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    out = cli.ok("demo", "--no-serve", "--dir", str(folder), "--world", str(EXAMPLE_WORLD)).stdout
    assert "admin@fairclick.example" in out
    assert "anna-demo-pass" in out
    assert "/api/v1" in out
    assert _links(folder) == 4
    (folder / "leftover.txt").write_text("from the previous run")
    cli.ok("demo", "--no-serve", "--dir", str(folder), "--world", str(EXAMPLE_WORLD))
    assert not (folder / "leftover.txt").exists()  # rebuilt, not reused
    assert _links(folder) == 4


@pytest.mark.slow
def test_demo_simulates_judges_bills_and_prints_the_headline(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    out = cli.ok("demo", "--no-serve", "--dir", str(folder), "--clicks", "3000").stdout
    assert "3,000 clicks received" in out
    assert "invalid clicks by reason" in out
    assert "a count-everything platform would bill" in out
    assert "the five worst influencers" in out
    assert "precision" in out
    assert "anna@vox.example" in out
    assert (folder / "export.jsonl").exists()
    assert _links(folder) > 300  # ~300 influencers, each with a default link and post links


def test_demo_refuses_a_folder_it_did_not_make(cli: Cli, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    assert "did not make" in cli.fails("demo", "--no-serve", "--dir", str(precious))
    assert (precious / "thesis.tex").exists()


def test_demo_reports_a_bad_world_file_in_one_line(cli: Cli, tmp_path: Path) -> None:
    world = tmp_path / "w.yaml"
    world.write_text("campaigns:\n  - key: x\n")
    line = cli.fails("demo", "--no-serve", "--dir", str(tmp_path / "d"), "--world", str(world))
    assert f"{world} line 2" in line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_demo_serves_the_example_links_until_interrupted(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRCLICK_")}
    env |= {"FAIRCLICK_PORT": str(port), "FAIRCLICK_SECRET_KEY": "demo-test-secret-0123456789"}
    process = subprocess.Popen(
        [str(SCRIPT), "demo", "--dir", str(tmp_path / "demo"), "--world", str(EXAMPLE_WORLD)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        response = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/c/bviabRurGt", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, f"the demo never answered: {process.communicate()}"
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200  # the dashboards are served too
        assert response.status_code == 302
        # The example campaign ran in November 2025: it has ended, so the fallback URL.
        assert response.headers["location"] == "https://primaire.example.org/"
        # Extended from another process, the campaign's link leads to its destination again
        # once the server's link cache has seen the change.
        database = f"sqlite:///{tmp_path / 'demo' / 'fairclick.db'}"
        subprocess.run(
            [str(SCRIPT), "campaign", "update", "primaire-ou-voter", "--end", "2099-01-01"],
            env=env | {"FAIRCLICK_DATABASE_URL": database},
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 20
        location = ""
        while time.monotonic() < deadline and not location.startswith(DESTINATION):
            time.sleep(0.3)
            answer = httpx.get(f"http://127.0.0.1:{port}/c/bviabRurGt", timeout=5)
            location = answer.headers.get("location", "")
        assert location == (
            f"{DESTINATION}?utm_source=x&utm_medium=lucasl77&utm_campaign=primaire-ou-voter"
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    assert "Traceback" not in err, err
    assert "admin@fairclick.example" in out
