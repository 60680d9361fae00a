"""Prometheus metrics of the redirect, the journal and the worker (text format at /metrics).

Counters and histograms live in one registry per process; the worker's lag is read from the
database at scrape time (the age of the oldest journal entry the worker has not processed), so
that it is right whichever process runs the worker.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from fairclick.clicks.worker import DEFAULT_CURSOR, BatchResult
from fairclick.domain.clock import system_clock
from fairclick.journal import repository as journal_repo
from fairclick.store import Database

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class _Lag(Collector):
    def __init__(self, db: Database, cursor: str) -> None:
        self.db, self.cursor = db, cursor

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.db.engine.connect() as conn:
            count, oldest = journal_repo.backlog(conn, self.cursor)
        age = (system_clock.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "fairclick_worker_lag_seconds",
            "Age of the oldest journal entry the validator worker has not processed",
            value=max(age, 0.0),
        )
        yield GaugeMetricFamily(
            "fairclick_worker_backlog", "Journal entries not yet processed", value=count
        )


class Metrics:
    """The process's metrics; `render()` gives the exposition text."""

    def __init__(self, db: Database | None = None, cursor: str = DEFAULT_CURSOR) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fairclick_redirect_requests",
            "Requests to /c/ by HTTP status",
            ["status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fairclick_redirect_latency_seconds",
            "Time from request to response, journal commit included",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.journal_groups = Histogram(
            "fairclick_journal_group_size",
            "Clicks per group commit",
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000),
            registry=self.registry,
        )
        self.journal_commit = Histogram(
            "fairclick_journal_commit_seconds",
            "Duration of one group commit",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.journal_failures = Counter(
            "fairclick_journal_failures", "Clicks refused by the journal", registry=self.registry
        )
        self.worker_clicks = Counter(
            "fairclick_worker_clicks",
            "Clicks validated by verdict",
            ["verdict"],
            registry=self.registry,
        )
        self.worker_batch = Histogram(
            "fairclick_worker_batch_seconds",
            "Duration of one worker batch",
            buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self._by_status: dict[int, Counter] = {}
        if db is not None:
            self.registry.register(_Lag(db, cursor))

    def count(self, status: int, seconds: float) -> None:
        """One request answered with `status` after `seconds`."""
        child = self._by_status.get(status)
        if child is None:
            child = self._by_status[status] = self.requests.labels(str(status))
        child.inc()
        self.latency.observe(seconds)

    def journal_commit_done(self, rows: int, seconds: float) -> None:
        """Called by the journal writer after each group commit."""
        self.journal_groups.observe(rows)
        self.journal_commit.observe(seconds)

    def batch_done(self, result: BatchResult, seconds: float) -> None:
        """Called by the worker after each batch."""
        self.worker_clicks.labels("valid").inc(result.valid)
        self.worker_clicks.labels("invalid").inc(result.invalid)
        self.worker_batch.observe(seconds)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
