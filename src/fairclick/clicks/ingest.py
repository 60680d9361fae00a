"""Replay a click log: JSONL records → journal (`source=ingest`) → the worker, in event time.

Records stream through in chunks (constant memory); each chunk is appended in one transaction
(an external id already journaled is skipped, so a second ingest of a file adds nothing) and
then validated by the same worker as live clicks, whose "now" is the time of the clicks.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import orjson

from fairclick.clicks.worker import ClickWorker
from fairclick.domain.clock import parse_timestamp
from fairclick.domain.ids import is_valid_code, new_click_id
from fairclick.journal import repository as journal_repo
from fairclick.journal.rows import JournalRow
from fairclick.redirect.cache import CachedLink, LinkCache
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


_IPV4 = re.compile(  # dotted quad as `ipaddress` writes it (no leading zeros, each ≤ 255)
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    r"(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"
).fullmatch
_journal_row = partial(tuple.__new__, JournalRow)  # JournalRow(*values) without its frame
_MEMO_LIMIT = 100_000  # entries per memo; a memo that fills up starts again empty


class RecordParser:
    """Parses JSONL lines into journal rows (`parse`), remembering what repeats in a log.

    A log has few distinct codes, user agents, referrers, languages and header sets, and its IPs
    are mostly dotted quads already written the way `ipaddress` writes them: each distinct value
    is cleaned and resolved once, and a row reuses the result (rows with the same headers share
    one dict, which nothing changes). The checks and messages are those of one line read alone.
    """

    def __init__(self, cache: LinkCache) -> None:
        self._cache = cache
        self._codes: dict[str, tuple[str, str, CachedLink | None]] = {}
        self._ips: dict[str, str] = {}
        self._header_sets: dict[tuple[tuple[str, Any], ...], dict[str, str]] = {}
        self._texts: dict[str, dict[str, str]] = {
            "user_agent": {},
            "referer": {},
            "accept_language": {},
        }

    def parse(self, line: bytes) -> JournalRow:
        """One JSONL line as a journal row (link resolved, campaign running at the click's
        time); `MalformedRecord` when it is not a click record."""
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
        ts = _timestamp(record["ts"])
        code = record.get("code")
        if not isinstance(code, str) or not code:
            raise MalformedRecord("`code` is missing or not a string")
        ip = record.get("ip", "")
        if not isinstance(ip, str):
            raise MalformedRecord("`ip` must be a string")
        if ip and not _IPV4(ip):
            ip = self._ip(ip)
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
        kept = self._headers(headers) if headers else {}
        visitor = record.get("visitor_id")
        if visitor is not None and not isinstance(visitor, str):
            raise MalformedRecord("`visitor_id` must be a string")

        try:
            code, path, link = self._codes[code]
        except KeyError:
            code, path, link = self._code(code)
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
        user_agent = self._text(record, "user_agent", MAX_UA)
        referer = self._text(record, "referer", MAX_REFERER)
        language = self._text(record, "accept_language", MAX_LANGUAGE)
        return _journal_row(
            (
                new_click_id(),
                ts,
                "ingest",
                code,
                path,
                method,
                status,
                ip,
                user_agent,
                referer,
                language,
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
        )

    def _ip(self, ip: str) -> str:
        try:
            return self._ips[ip]
        except KeyError:
            pass
        try:
            normal = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise MalformedRecord(f"`ip` is not an IP address: {ip!r:.50}") from None
        _remember(self._ips, ip, normal)
        return normal

    def _code(self, raw: str) -> tuple[str, str, CachedLink | None]:
        code = clean(raw, MAX_CODE)
        link = self._cache.get(code) if is_valid_code(code) else None
        entry = (code, clean(f"/c/{code}", MAX_PATH), link)
        _remember(self._codes, raw, entry)
        return entry

    def _headers(self, headers: dict[str, Any]) -> dict[str, str]:
        try:
            key = tuple(headers.items())
            return self._header_sets[key]
        except (KeyError, TypeError):  # TypeError: a list or object among the values
            pass
        kept = {
            clean(str(k).lower(), 64): clean(str(v), MAX_HEADER)
            for k, v in list(headers.items())[:64]
            if isinstance(v, str | int | float)
        }
        # Only sets of strings are remembered: 1, 1.0 and true are equal keys but not equal
        # headers once written as text.
        if all(type(v) is str for v in headers.values()):
            _remember(self._header_sets, key, kept)
        return kept

    def _text(self, record: dict[str, Any], name: str, limit: int) -> str:
        value = record.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise MalformedRecord(f"`{name}` must be a string")
        seen = self._texts[name]
        try:
            return seen[value]
        except KeyError:
            cleaned = clean(value, limit)
            _remember(seen, value, cleaned)
            return cleaned


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def _timestamp(value: Any) -> datetime:
    # The common case first: RFC 3339 in UTC ("...Z"), which `fromisoformat` reads alone and
    # reads the same as `parse_timestamp` does; anything else (or anything it refuses) goes
    # through `parse_timestamp`, the reference.
    if type(value) is str and value[-1:] == "Z":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError, AttributeError, OverflowError, OSError):  # null, [], {}
        raise MalformedRecord(f"`ts` is not RFC 3339 or epoch seconds: {value!r:.40}") from None


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
    parse = RecordParser(cache).parse
    chunk: list[JournalRow] = []
    for number, line in enumerate(lines, start=1):
        summary.lines = number
        if not line or line.isspace():  # bytes.isspace: the whitespace bytes.strip removes
            continue
        try:
            row = parse(line)
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
