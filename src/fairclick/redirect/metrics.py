"""Prometheus metrics of the redirect, the journal and the worker (text format at /metrics).

Counters and histograms live in one registry per process; the worker's lag is read from the
database at scrape time (the age of the oldest journal entry the worker has not processed), so
that it is right whichever process runs the worker.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
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


class _Requests(Collector):
    """Request counts and latencies kept as plain numbers by the event-loop thread (no lock,
    no label lookup per request: this is on the redirect's hot path), exposed at scrape time."""

    def __init__(self) -> None:
        self.by_status: dict[int, int] = {}
        self.buckets = [0] * (len(_LATENCY_BUCKETS) + 1)
        self.total_seconds = 0.0

    def add(self, status: int, seconds: float) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1
        self.buckets[bisect_left(_LATENCY_BUCKETS, seconds)] += 1
        self.total_seconds += seconds

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        counts = CounterMetricFamily(
            "fairclick_redirect_requests", "Requests to /c/ by HTTP status", labels=["status"]
        )
        for status, count in sorted(dict(self.by_status).items()):  # copy: loop thread writes
            counts.add_metric([str(status)], count)
        yield counts
        cumulative, running = [], 0
        for bound, count in zip([*_LATENCY_BUCKETS, float("inf")], list(self.buckets), strict=True):
            running += count
            cumulative.append((str(bound) if bound != float("inf") else "+Inf", running))
        yield HistogramMetricFamily(
            "fairclick_redirect_latency_seconds",
            "Time from request to response, journal commit included",
            buckets=cumulative,
            sum_value=self.total_seconds,
        )


class Metrics:
    """The process's metrics; `render()` gives the exposition text."""

    def __init__(self, db: Database | None = None, cursor: str = DEFAULT_CURSOR) -> None:
        self.registry = CollectorRegistry()
        self.requests = _Requests()
        self.registry.register(self.requests)
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
        if db is not None:
            self.registry.register(_Lag(db, cursor))

    def count(self, status: int, seconds: float) -> None:
        """One request answered with `status` after `seconds` (event-loop thread only)."""
        self.requests.add(status, seconds)

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
