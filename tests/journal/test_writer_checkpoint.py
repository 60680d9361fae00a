"""The journal's WAL is checkpointed off the group commit's path and stays bounded (ADR 0305)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from sqlalchemy import func, select

from fairclick.journal.checkpoint import WalCheckpointer
from fairclick.journal.models import JournalEntry
from fairclick.journal.writer import JournalWriter
from tests.conftest import TestDb
from tests.journal.factories import journal_row

FRAME = 4096 + 24  # a WAL frame: one page and its header


def _log_frames(path: str) -> int:
    """The frames in the WAL now (SQLite's own count; a passive pass copies, never waits)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


def _started(db: TestDb, restart_pages: int, limit_pages: int) -> tuple[JournalWriter, str]:
    writer = JournalWriter(db.db.engine)
    checkpointer = writer.checkpointer
    assert checkpointer is not None
    checkpointer.interval = 0.01
    checkpointer.restart_pages = restart_pages
    checkpointer.limit_pages = limit_pages
    writer.start()
    path = db.db.engine.url.database
    assert path is not None
    return writer, path


def _count(db: TestDb) -> int:
    with db.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def test_group_commits_do_not_checkpoint(sqlite_db: TestDb) -> None:
    writer, path = _started(sqlite_db, 8192, 32768)
    assert writer.checkpointer is not None
    writer.checkpointer.stop()  # nobody copies the WAL now: the writer must not either
    for n in range(30):
        writer.append_blocking([journal_row(n * 500 + i) for i in range(500)])
    # SQLite's own automatic checkpoint would have restarted the log at 1,000 frames.
    assert _log_frames(path) > 1000
    writer.stop()  # (closing the last connection checkpoints and removes the log)
    assert _count(sqlite_db) == 15_000


def test_the_wal_restarts_under_steady_writes(sqlite_db: TestDb) -> None:
    writer, path = _started(sqlite_db, 40, 400)

    def client(k: int) -> None:
        for n in range(60):
            writer.append_blocking([journal_row(k * 1000 + n * 10 + i) for i in range(10)])

    clients = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    checkpointer = writer.checkpointer
    assert checkpointer is not None
    assert checkpointer.finishes >= 1  # the writer finished restarts between its groups
    # The log file only grows when the log is not restarted: far below SQLite's 1,000 frames.
    assert os.path.getsize(f"{path}-wal") < 400 * FRAME
    writer.stop()
    assert _count(sqlite_db) == 2_400


def test_a_reader_holding_a_snapshot_delays_the_restart_but_not_the_commits(
    sqlite_db: TestDb,
) -> None:
    writer, path = _started(sqlite_db, 20, 60)
    writer.append_blocking([journal_row(0)])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM journal").fetchone() == (1,)
    started = time.monotonic()
    for n in range(1, 120):
        writer.append_blocking([journal_row(n * 10 + i) for i in range(10)])
    assert time.monotonic() - started < 60  # commits went on (a RESTART waits 0.1 s at most)
    held = _log_frames(path)
    assert held > 60  # the reader's snapshot kept the log from restarting
    reader.execute("ROLLBACK")
    reader.close()
    for n in range(120, 200):
        writer.append_blocking([journal_row(n * 10 + i) for i in range(10)])
    assert _log_frames(path) < held  # restarted once the reader had moved on (else it grows)
    writer.stop()
    assert _count(sqlite_db) == 1 + 199 * 10


def test_the_checkpointer_stops_and_closes(sqlite_db: TestDb) -> None:
    path = sqlite_db.db.engine.url.database
    assert path is not None
    checkpointer = WalCheckpointer(path, interval=0.01)
    checkpointer.start()
    time.sleep(0.05)
    checkpointer.stop()
    assert checkpointer.passes >= 1
    assert checkpointer.due is None
