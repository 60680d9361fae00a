"""WAL checkpoints of the SQLite journal off the group commit's path (ADR 0305).

SQLite copies its write-ahead log back into the database file ("checkpoint") inside the commit
that takes the log past `wal_autocheckpoint` pages: in the journal writer that was one group
commit in ~70 taking about four times as long, with every request of that group and of the
next one waiting for it (the redirect's p99). The writer's connection runs with
`wal_autocheckpoint=0` instead, and `WalCheckpointer` copies the log from a thread and a
connection of its own with `PASSIVE` checkpoints, which never wait for the writer nor block it.

A passive pass copies the frames that were in the log when it began; under steady writes the
writer has appended more by the time it ends, and SQLite restarts the log from its beginning
(so that the file stops growing) only when a write finds it wholly copied. So once the log
holds `restart_pages` frames the thread asks the writer to finish the job: between two groups,
the writer runs one checkpoint itself (`due`, `finish`), which copies only what was written
since the last pass, and its next commit restarts the log. If the log still reaches
`limit_pages` (a reader held an older snapshot at each restart), the writer's checkpoint is a
`RESTART`, which waits up to `RESTART_WAIT_MS` for readers to move on (at most every
`RESTART_EVERY` seconds): the log stays bounded as long as readers do not hold their snapshot
for ever, which no checkpoint mode can help.
Crash safety is SQLite's own: a checkpoint syncs the log before copying and the database after.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

PASSIVE = "PRAGMA wal_checkpoint(PASSIVE)"
RESTART = "PRAGMA wal_checkpoint(RESTART)"
RESTART_WAIT_MS = 100
"""How long the writer's `RESTART` checkpoint waits for readers (it holds up one group)."""
RESTART_EVERY = 5.0
"""Seconds between two `RESTART`s asked of the writer: a reader that keeps its snapshot for
long holds the log back whatever the mode, and must not cost the writer a wait every pass."""


class WalCheckpointer:
    """Background `PASSIVE` checkpoints of one SQLite database (start once, stop at exit)."""

    def __init__(
        self,
        path: str,
        *,
        interval: float = 0.25,
        restart_pages: int = 8192,
        limit_pages: int = 32768,
    ) -> None:
        self._path = path
        self.interval = interval
        self.restart_pages = restart_pages
        self.limit_pages = limit_pages
        self.due: str | None = None
        """The checkpoint the writer should run between two groups (`finish`), or None. Set
        by this thread only while it is idle, cleared by the writer once it has run it, so the
        two never checkpoint at the same time."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_restart = 0.0
        self.passes = 0
        self.finishes = 0
        self.restarts_asked = 0

    def start(self) -> None:
        """Open the checkpointer's connection and start its thread."""
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        # The checkpoint syncs the log before copying and the database after (NORMAL and FULL
        # alike); only OFF would skip that, and it is never used here.
        conn.execute("PRAGMA synchronous=FULL")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(conn,), name="journal-checkpointer", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (after the pass it is in, if any)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def finish(self, conn: Any) -> tuple[int, int, int]:
        """Run the `due` checkpoint on the writer's connection `conn` (from the writer's thread,
        between two groups) and clear it; SQLite's (busy, log frames, copied frames)."""
        statement = self.due
        if statement is None:
            return (0, 0, 0)
        try:
            if statement == RESTART:
                conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
                try:
                    result = conn.execute(statement).fetchone()
                finally:
                    conn.execute("PRAGMA busy_timeout=30000")
            else:
                result = conn.execute(statement).fetchone()
        finally:
            self.finishes += 1
            self.due = None
        return (int(result[0]), int(result[1]), int(result[2]))

    def _run(self, conn: sqlite3.Connection) -> None:
        try:
            while not self._stop.wait(self.interval):
                if self.due is not None:
                    continue  # the writer has not run the last one (idle): nothing to add
                try:
                    frames = self._pass(conn)
                    if frames >= self.restart_pages:
                        # Once more: copy what the writer appended during that pass, so that
                        # the writer's own checkpoint has only a commit or two left to copy.
                        self._pass(conn)
                        self.restarts_asked += 1
                        self.due = self._mode(frames)
                except sqlite3.Error:
                    log.exception("journal WAL checkpoint failed; will try again")
        finally:
            conn.close()

    def _mode(self, frames: int) -> str:
        if frames < self.limit_pages or time.monotonic() < self._next_restart:
            return PASSIVE
        self._next_restart = time.monotonic() + RESTART_EVERY
        return RESTART

    def _pass(self, conn: sqlite3.Connection) -> int:
        """One `PASSIVE` checkpoint; the frames the log held when it began (-1 when another
        connection was checkpointing)."""
        _busy, frames, _copied = conn.execute(PASSIVE).fetchone()
        self.passes += 1
        return int(frames)
