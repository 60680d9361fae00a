"""The group-commit writer: durable before acknowledged, idempotent, failures reported."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import func, select, text

from fairclick.journal import repository
from fairclick.journal.models import JournalEntry
from fairclick.journal.writer import JournalUnavailable, JournalWriter
from fairclick.store import Database
from tests.conftest import TestDb
from tests.journal.factories import journal_row


def _count(url: str) -> int:
    # A separate engine: what another process would see after a crash.
    other = Database.from_url(url)
    try:
        with other.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(JournalEntry)) or 0)
    finally:
        other.engine.dispose()


def test_acknowledged_rows_are_committed_and_read_back_unchanged(test_db: TestDb) -> None:
    rows = [journal_row(n, external_id=f"ext-{n}") for n in range(300)]

    async def drive() -> JournalWriter:
        writer = JournalWriter(test_db.db.engine)
        writer.start(asyncio.get_running_loop())
        await asyncio.gather(*(writer.append(row) for row in rows))
        assert _count(test_db.url) == 300  # acknowledged means visible to others
        writer.stop()
        return writer

    writer = asyncio.run(drive())
    assert writer.rows == 300
    assert writer.groups < 300  # requests shared commits
    with test_db.db.session() as session:
        stored = session.scalars(select(JournalEntry).order_by(JournalEntry.seq)).all()
    assert [e.click_id for e in stored] == [r.click_id for r in rows]
    first = stored[0]
    assert first.ts == rows[0].ts
    assert first.headers == {"sec-fetch-mode": "navigate"}
    assert first.external_id == "ext-0"
    assert first.campaign_active is True
    assert first.ip == "90.12.4.7"


def test_blocking_appends_from_many_threads(test_db: TestDb) -> None:
    writer = JournalWriter(test_db.db.engine)
    writer.start()
    batches = [[journal_row(n * 100 + i) for i in range(50)] for n in range(4)]
    threads = [threading.Thread(target=writer.append_blocking, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.stop()
    assert _count(test_db.url) == 200


def test_reappending_a_click_or_an_external_id_adds_nothing(test_db: TestDb) -> None:
    row = journal_row(1, external_id="log-42")
    with test_db.db.engine.begin() as conn:
        assert repository.append_rows(conn, [row, journal_row(2)]) == 2
    with test_db.db.engine.begin() as conn:
        again = journal_row(3, external_id="log-42")  # new click id, same external id
        assert repository.append_rows(conn, [row, again]) == 0
    assert _count(test_db.url) == 2


def test_a_failed_commit_fails_the_waiting_requests_and_the_writer_recovers(
    sqlite_db: TestDb,
) -> None:
    async def drive() -> None:
        writer = JournalWriter(sqlite_db.db.engine)
        writer.start(asyncio.get_running_loop())
        with sqlite_db.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE journal RENAME TO journal_away"))
        with pytest.raises(JournalUnavailable):
            await writer.append(journal_row(1))
        with sqlite_db.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE journal_away RENAME TO journal"))
        await writer.append(journal_row(2))
        writer.stop()

    asyncio.run(drive())
    assert _count(sqlite_db.url) == 1


def test_a_full_queue_refuses_instead_of_growing(sqlite_db: TestDb) -> None:
    async def drive() -> None:
        writer = JournalWriter(sqlite_db.db.engine, max_pending=0)
        writer.start(asyncio.get_running_loop())
        with pytest.raises(JournalUnavailable):
            await writer.append(journal_row(1))
        writer.stop()

    asyncio.run(drive())


def test_a_group_larger_than_one_statement_is_one_transaction(test_db: TestDb) -> None:
    writer = JournalWriter(test_db.db.engine)
    rows = [journal_row(n) for n in range(1_200)]
    client = threading.Thread(target=writer.append_blocking, args=(rows,))
    client.start()
    while writer.pending < 1_200:  # all queued before the writer starts: one group
        time.sleep(0.01)
    writer.start()
    client.join()
    writer.stop()
    assert _count(test_db.url) == 1_200
    assert (writer.groups, writer.rows) == (1, 1_200)  # three INSERTs, one transaction


def test_the_writer_leaves_the_pool_transactional(sqlite_db: TestDb) -> None:
    async def drive() -> None:
        writer = JournalWriter(sqlite_db.db.engine)
        writer.start(asyncio.get_running_loop())
        await writer.append(journal_row(1))
        writer.stop()

    asyncio.run(drive())
    # whatever connection the pool hands out still has transactions
    with sqlite_db.db.engine.connect() as conn, conn.begin() as transaction:
        repository.append_rows(conn, [journal_row(2)])
        transaction.rollback()
    assert _count(sqlite_db.url) == 1
