"""Ingest's record parser gives, line for line, the rows and the messages of the reference
parser (one line read alone, as ingest parsed before it remembered repeated values)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairclick.clicks.ingest import MAX_LINE, MalformedRecord, RecordParser
from fairclick.domain.clock import parse_timestamp
from fairclick.domain.ids import is_valid_code, new_click_id
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
from tests.conftest import TestDb
from tests.factories import load_world

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


def _reference_text(record: dict[str, Any], name: str, limit: int) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedRecord(f"`{name}` must be a string")
    return clean(value, limit)


def reference_parse(line: bytes, cache: LinkCache) -> JournalRow:
    """The per-line parser as it was before the parser remembered values (the contract)."""
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
    except (ValueError, TypeError, AttributeError, OverflowError, OSError):  # was a crash
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
        _reference_text(record, "user_agent", MAX_UA),
        _reference_text(record, "referer", MAX_REFERER),
        _reference_text(record, "accept_language", MAX_LANGUAGE),
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


def _outcome(parse: Any, line: bytes) -> Any:
    """The row without its (random) click id, or the message; tz offsets compared too."""
    try:
        row = parse(line)
    except MalformedRecord as exc:
        return ("malformed", str(exc))
    return (row[1:], row.ts.utcoffset(), type(row.ts.tzinfo))


TIMESTAMPS: list[Any] = [
    "2025-11-17T06:00:00Z",
    "2025-11-17T06:00:00.123456Z",
    "2025-11-17T06:00:00.1Z",
    "2025-11-17T06:00:00.1234567Z",
    "2025-11-17T06:00:00z",
    "2025-11-17T07:00:00+01:00",
    "2025-11-17 06:00:00Z",
    " 2025-11-17T06:00:00Z",
    "2025-11-17T06:00:00Z ",
    "2025-11-17Z",
    "2025-11-17T06Z",
    "2025-11-17T06:00Z",
    "2025-13-45T00:00:00Z",
    "2025-11-17T06:00:00+00:00Z",
    "20251117T060000Z",
    "Z",
    "",
    "1763359200",
    "1763359200.5",
    1763359200,
    1763359200.25,
    1e20,
    True,
    None,
    [1],
    "2025-11-23T23:00:00Z",  # the example campaign's end: not running any more
    "2025-11-16T22:59:59.999999Z",
]
CODES: list[Any] = ["bviabRurGt", "camilleIG01", "unknownCode", "bad code!", "a\x00b", "", 42]
CODES += ["x" * 80, "bviabRurGt\n"]
IPS: list[Any] = ["90.12.4.7", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4"]
IPS += [" 90.12.4.7", "90.12.4.7 ", "1.2.3", "1.2.3.4.5", "١.2.3.4", "::1", "2001:DB8::1"]
IPS += ["::ffff:1.2.3.4", "fe80::1%eth0", "", None, 7, "not an ip"]
METHODS: list[Any] = ["GET", "get", "HEAD", "post", "PATCH", "BREW", "", None, 1, ["GET"]]
IDS: list[Any] = ["ext-1", 12, True, 1.5, None, "x" * 200, "a\tb", [1]]
HEADERS: list[Any] = [
    {"Sec-Fetch-Mode": "navigate"},
    {"sec-fetch-mode": "navigate", "accept": "text/html"},
    {"x-n": 1},
    {"x-n": 1.0},
    {"x-n": True},
    {"x-n": "1"},
    {"x-n": None, "x-m": [1], "x-o": {"a": 1}},
    {"x-n": [1]},
    {"X\u0007Ctl": "v\u0000al", "y": "z" * 600},
    {f"h{n}": str(n) for n in range(70)},
    {},
    None,
    [1],
    "text",
]
TEXTS: list[Any] = ["Mozilla/5.0", "a\x01b", "é" * 2500, "", None, 3]
VISITORS: list[Any] = ["visitor-1", "", None, "v" * 100, "a\nb", 5]

RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "ts": st.sampled_from(TIMESTAMPS),
        "code": st.sampled_from(CODES),
        "ip": st.sampled_from(IPS),
        "method": st.sampled_from(METHODS),
        "id": st.sampled_from(IDS),
        "headers": st.sampled_from(HEADERS),
        "user_agent": st.sampled_from(TEXTS),
        "referer": st.sampled_from(TEXTS),
        "accept_language": st.sampled_from(TEXTS),
        "visitor_id": st.sampled_from(VISITORS),
    },
)
RAW_LINES = [
    b"{not json",
    b"[1, 2]",
    b"null",
    b'"text"',
    b'{"ts": "2025-11-17T06:00:00Z", "code": "bviabRurGt", "ts": 5}',
    b'{"ts": "2025-11-17T06:00:00Z", "code": "bviabRurGt"}' + b" " * MAX_LINE,
    b"\xff\xfe",
]


@pytest.fixture
def cache(sqlite_db: TestDb) -> LinkCache:
    load_world(sqlite_db.db)
    cache = LinkCache(sqlite_db.db.engine)
    cache.load()
    return cache


def test_every_listed_value_parses_as_the_reference_does(cache: LinkCache) -> None:
    parser = RecordParser(cache)
    base: dict[str, Any] = {"ts": "2025-11-17T06:00:00Z", "code": "bviabRurGt"}
    columns = {
        "ts": TIMESTAMPS,
        "code": CODES,
        "ip": IPS,
        "method": METHODS,
        "id": IDS,
        "headers": HEADERS,
        "user_agent": TEXTS,
        "referer": TEXTS,
        "accept_language": TEXTS,
        "visitor_id": VISITORS,
    }
    lines = [orjson.dumps(base | {name: v}) for name, vs in columns.items() for v in vs]
    lines += RAW_LINES
    for _ in range(2):  # the second pass reads every value from the parser's memory
        for line in lines:
            assert _outcome(parser.parse, line) == _outcome(
                lambda raw: reference_parse(raw, cache), line
            ), line[:200]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(RECORDS, min_size=1, max_size=8))
def test_generated_records_parse_as_the_reference_does(
    cache: LinkCache, records: list[dict[str, Any]]
) -> None:
    parser = RecordParser(cache)
    for record in records:
        line = orjson.dumps(record)
        expected = _outcome(lambda raw: reference_parse(raw, cache), line)
        assert _outcome(parser.parse, line) == expected
        assert _outcome(lambda raw: RecordParser(cache).parse(raw), line) == expected  # fresh


@pytest.mark.parametrize("ts", [None, [1], {"a": 1}])
def test_a_timestamp_that_is_neither_text_nor_a_number_is_malformed(
    cache: LinkCache, ts: Any
) -> None:
    # It used to escape as an AttributeError and stop the whole ingest.
    line = orjson.dumps({"ts": ts, "code": "bviabRurGt"})
    with pytest.raises(MalformedRecord, match="`ts` is not RFC 3339 or epoch seconds"):
        RecordParser(cache).parse(line)


def test_rows_with_the_same_headers_share_one_dict(cache: LinkCache) -> None:
    parser = RecordParser(cache)
    line = orjson.dumps(
        {"ts": 1763359200, "code": "bviabRurGt", "headers": {"Sec-Fetch-Mode": "navigate"}}
    )
    first, second = parser.parse(line), parser.parse(line)
    assert first.headers is second.headers == {"sec-fetch-mode": "navigate"}
    assert first.click_id != second.click_id
