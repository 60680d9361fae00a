"""The validator worker: journal → verdicts → clicks, counters, billing, in micro-batches.

Each batch is one transaction: lock the cursor, read the next journal entries in `seq` order,
validate them in event-time order (one call), bill the valid billable ones, insert the clicks
(idempotent by click id), add the counters and advance the cursor. A crash anywhere rolls the
whole batch back, so every click is processed exactly once across crashes and restarts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fairclick.clicks import repository as clicks_repo
from fairclick.clicks.pipeline import (
    Biller,
    DecisionLike,
    OutcomeLike,
    ValidationContext,
    Validator,
)
from fairclick.clicks.rows import COLUMNS, RowMaker, hour_counts, is_billed, is_valid
from fairclick.clicks.timing import StageTimes
from fairclick.domain.click import BillableClick, ClickEvent
from fairclick.domain.clock import Clock, system_clock
from fairclick.domain.reasons import Verdict
from fairclick.journal import repository as journal_repo
from fairclick.journal.rows import rows_to_events
from fairclick.moderation.service import held_among
from fairclick.store import Database

log = logging.getLogger(__name__)

DEFAULT_CURSOR = "validator"


@dataclass
class BatchResult:
    """What one batch did (`clicks` new click rows; `last_seq` the cursor after it)."""

    entries: int = 0
    clicks: int = 0
    valid: int = 0
    invalid: int = 0
    billed: int = 0
    last_seq: int = 0


class ClickWorker:
    """Consumes the journal under cursor `name`. `clock=None` runs in event time (ingest):
    the batch's "now" is the time of its latest click, never the wall clock."""

    def __init__(
        self,
        db: Database,
        validator: Validator,
        biller: Biller,
        *,
        secret_key: str,
        name: str = DEFAULT_CURSOR,
        batch_size: int = 1000,
        clock: Clock | None = system_clock,
        slot: int = 0,
        on_batch: Callable[[BatchResult, float], None] | None = None,
        times: StageTimes | None = None,
    ) -> None:
        self.db = db
        self.validator = validator
        self.biller = biller
        self.secret_key = secret_key
        self.name = name
        self.batch_size = batch_size
        self.clock = clock
        self.slot = slot
        self.on_batch = on_batch
        self.times = times if times is not None else StageTimes()
        """Wall and CPU seconds per step (read, validate, bill, clicks, counters, commit)."""
        with db.engine.begin() as conn:
            journal_repo.ensure_cursor(conn, name)

    def process_batch(self) -> BatchResult:
        """Process the next micro-batch; `entries == 0` when caught up.

        Reading and validating happen before the write transaction: on SQLite the write lock
        also holds up the redirect's journal, so it is taken only for billing, the inserts and
        the cursor. The write transaction re-checks the cursor under its lock and starts over
        if another worker moved it meanwhile."""
        stage = self.times.stage
        while True:
            started = time.perf_counter()
            session = self.db.sessions()
            try:
                with stage("read journal"):
                    upto = journal_repo.safe_watermark(self.db.engine)
                    conn = session.connection()
                    last = journal_repo.cursor_position(conn, self.name)
                    rows = journal_repo.fetch_after(conn, last, limit=self.batch_size, upto=upto)
                    if not rows:
                        return BatchResult(last_seq=last)
                    events = sorted(rows_to_events(rows), key=lambda e: e.ts)
                now = self.clock.now() if self.clock is not None else events[-1].ts
                with stage("validate"):
                    decisions = self.validator.validate(
                        events, ValidationContext(session, now, self.secret_key)
                    )
                session.commit()
            finally:
                session.close()
            if len(decisions) != len(events):
                raise RuntimeError("the validator must return one decision per click")
            result = self._write(rows, events, decisions, last, now)
            if result is not None:
                if self.on_batch is not None:
                    self.on_batch(result, time.perf_counter() - started)
                return result

    def _write(
        self,
        rows: Sequence[Any],
        events: Sequence[ClickEvent],
        decisions: Sequence[DecisionLike],
        last: int,
        now: datetime,
        *,
        checked: bool = False,
    ) -> BatchResult | None:
        """The batch's one write transaction; None when another worker got there first.

        The batch's clicks are taken to have no row yet (the cursor has not passed them), so
        billing and the counters go ahead without looking, and the insert's count proves it.
        If some had a row already (another consumer of the journal wrote them), the transaction
        is rolled back and the batch written again `checked`: the clicks with a row are left
        out before billing, as they would have been on a first look."""
        active = {r.click_id: bool(r.campaign_active) for r in rows}
        seqs = {r.click_id: r.seq for r in rows}
        stage = self.times.stage
        session = self.db.sessions()
        try:
            with stage("clicks"):
                conn = session.connection()
                wall = system_clock.now()
                if journal_repo.lock_cursor(conn, self.name, wall) != last:
                    session.rollback()
                    return None
                pairs = zip(events, decisions, strict=True)
                if checked:
                    done = clicks_repo.existing_click_ids(conn, [e.click_id for e in events])
                    fresh = [(e, d) for e, d in pairs if e.click_id not in done]
                else:
                    fresh = list(pairs)
            with stage("bill"):
                outcomes = self._bill(session, conn, fresh, active, now)
            with stage("clicks"):
                make = RowMaker(conn.dialect.name, wall)
                click_rows = [
                    make.row(e, d, seqs[e.click_id], outcomes.get(e.click_id), active[e.click_id])
                    for e, d in fresh
                ]
                inserted = clicks_repo.insert_clicks(conn, COLUMNS, click_rows)
            if inserted != len(click_rows) and not checked:
                session.rollback()
                session.close()  # before the second attempt takes a connection
                return self._write(rows, events, decisions, last, now, checked=True)
            with stage("counters"):
                counts = hour_counts([e for e, _ in fresh], click_rows, self.slot)
                clicks_repo.add_counts(conn, counts)
            journal_repo.advance_cursor(conn, self.name, rows[-1].seq, wall)
            with stage("commit"):
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        valid = sum(map(is_valid, click_rows))
        return BatchResult(
            entries=len(rows),
            clicks=len(click_rows),
            valid=valid,
            invalid=len(click_rows) - valid,
            billed=sum(map(is_billed, click_rows)),
            last_seq=rows[-1].seq,
        )

    def drain(self, max_batches: int | None = None) -> BatchResult:
        """Process batches until the journal is caught up; the totals of what was done."""
        total = BatchResult()
        batches = 0
        while max_batches is None or batches < max_batches:
            result = self.process_batch()
            batches += 1
            total.last_seq = result.last_seq
            if result.entries == 0:
                break
            for name in ("entries", "clicks", "valid", "invalid", "billed"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
        return total

    def run(
        self,
        stop: threading.Event,
        *,
        idle_sleep: float = 0.05,
        retention_days: int | None = None,
        purge_every: float = 3600.0,
        retro_every: float | None = 300.0,
    ) -> None:
        """Process until `stop` is set; sleep briefly when caught up; purge raw IPs past
        `retention_days` every `purge_every` seconds; run the retro-analysis over the clicks
        still in their hold period every `retro_every` seconds; survive database errors (logged,
        retried after a pause) so that a database restart does not stop the worker."""
        next_purge = time.monotonic()
        next_retro = time.monotonic() + (retro_every or 0)
        while not stop.is_set():
            try:
                if retention_days is not None and time.monotonic() >= next_purge:
                    self.purge_raw_ips(retention_days)
                    next_purge = time.monotonic() + purge_every
                if retro_every is not None and time.monotonic() >= next_retro:
                    self.retro()
                    next_retro = time.monotonic() + retro_every
                result = self.process_batch()
            except Exception:
                log.exception("worker batch failed; retrying")
                stop.wait(1.0)
                continue
            if result.entries == 0:
                stop.wait(idle_sleep)

    def retro(self) -> int:
        """Re-judge the clicks still inside their hold period with the windowed detectors
        (burst, click farm, click ring); billed clicks found invalid are reversed."""
        from fairclick.clicks.retro import hold_window, run_retro
        from fairclick.ledger.posting import reverser

        now = (self.clock or system_clock).now()
        with self.db.session() as session:
            found = run_retro(
                session, since=hold_window(session, now), until=now, at=now, reverser=reverser
            )
        if found.reverdicted:
            log.info(
                "retro-analysis re-verdicted %d clicks: %s", found.reverdicted, found.by_reason
            )
        return found.reverdicted

    def purge_raw_ips(self, retention_days: int) -> int:
        """Blank raw IPs older than the retention that every consumer has processed."""
        cutoff = system_clock.now() - timedelta(days=retention_days)
        with self.db.engine.begin() as conn:
            position = journal_repo.cursor_position(conn, self.name)
            return journal_repo.purge_raw_ips(conn, cutoff, position)

    def _bill(
        self,
        session: Any,
        conn: Any,
        fresh: Sequence[tuple[ClickEvent, DecisionLike]],
        active: dict[str, bool],
        now: datetime,
    ) -> dict[str, OutcomeLike]:
        billable = [
            (e, d)
            for e, d in fresh
            if d.verdict == Verdict.VALID
            and e.status == 302
            and active[e.click_id]
            and e.link_id is not None
            and e.campaign_id is not None
            and e.influencer_id is not None
        ]
        if not billable:
            return {}
        # Clicks through a post awaiting a moderation decision are held, not billed (issue 6).
        posts = {e.post_id for e, _ in billable if e.post_id is not None}
        held_posts = held_among(session, posts) if posts else set()
        facts = clicks_repo.link_facts(conn, {e.link_id for e, _ in billable if e.link_id})
        handed = [
            BillableClick(
                click_id=e.click_id,
                ts=e.ts,
                campaign_id=e.campaign_id or 0,
                influencer_id=e.influencer_id or 0,
                link_id=e.link_id or 0,
                network=facts.get(e.link_id or 0, (None, False))[0],
                country=d.enrichment.country,
                link_disabled=facts.get(e.link_id or 0, (None, False))[1],
            )
            for e, d in billable
        ]
        post_of = {e.click_id: e.post_id for e, _ in billable}
        to_hold = [c for c in handed if post_of[c.click_id] in held_posts]
        to_bill = [c for c in handed if post_of[c.click_id] not in held_posts]
        outcomes = {o.click_id: o for o in self.biller.bill(session, to_bill, now)}
        if to_hold:
            outcomes.update({o.click_id: o for o in self.biller.hold(session, to_hold, now)})
        return outcomes
