"""`fairclick serve`: the redirect, the API and the validator worker in one process by default.

The HTTP server is Granian embedded in this process's event loop (uvloop), serving one RSGI
application (`fairclick.redirect.app.RedirectApp`) that answers `/c/…` itself and forwards the
rest to the ASGI API (ADR 0300, 0303). The worker runs in a thread of the same process unless the roles
say otherwise; several `--role redirect` processes may share one database.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import signal
import sys
import threading
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from fairclick.clicks.pipeline import default_biller, default_validator
from fairclick.clicks.worker import ClickWorker
from fairclick.config import Settings
from fairclick.journal.writer import JournalWriter
from fairclick.redirect.app import ASGIApp, RedirectApp
from fairclick.redirect.cache import LinkCache
from fairclick.redirect.metrics import Metrics
from fairclick.redirect.request import Proxies
from fairclick.store import Database

log = logging.getLogger(__name__)


class Role(StrEnum):
    REDIRECT = "redirect"
    API = "api"
    WORKER = "worker"


ALL_ROLES = frozenset(Role)


def load_api(settings: Settings, db: Database) -> ASGIApp | None:
    """The API (`fairclick.api.app:create_api`, under `/api/`) and the dashboards
    (`fairclick.web.app:create_web`, every other path) when they are installed."""
    api = _create("fairclick.api.app", "create_api", settings, db)
    web = _create("fairclick.web.app", "create_web", settings, db)
    if api is None or web is None:
        return api or web

    async def split(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        target = api if path == "/api" or path.startswith("/api/") else web
        await target(scope, receive, send)

    return split


def _create(module_name: str, factory: str, settings: Settings, db: Database) -> ASGIApp | None:
    package = module_name.rsplit(".", 1)[0]
    if importlib.util.find_spec(package) is None or importlib.util.find_spec(module_name) is None:
        return None
    app: ASGIApp = getattr(importlib.import_module(module_name), factory)(settings, db)
    return app


def build_app(settings: Settings, roles: Iterable[Role] = ALL_ROLES) -> RedirectApp:
    """The process's ASGI application for `roles`, with its worker thread when it has one."""
    roles = frozenset(roles)
    db = Database.from_url(settings.database_url)
    metrics = Metrics(db)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start_worker() -> None:
        if Role.WORKER not in roles:
            return
        worker = ClickWorker(
            db,
            default_validator(settings),
            default_biller(),
            secret_key=settings.secret_key,
            on_batch=metrics.batch_done,
        )
        thread = threading.Thread(
            target=worker.run,
            args=(stop,),
            kwargs={"retention_days": settings.raw_ip_retention_days},
            name="click-worker",
            daemon=True,
        )
        thread.start()
        threads.append(thread)

    def stop_worker() -> None:
        stop.set()
        for thread in threads:
            thread.join(10)

    return RedirectApp(
        LinkCache(db.engine),
        JournalWriter(db.engine, on_commit=metrics.journal_commit_done),
        Proxies(settings.trusted_networks()),
        metrics,
        api=load_api(settings, db) if Role.API in roles else None,
        redirect=Role.REDIRECT in roles,
        on_startup=start_worker,
        on_shutdown=stop_worker,
    )


def serve(
    settings: Settings,
    roles: Iterable[Role] = ALL_ROLES,
    *,
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Run until SIGINT/SIGTERM. Without an HTTP role (worker only) no port is opened."""
    roles = frozenset(roles)
    # The journal writer thread needs the GIL right after each fsync; with the default 5 ms
    # switch interval a busy event loop makes every group commit wait for it (p99 tail).
    sys.setswitchinterval(0.001)
    app = build_app(settings, roles)
    runner: Any
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        runner = asyncio.run
    if roles == {Role.WORKER}:
        runner(_worker_only(app))
    else:
        runner(_serve_http(app, host or settings.host, port or settings.port))


async def _serve_http(app: RedirectApp, host: str, port: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    # RSGI: `/c/` is answered without ASGI's message dictionaries; the API is reached through
    # `fairclick.redirect.bridge` (ADR 0303). RSGI has no lifespan: start and stop around it.
    server = Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        websockets=False,
        backlog=2048,
        log_level=LogLevels.warning,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    await app.startup()
    try:
        await server.serve()
    finally:
        await app.shutdown()


async def _worker_only(app: RedirectApp) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    await app.startup()
    await stopped.wait()
    await app.shutdown()
