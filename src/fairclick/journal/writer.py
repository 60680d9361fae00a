"""Group commit: one writer thread appends whatever is queued in one transaction.

Requests enqueue their row (already as the statement's parameters, `append_params`) with a
future and await it; the thread takes everything queued, writes it with one statement call in
one transaction (multi-row INSERTs), commits (one fsync for the whole group)
and only then resolves the futures, so that a response never leaves before its click is
durable. While a commit runs, the next group accumulates: the busier the server, the bigger the
groups and the cheaper each click's durability (ADR 0301).

SQLite: the journal connection runs `synchronous=FULL` (a commit survives power loss, not just
a crash of the process), and the WAL is copied back into the database by a thread of its own
(`fairclick.journal.checkpoint`), not inside a group commit (ADR 0305). PostgreSQL:
`synchronous_commit=on`, and each group holds a shared advisory lock so that the worker can
compute a watermark below which no write is in flight
(`fairclick.journal.repository.safe_watermark`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from itertools import chain
from typing import Any

from sqlalchemy import Engine

from fairclick.journal.checkpoint import WalCheckpointer
from fairclick.journal.rows import ROWS_PER_STATEMENT, JournalRow, Params, insert_sql, to_params

log = logging.getLogger(__name__)

JOURNAL_LOCK_KEY = 0x66636A6C  # "fcjl": writers share it, the worker's watermark takes it alone
MAX_GROUP = 5000

Waiter = asyncio.Future[None] | Future[None]
OnCommit = Callable[[int, float], None]


class JournalUnavailable(Exception):
    """The journal could not take the click (database error or queue full): answer 503."""


class JournalWriter:
    """The single writer of the journal for this process (start it once, stop it at exit)."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_pending: int = 100_000,
        on_commit: OnCommit | None = None,
        background_checkpoint: bool = True,
    ) -> None:
        """`background_checkpoint=False` leaves SQLite's automatic checkpoint inside the commit
        that takes the WAL past 1,000 pages (what `bench/redirect/commit_latency.py` compares)."""
        self._engine = engine
        self._dialect = engine.dialect.name
        self.sqlite = self._dialect == "sqlite"
        """Whether `append_params` wants SQLite parameters (`rows.to_params`)."""
        self._queue: queue.SimpleQueue[tuple[Params, Waiter] | None] = queue.SimpleQueue()
        self._max_pending = max_pending
        self._on_commit = on_commit
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: Any = None
        self._raw: Any = None
        path = engine.url.database
        self.checkpointer = (
            WalCheckpointer(path)
            if self.sqlite and background_checkpoint and path and path != ":memory:"
            else None
        )
        """Copies the WAL off the commit path (SQLite file databases; ADR 0305)."""
        self.groups = 0
        self.rows = 0

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Open the journal connection and start the writer thread; `loop` is the event loop
        whose futures `append` returns (None when only `append_blocking` is used)."""
        self._loop = loop
        self._conn = self._connect()
        if self.checkpointer is not None:
            self.checkpointer.start()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread and close the connection."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None
        if self.checkpointer is not None:
            self.checkpointer.stop(timeout)

    def append(self, row: JournalRow) -> asyncio.Future[None]:
        """Queue `row`; the returned future (of the loop given to `start`) completes once the
        row is committed, or fails with `JournalUnavailable`. Call from the loop's thread."""
        return self.append_params(to_params(row, self._dialect))

    def append_params(self, params: Params) -> asyncio.Future[None]:
        """`append` for a row already converted to this writer's statement parameters (what
        `rows.to_params(row, dialect)` gives; the redirect builds them directly)."""
        assert self._loop is not None, "start(loop) before append"
        future: asyncio.Future[None] = self._loop.create_future()
        if self._queue.qsize() >= self._max_pending:
            future.set_exception(JournalUnavailable("journal queue full"))
            return future
        self._queue.put((params, future))
        return future

    def append_blocking(self, rows: Sequence[JournalRow], timeout: float = 30.0) -> None:
        """Queue `rows` from any thread and wait until they are committed."""
        futures: list[Future[None]] = []
        for row in rows:
            future: Future[None] = Future()
            self._queue.put((to_params(row, self._dialect), future))
            futures.append(future)
        for future in futures:
            future.result(timeout)

    @property
    def pending(self) -> int:
        """Rows queued and not yet committed (approximately)."""
        return self._queue.qsize()

    # -- the writer thread -------------------------------------------------------------

    def _connect(self) -> Any:
        if self.sqlite:
            return self._connect_sqlite()
        raw = self._engine.raw_connection()
        conn: Any = raw.driver_connection
        conn.execute("SET synchronous_commit = on")
        conn.commit()
        self._raw = raw
        return conn

    def _connect_sqlite(self) -> Any:
        """The writer's own connection (not the pool's: its settings differ from everybody's).

        Autocommit: a group of up to `ROWS_PER_STATEMENT` rows is one INSERT, which SQLite
        commits (and fsyncs) inside the same driver call. The driver releases the GIL around
        each call and the busy event loop holds it for up to the switch interval before the
        writer gets it back, so one call per group instead of three (BEGIN, INSERT, COMMIT)
        shortens every group commit. A statement cache as large as the group sizes keeps each
        size's INSERT prepared."""
        path = self._engine.url.database
        if not path or path == ":memory:":  # only one connection sees that database
            raw = self._engine.raw_connection()
            conn: Any = raw.driver_connection
            self._raw = raw
        else:
            conn = sqlite3.connect(
                path,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=ROWS_PER_STATEMENT + 16,
                timeout=30,
            )
            self._raw = None
        conn.isolation_level = None
        conn.execute("PRAGMA busy_timeout=30000")
        # FULL: the WAL is fsynced at every commit, so an acknowledged click survives a
        # power cut, not only a killed process (NORMAL would only survive the latter).
        conn.execute("PRAGMA synchronous=FULL")
        if self.checkpointer is not None:
            # No checkpoint inside a group commit: `WalCheckpointer` copies the WAL (ADR 0305).
            conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                group.append(item)
            self._commit_group(group)
            if self.checkpointer is not None and self.checkpointer.due is not None:
                self._finish_checkpoint()
        self._close()

    def _commit_group(self, group: list[tuple[Params, Waiter]]) -> None:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            self._write([params for params, _ in group])
        except Exception as exc:
            log.exception("journal group commit failed (%d rows)", len(group))
            error = JournalUnavailable(f"journal write failed: {exc}")
            self._recover()
        elapsed = time.perf_counter() - started
        if error is None:
            self.groups += 1
            self.rows += len(group)
            if self._on_commit is not None:
                self._on_commit(len(group), elapsed)
        self._settle(group, error)

    def _finish_checkpoint(self) -> None:
        """The checkpointer's last step, between two groups: copy what was written since its
        last pass, so that the next commit restarts the WAL from its beginning."""
        assert self.checkpointer is not None
        try:
            self.checkpointer.finish(self._conn)
        except Exception:
            log.exception("journal WAL checkpoint failed; the checkpointer will ask again")

    def _write(self, rows: list[Params]) -> None:
        cursor = self._conn.cursor()
        try:
            if self.sqlite and len(rows) <= ROWS_PER_STATEMENT:
                # One statement: its own transaction, committed within this call (autocommit).
                cursor.execute(insert_sql("sqlite", len(rows)), list(chain.from_iterable(rows)))
                return
            if self.sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            else:
                cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", (JOURNAL_LOCK_KEY,))
            # Multi-row statements, not `executemany`: the driver releases and re-takes the GIL
            # around every statement step, and each re-take waits for the busy event loop.
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                params = list(chain.from_iterable(chunk))
                cursor.execute(insert_sql(self._dialect, len(chunk)), params)
            if self.sqlite:
                cursor.execute("COMMIT")
            else:
                self._conn.commit()
        finally:
            cursor.close()

    def _recover(self) -> None:
        try:
            self._conn.rollback()  # SQLite: rolls back only if a transaction is open
        except Exception:
            # The connection is gone (database restarted): open a new one for the next group.
            try:
                self._discard()
                self._conn = self._connect()
            except Exception:
                log.exception("journal reconnect failed; will retry with the next group")

    def _discard(self) -> None:
        if self._raw is not None:
            self._raw.invalidate()  # never back to the pool with the writer's settings
        else:
            self._conn.close()

    def _settle(self, group: list[tuple[Params, Waiter]], error: BaseException | None) -> None:
        loop_waiters: list[asyncio.Future[None]] = []
        for _, waiter in group:
            if isinstance(waiter, asyncio.Future):
                loop_waiters.append(waiter)
            elif error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
        if loop_waiters and self._loop is not None and not self._loop.is_closed():
            # One wake-up of the event loop per group, not one per request.
            self._loop.call_soon_threadsafe(_resolve, loop_waiters, error)

    def _close(self) -> None:
        try:
            self._discard()
        except Exception:
            log.debug("journal connection close failed", exc_info=True)


def _resolve(waiters: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for waiter in waiters:
        if waiter.done():  # the request was cancelled (client gone): nothing to tell
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)
