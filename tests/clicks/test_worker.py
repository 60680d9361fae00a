"""The validator worker: every journaled click becomes exactly one click row, counted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from fairclick.clicks.models import Click, ClickCounter
from fairclick.clicks.pipeline import NoRulesValidator, PendingBiller
from fairclick.clicks.worker import ClickWorker
from fairclick.domain.click import ClickEvent
from fairclick.journal import repository as journal_repo
from fairclick.journal.models import JournalEntry
from fairclick.journal.writer import JOURNAL_LOCK_KEY
from fairclick.store import Database
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, load_world
from tests.journal.factories import T0, journal_row, link_ids

ROOT = Path(__file__).resolve().parents[2]


def _worker(db: Database, **kwargs: Any) -> ClickWorker:
    kwargs.setdefault("batch_size", 40)
    return ClickWorker(db, NoRulesValidator(), PendingBiller(), secret_key=TEST_SECRET, **kwargs)


def _journal(db: Database, count: int, *, code: str = "bviabRurGt", **kwargs: Any) -> None:
    ids = link_ids(db, code)
    with db.engine.begin() as conn:
        rows = [journal_row(n, code=code, ids=ids, **kwargs) for n in range(count)]
        journal_repo.append_rows(conn, rows)


def _assert_exactly_once(db: Database, expected: int) -> None:
    with db.session() as session:
        clicks = session.scalar(select(func.count()).select_from(Click))
        journaled = session.scalar(select(func.count()).select_from(JournalEntry))
        raw = dict(
            session.execute(
                select(ClickCounter.scope, func.sum(ClickCounter.raw)).group_by(ClickCounter.scope)
            ).all()
        )
        cursor = journal_repo.cursor_position(session.connection(), "validator")
        last = session.scalar(select(func.max(JournalEntry.seq)))
    assert journaled == expected
    assert clicks == expected
    assert raw == {"link": expected, "campaign": expected}
    assert cursor == last


def test_clicks_counters_and_cursor(test_db: TestDb) -> None:
    load_world(test_db.db)
    _journal(test_db.db, 100)
    total = _worker(test_db.db).drain()
    assert (total.entries, total.clicks, total.valid) == (100, 100, 100)
    _assert_exactly_once(test_db.db, 100)
    with test_db.db.session() as session:
        click = session.scalars(select(Click).order_by(Click.seq)).first()
        assert click is not None
        assert click.ip_prefix == "90.12.4.0/24"
        assert len(click.ip_hash) == 32 and "90.12.4.7" not in click.ip_hash
        assert click.post_id is not None
        assert (click.verdict, click.billing) == ("valid", "pending")
        hours = session.scalars(
            select(ClickCounter.hour).where(ClickCounter.scope == "link").distinct()
        ).all()
    assert hours == [T0.replace(minute=0)]  # event time, not the wall clock


def test_a_second_run_adds_nothing(test_db: TestDb) -> None:
    load_world(test_db.db)
    _journal(test_db.db, 30)
    _worker(test_db.db).drain()
    assert _worker(test_db.db).drain().clicks == 0
    _assert_exactly_once(test_db.db, 30)


class _Crashing(NoRulesValidator):
    """Fails on its n-th call, as a process dying mid-batch would."""

    def __init__(self, fail_on: int) -> None:
        self.calls, self.fail_on = 0, fail_on

    def validate(self, clicks: Sequence[ClickEvent], context: Any) -> Any:
        self.calls += 1
        if self.calls == self.fail_on:
            context.session.connection().execute(text("SELECT 1"))  # inside the transaction
            raise RuntimeError("crash in the middle of a batch")
        return super().validate(clicks, context)


def test_a_crash_inside_a_batch_rolls_it_back_and_resume_counts_once(test_db: TestDb) -> None:
    load_world(test_db.db)
    _journal(test_db.db, 100)
    crashing = ClickWorker(
        test_db.db, _Crashing(3), PendingBiller(), secret_key=TEST_SECRET, batch_size=40
    )
    with pytest.raises(RuntimeError):
        crashing.drain()
    with test_db.db.engine.connect() as conn:
        assert journal_repo.cursor_position(conn, "validator") > 0
        assert conn.scalar(select(func.count()).select_from(Click)) == 80
    _worker(test_db.db).drain()
    _assert_exactly_once(test_db.db, 100)


def test_two_workers_on_one_cursor_never_process_a_click_twice(test_db: TestDb) -> None:
    load_world(test_db.db)
    _journal(test_db.db, 400)
    workers = [_worker(test_db.db, batch_size=25) for _ in range(2)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _worker(test_db.db).drain()
    _assert_exactly_once(test_db.db, 400)


_SLOW_WORKER = """
import sys, time
from fairclick.clicks.pipeline import NoRulesValidator, PendingBiller
from fairclick.clicks.worker import ClickWorker
from fairclick.store import Database

class Slow(NoRulesValidator):
    def validate(self, clicks, context):
        time.sleep(0.02)
        return super().validate(clicks, context)

db = Database.from_url(sys.argv[1])
worker = ClickWorker(db, Slow(), PendingBiller(), secret_key="test-secret-key-0123456789",
                     batch_size=20)
print("ready", flush=True)
worker.drain()
"""


@pytest.mark.parametrize("kill_after", [0.3, 0.7])
def test_a_worker_killed_with_sigkill_resumes_exactly_once(
    test_db: TestDb, kill_after: float
) -> None:
    load_world(test_db.db)
    _journal(test_db.db, 3000)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WORKER, test_db.url],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(kill_after)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with test_db.db.engine.connect() as conn:
        done = conn.scalar(select(func.count()).select_from(Click))
    assert done is not None and done < 3000  # it really died mid-way
    _worker(test_db.db, batch_size=500).drain()
    _assert_exactly_once(test_db.db, 3000)


def test_unknown_codes_and_inactive_campaigns_are_kept_but_never_billable(
    test_db: TestDb,
) -> None:
    load_world(test_db.db)
    with test_db.db.engine.begin() as conn:
        journal_repo.append_rows(
            conn,
            [
                journal_row(1, code="nosuchcode", status=404),
                journal_row(2, ids=link_ids(test_db.db, "bviabRurGt"), active=False),
            ],
        )
    _worker(test_db.db).drain()
    with test_db.db.session() as session:
        rows = session.execute(
            select(Click.code, Click.campaign_id, Click.billing, Click.unbilled_cause).order_by(
                Click.seq
            )
        ).all()
        counted = session.scalar(select(func.sum(ClickCounter.raw)))
    assert rows[0] == ("nosuchcode", None, "unbilled", None)
    assert rows[1][2:] == ("unbilled", "campaign_inactive")
    assert counted == 2  # the unknown code counts nowhere; the inactive click on link+campaign


def test_raw_ips_are_purged_after_the_retention_once_processed(test_db: TestDb) -> None:
    load_world(test_db.db)
    _journal(test_db.db, 5)  # clicks of 2025: older than any retention
    worker = _worker(test_db.db)
    assert worker.purge_raw_ips(30) == 0  # not processed yet: kept for the worker
    worker.drain()
    assert worker.purge_raw_ips(30) == 5
    with test_db.db.engine.connect() as conn:
        ips = set(conn.scalars(select(JournalEntry.ip)))
        prefixes = set(conn.scalars(select(Click.ip_prefix)))
    assert ips == {""}
    assert prefixes == {"90.12.4.0/24"}


@pytest.mark.postgres
def test_postgres_worker_waits_for_a_lower_seq_still_being_written(postgres_db: TestDb) -> None:
    """A sequence number taken by a transaction that commits late must not be skipped."""
    db = postgres_db.db
    load_world(db)
    ids = link_ids(db, "bviabRurGt")
    slow = db.engine.connect()
    slow_tx = slow.begin()
    slow.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": JOURNAL_LOCK_KEY})
    journal_repo.append_rows(slow, [journal_row(1, ids=ids)])  # takes the lower seq
    with db.engine.begin() as conn:
        journal_repo.append_rows(conn, [journal_row(2, ids=ids)])  # commits first
    worker = _worker(db)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (worker.drain(), done.set()))
    thread.start()
    assert not done.wait(0.5)  # blocked behind the write in flight, not skipping it
    slow_tx.commit()
    slow.close()
    thread.join(10)
    assert done.is_set()
    _assert_exactly_once(db, 2)


def test_validation_runs_in_event_time_order(sqlite_db: TestDb) -> None:
    load_world(sqlite_db.db)
    ids = link_ids(sqlite_db.db, "bviabRurGt")
    seen: list[Any] = []

    class Recording(NoRulesValidator):
        def validate(self, clicks: Sequence[ClickEvent], context: Any) -> Any:
            seen.extend(c.ts for c in clicks)
            assert context.now == max(c.ts for c in clicks)  # event time, never wall clock
            return super().validate(clicks, context)

    with sqlite_db.db.engine.begin() as conn:
        journal_repo.append_rows(
            conn, [journal_row(0, ids=ids, ts=T0 + timedelta(minutes=m)) for m in (5, 1, 3)]
        )
    ClickWorker(
        sqlite_db.db, Recording(), PendingBiller(), secret_key=TEST_SECRET, clock=None
    ).drain()
    assert seen == sorted(seen)


def test_the_validation_engine_judges_when_configured(test_db: TestDb) -> None:
    from fairclick.clicks.pipeline import EngineValidator, default_validator
    from fairclick.config import load_settings

    load_world(test_db.db)
    settings = load_settings(database_url=test_db.url, secret_key=TEST_SECRET)
    validator = default_validator(settings)
    assert isinstance(validator, EngineValidator)
    ids = link_ids(test_db.db, "bviabRurGt")
    script = journal_row(1, ids=ids)._replace(user_agent="python-requests/2.31.0", headers={})
    with test_db.db.engine.begin() as conn:
        journal_repo.append_rows(conn, [script])
    ClickWorker(test_db.db, validator, PendingBiller(), secret_key=TEST_SECRET).drain()
    with test_db.db.session() as session:
        click = session.scalars(select(Click)).one()
    assert click.verdict == "invalid" and "non_browser" in click.reasons
    assert (click.billing, click.unbilled_cause) == ("unbilled", "invalid")
