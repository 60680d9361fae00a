"""A live server for the browser tests: the real redirect (journal, group commit), the real
validator worker (validation engine, ledger biller) and the web dashboards at `/`, served by
uvicorn on a free 127.0.0.1 port in a thread, stopped at teardown."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from fairclick import server
from fairclick.clicks.pipeline import default_biller
from fairclick.clicks.worker import ClickWorker
from fairclick.config import Settings
from fairclick.domain.click import ClickEvent
from fairclick.store import Database
from fairclick.validation.context import ValidationContext as EngineContext
from fairclick.validation.engine import build_validator
from fairclick.web import create_web

START_TIMEOUT = 30.0


class EngineForWorker:
    """The validation engine behind the worker's `Validator` protocol.

    The worker passes its own context (session, now, secret); the engine reads a platform
    context (campaign policies, self-click evidence, incited posts). Until the two are wired
    in `clicks.pipeline.default_validator`, the engine runs here with the platform defaults:
    every real-time rule, default policies, no self-click evidence."""

    def __init__(self, settings: Settings) -> None:
        self.engine = build_validator(settings)

    def validate(self, clicks: Sequence[ClickEvent], context: object) -> list[Any]:
        """The engine's decisions for `clicks`, one each, in order."""
        return list(self.engine.validate(clicks, EngineContext()))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Live:
    """A running server: its base URL and its database."""

    url: str
    db: Database
    settings: Settings


@contextmanager
def live_server(settings: Settings, db: Database) -> Iterator[Live]:
    """Serve redirect + worker + web on `settings.port` until the block ends.

    The composition mirrors `fairclick serve` (which forwards what is not `/c/…` to the next
    application); the web app takes the place of that next application here."""
    app = server.build_app(settings, roles={server.Role.REDIRECT})
    app.api = create_web(settings, db)
    stop = threading.Event()
    worker = ClickWorker(
        db, EngineForWorker(settings), default_biller(), secret_key=settings.secret_key
    )
    worker_thread = threading.Thread(
        target=worker.run, args=(stop,), name="test-worker", daemon=True
    )
    config = uvicorn.Config(
        app, host="127.0.0.1", port=settings.port, log_level="warning", lifespan="on"
    )
    uv = uvicorn.Server(config)
    http_thread = threading.Thread(target=uv.run, name="test-http", daemon=True)
    http_thread.start()
    worker_thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not uv.started:
        if time.monotonic() > deadline or not http_thread.is_alive():
            stop.set()
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield Live(url=f"http://127.0.0.1:{settings.port}", db=db, settings=settings)
    finally:
        uv.should_exit = True
        stop.set()
        http_thread.join(15)
        worker_thread.join(15)
