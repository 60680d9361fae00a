"""Replay a click log: JSONL records → journal (`source=ingest`) → the worker, in event time.

Records stream through in chunks (constant memory); each chunk is appended in one transaction
(an external id already journaled is skipped, so a second ingest of a file adds nothing) and
then validated by the same worker as live clicks, whose "now" is the time of the clicks.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from fairclick.clicks.worker import ClickWorker
from fairclick.domain.clock import parse_timestamp
from fairclick.domain.ids import is_valid_code, new_click_id
from fairclick.journal import repository as journal_repo
from fairclick.journal.rows import JournalRow
from fairclick.redirect.cache import LinkCache
from fairclick.redirect.request import (
    MAX_CODE,
    MAX_HEADER,
    MAX_LANGUAGE,
    MAX_PATH,
    MAX_REFERER,
    MAX_UA,
    clean,
)
from fairclick.store import Database

MAX_LINE = 64 * 1024
MAX_EXAMPLES = 5
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


class MalformedRecord(ValueError):
    """A line that is not a click record; the message says why."""


@dataclass
class IngestSummary:
    """What an ingest did; `errors` keeps the first few malformed lines (number, reason)."""

    lines: int = 0
    records: int = 0
    appended: int = 0
    duplicates: int = 0
    malformed: int = 0
    unknown_codes: int = 0
    inactive: int = 0
    validated: int = 0
    valid: int = 0
    invalid: int = 0
    billed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    retro_reverdicted: int = 0
    retro_reversed: int = 0
    retro_by_reason: dict[str, int] = field(default_factory=dict)


def _text(record: dict[str, Any], name: str, limit: int) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedRecord(f"`{name}` must be a string")
    return clean(value, limit)


def parse_record(line: bytes, cache: LinkCache) -> JournalRow:
    """One JSONL line as a journal row (link resolved, campaign running at the click's time);
    `MalformedRecord` when it is not a click record."""
    if len(line) > MAX_LINE:
        raise MalformedRecord(f"line longer than {MAX_LINE} bytes")
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise MalformedRecord(f"not JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise MalformedRecord("not a JSON object")
    if "ts" not in record:
        raise MalformedRecord("`ts` is missing")
    try:
        ts: datetime = parse_timestamp(record["ts"])
    except (ValueError, TypeError, OverflowError, OSError):
        raise MalformedRecord(
            f"`ts` is not RFC 3339 or epoch seconds: {record['ts']!r:.40}"
        ) from None
    code = record.get("code")
    if not isinstance(code, str) or not code:
        raise MalformedRecord("`code` is missing or not a string")
    ip = record.get("ip", "")
    if not isinstance(ip, str):
        raise MalformedRecord("`ip` must be a string")
    if ip:
        try:
            ip = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise MalformedRecord(f"`ip` is not an IP address: {ip!r:.50}") from None
    method = record.get("method") or "GET"
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise MalformedRecord(f"`method` is not an HTTP method: {method!r:.20}")
    method = method.upper()
    external = record.get("id")
    if external is not None:
        if isinstance(external, bool) or not isinstance(external, str | int):
            raise MalformedRecord("`id` must be a string or an integer")
        external = clean(str(external), 128)
    headers = record.get("headers") or {}
    if not isinstance(headers, dict):
        raise MalformedRecord("`headers` must be an object")
    kept = {
        clean(str(k).lower(), 64): clean(str(v), MAX_HEADER)
        for k, v in list(headers.items())[:64]
        if isinstance(v, str | int | float)
    }
    visitor = record.get("visitor_id")
    if visitor is not None and not isinstance(visitor, str):
        raise MalformedRecord("`visitor_id` must be a string")

    code = clean(code, MAX_CODE)
    link = cache.get(code) if is_valid_code(code) else None
    active = (
        link is not None
        and link.start_at <= ts < link.end_at
        and (link.campaign_status in ("active", "ended"))
    )
    if link is None:
        status = 404
    elif method not in ("GET", "HEAD"):
        status = 405
    else:
        status = 302 if active or link.fallback else 410
    return JournalRow(
        new_click_id(),
        ts,
        "ingest",
        code,
        clean(f"/c/{code}", MAX_PATH),
        method,
        status,
        ip,
        _text(record, "user_agent", MAX_UA),
        _text(record, "referer", MAX_REFERER),
        _text(record, "accept_language", MAX_LANGUAGE),
        kept,
        clean(visitor, 64) if visitor else None,
        None,
        external,
        link.link_id if link else None,
        link.campaign_id if link else None,
        link.influencer_id if link else None,
        link.post_id if link else None,
        active and status == 302,
    )


class StopIngest(Exception):
    """`--on-error stop` met a malformed line."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def ingest(
    db: Database,
    lines: Iterable[bytes],
    worker: ClickWorker,
    *,
    stop_on_error: bool = False,
    chunk_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    retro: bool = True,
) -> IngestSummary:
    """Append the records of `lines` to the journal chunk by chunk and validate each chunk,
    then (with `retro`) run the retro-analysis over the ingested time span, in event time.
    With `stop_on_error`, the first malformed line raises `StopIngest` (chunks before it are
    kept: a rerun after fixing the file is idempotent)."""
    summary = IngestSummary()
    stage = worker.times.stage
    cache = LinkCache(db.engine)
    cache.load()
    chunks = _chunks(lines, cache, summary, stop_on_error, chunk_size)
    while True:
        with stage("parse"):
            chunk = next(chunks, None)
        if chunk is None:
            break
        low, high = min(r.ts for r in chunk), max(r.ts for r in chunk)
        summary.first_ts = low if summary.first_ts is None else min(summary.first_ts, low)
        summary.last_ts = high if summary.last_ts is None else max(summary.last_ts, high)
        with stage("journal append"), db.engine.begin() as conn:
            appended = journal_repo.append_rows(conn, chunk)
        summary.appended += appended
        summary.duplicates += len(chunk) - appended
        done = worker.drain()
        summary.validated += done.clicks
        summary.valid += done.valid
        summary.invalid += done.invalid
        summary.billed += done.billed
        if progress is not None:
            progress(summary.lines)
    if retro and summary.first_ts is not None and summary.last_ts is not None:
        with stage("retro-analysis"):
            _retro(db, summary, summary.first_ts, summary.last_ts)
    return summary


def _retro(db: Database, summary: IngestSummary, first: datetime, last: datetime) -> None:
    from fairclick.clicks.retro import run_retro
    from fairclick.ledger.posting import reverser

    with db.session() as session:
        found = run_retro(
            session,
            since=first,
            until=last + timedelta(microseconds=1),
            at=last,  # event time: the re-verdict happens "when" the log ends
            reverser=reverser,
        )
    summary.retro_reverdicted = found.reverdicted
    summary.retro_reversed = found.reversed_billed
    summary.retro_by_reason = found.by_reason
    summary.valid -= found.reverdicted
    summary.billed -= found.reversed_billed
    summary.invalid += found.reverdicted
    summary.reasons.update(found.by_reason)


def _chunks(
    lines: Iterable[bytes],
    cache: LinkCache,
    summary: IngestSummary,
    stop_on_error: bool,
    size: int,
) -> Iterator[list[JournalRow]]:
    chunk: list[JournalRow] = []
    for number, line in enumerate(lines, start=1):
        summary.lines = number
        if not line.strip():
            continue
        try:
            row = parse_record(line, cache)
        except MalformedRecord as exc:
            if stop_on_error:
                raise StopIngest(number, str(exc)) from None
            summary.malformed += 1
            if len(summary.errors) < MAX_EXAMPLES:
                summary.errors.append((number, str(exc)))
            continue
        summary.records += 1
        summary.unknown_codes += row.link_id is None
        summary.inactive += row.link_id is not None and not row.campaign_active
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
