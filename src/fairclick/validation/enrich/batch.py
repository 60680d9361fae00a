"""Enrich a batch of clicks at once: columns the rules read, built once per batch.

Work is done once per distinct value of the batch and spread over its clicks: each distinct
address is parsed, hashed (both cached across batches by the caller) and looked up (one
`searchsorted` per batch), each distinct user agent classified, each (address hash, user agent)
hashed into its cookie-less visitor key (memoised), each link or path turned into its scope.
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import count, repeat
from typing import TypeVar, cast

import numpy as np

from fairclick.domain.click import ClickEvent
from fairclick.validation.columns import ClickColumns
from fairclick.validation.decisions import EnrichmentColumns
from fairclick.validation.enrich.ip import IpInfo, IpRanges, ParsedIp, ip_hash, parse_ip
from fairclick.validation.enrich.ua import UaClassifier, UaInfo

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class HostingAsn:
    """One row of the curated hosting/cloud/VPN list."""

    asn: int
    owner: str
    kind: str  # cloud | hosting | vpn
    source: str


def load_hosting_asns() -> dict[int, HostingAsn]:
    """The curated list shipped in the package (`data/hosting_asns.csv`)."""
    path = resources.files("fairclick.validation.data").joinpath("hosting_asns.csv")
    with path.open(encoding="utf-8") as handle:
        return {
            int(r["asn"]): HostingAsn(int(r["asn"]), r["owner"], r["kind"], r["source"])
            for r in csv.DictReader(handle)
        }


def visitor_key_of(click: ClickEvent, hashed_ip: str) -> tuple[str, str]:
    """(visitor key, cookie-less key). The visitor key is the first-party cookie id when there
    is one (`v:` + id), else the keyed IP hash with the UA (`h:` + 32 hex); the second key is
    always the latter, so cookie-dropping repeats are caught too. Same definition as
    `fairclick.clicks.pipeline.basic_enrichment`."""
    alt = alt_key(hashed_ip, click.user_agent)
    cookie = click.visitor_id or click.assigned_visitor_id
    return ("v:" + cookie if cookie else alt), alt


def alt_key(hashed_ip: str, user_agent: str) -> str:
    """The cookie-less visitor key of (keyed IP hash, user agent): `h:` + 32 hex of SHA-256
    of `hashed_ip|user_agent`."""
    return alt_keys(user_agent, [hashed_ip])[0]


def alt_keys(user_agent: str, hashed_ips: list[str]) -> list[str]:
    """`alt_key` of `user_agent` with each of `hashed_ips`. Memoised by agent, then by address
    hash: a batch's few agents are looked up once each, and its pairs by the address hash alone
    (a string whose hash is cached, the same object every batch: it comes from the caller's
    address cache), with no key tuple per pair."""
    global _ALT_COUNT
    memo = _ALT_KEYS.get(user_agent)
    if memo is None:
        memo = _ALT_KEYS[user_agent] = {}
    found: list[str | None] = list(map(memo.get, hashed_ips))
    missing = [k for k, alt in enumerate(found) if alt is None]
    if missing:
        if _ALT_COUNT + len(missing) > _ALT_LIMIT:
            _ALT_KEYS.clear()
            _ALT_COUNT = 0
            memo = _ALT_KEYS[user_agent] = {}
        _ALT_COUNT += len(missing)
        # UTF-8 of the joined text is the address hash's bytes then the suffix's.
        suffix = ("|" + user_agent).encode()
        sha256 = hashlib.sha256
        for k in missing:
            hashed = hashed_ips[k]
            found[k] = memo[hashed] = "h:" + sha256(hashed.encode() + suffix).hexdigest()[:32]
    return cast(list[str], found)


_ALT_KEYS: dict[str, dict[str, str]] = {}  # user agent → address hash → cookie-less key
_ALT_COUNT = 0  # keys held in `_ALT_KEYS`
_ALT_LIMIT = 200_000  # a pure function's memo: cleared, not evicted, past it


def forget_alt_keys() -> None:
    """Empty the memo of `alt_keys` (a pure function's: later calls answer the same)."""
    global _ALT_COUNT
    _ALT_KEYS.clear()
    _ALT_COUNT = 0


def micros(ts: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float)."""
    return (ts - _EPOCH) // _US


KnownIp = tuple[ParsedIp | None, str, IpInfo]  # an address parsed, hashed and looked up


@dataclass(slots=True)
class EnrichedBatch:
    """Columns of one batch, in event-time order; index i is the i-th click.

    What is a function of a click's address, user agent or (address, agent) pair is held once
    per distinct value of the batch, its "row" (`by` "ip", "ua", "pair"), with each click's
    row in `ip_row`, `ua_row`, `pair_row` (None: one row per click). Rules work per row and
    spread the result over the clicks (`spread`, `agent_mask`, `hosted_mask`, `shared`...), or
    read one click's value (`agent`, `info`, `hashed`, `hosted`, `parsed`, `prefix`) or those
    of some clicks (`at`)."""

    columns: ClickColumns
    ts_us: list[int]
    methods: list[str]
    agents: Sequence[UaInfo]  # by "ua" row
    addresses: Sequence[ParsedIp | None]  # by "ip" row, as are the next three
    address_hashes: Sequence[str]
    address_infos: Sequence[IpInfo]
    address_hosting: Sequence[HostingAsn | None]
    visitor_key: list[str]
    alt_key: list[str]  # the same list as `visitor_key` when no click has a cookie
    pair_alts: Sequence[str]  # `alt_key` by "pair" row
    scope: list[str]  # dedupe/timing scope: link (platform) or URL path (audit)
    ip_row: np.ndarray | None = field(default=None, compare=False)
    ua_row: np.ndarray | None = field(default=None, compare=False)
    pair_row: np.ndarray | None = field(default=None, compare=False)

    def rows(self, by: str) -> np.ndarray | None:
        """Each click's row among the distinct values of `by` (None: one row per click)."""
        if by == "ip":
            return self.ip_row
        if by == "ua":
            return self.ua_row
        if by == "pair":
            return self.pair_row
        raise KeyError(by)

    def at(self, by: str, values: Sequence[T], clicks: np.ndarray) -> list[T]:
        """The value of each of `clicks` from `values`, one per row of `by`."""
        rows = self.rows(by)
        return list(map(values.__getitem__, (clicks if rows is None else rows[clicks]).tolist()))

    def spread(self, by: str, values: np.ndarray) -> np.ndarray:
        """A numpy column of every click from `values`, one per row of `by`."""
        rows = self.rows(by)
        return values if rows is None else values[rows]

    def agent_mask(self, test: Callable[[UaInfo], bool]) -> np.ndarray:
        """Per click, `test` of its user agent's `UaInfo`, called once per distinct agent."""
        agents = self.agents
        return self.spread("ua", np.fromiter(map(test, agents), bool, len(agents)))

    def hosted_mask(self) -> np.ndarray:
        """Per click, whether its address is in a listed hosting network."""
        hosting = self.address_hosting
        listed = np.fromiter(map(operator.is_not, hosting, repeat(None)), bool, len(hosting))
        return self.spread("ip", listed)

    def asn_mask(self, asns: Iterable[int]) -> np.ndarray:
        """Per click, whether its address is announced by one of `asns`."""
        infos = self.address_infos
        column = np.fromiter((info.asn for info in infos), np.int64, len(infos))
        return self.spread("ip", np.isin(column, np.fromiter(asns, np.int64)))

    def shared(self, clicks: np.ndarray, by: str, make: Callable[[int], T]) -> dict[int, T]:
        """{i: make(i)} for `clicks` (ascending), where `make(i)` is a function of click i's
        `by` value only: made once per distinct value and shared by its clicks (rules' hits are
        frozen, their evidence never changed)."""
        rows = self.rows(by)
        if rows is None:
            return {i: make(i) for i in clicks.tolist()}
        # Rows numbered by their first click among `clicks`: that click makes the row's value.
        _, first, numbered = np.unique(rows[clicks], return_index=True, return_inverse=True)
        made = _objects([make(i) for i in clicks[first].tolist()])
        return dict(zip(clicks.tolist(), made[numbered.reshape(-1)].tolist(), strict=True))

    def agent(self, i: int) -> UaInfo:
        """What the user agent of click i is."""
        rows = self.ua_row
        return self.agents[i if rows is None else rows[i]]

    def info(self, i: int) -> IpInfo:
        """What the ranges say of click i's address."""
        rows = self.ip_row
        return self.address_infos[i if rows is None else rows[i]]

    def hashed(self, i: int) -> str:
        """The keyed hash of click i's address ("" without a valid IP)."""
        rows = self.ip_row
        return self.address_hashes[i if rows is None else rows[i]]

    def hosted(self, i: int) -> HostingAsn | None:
        """The hosting network click i comes from, if listed."""
        rows = self.ip_row
        return self.address_hosting[i if rows is None else rows[i]]

    def parsed(self, i: int) -> ParsedIp | None:
        """Click i's parsed address (None without a valid IP)."""
        rows = self.ip_row
        return self.addresses[i if rows is None else rows[i]]

    def row_list(self, by: str) -> list[int]:
        """Each click's row of `by`, as a list."""
        rows = self.rows(by)
        return list(range(len(self))) if rows is None else rows.tolist()

    def __len__(self) -> int:
        return len(self.ts_us)

    @property
    def clicks(self) -> list[ClickEvent]:
        """The events of the batch, when it was built from events."""
        if self.columns.events is None:
            raise ValueError("this batch was built from columns: it has no events")
        return self.columns.events

    def enrichment_columns(self) -> EnrichmentColumns:
        """Every click's `Enrichment` as columns (`EnrichmentColumns.enrichment(i)` gives
        click i's)."""
        n = len(self)
        ip_row = self.ip_row if self.ip_row is not None else np.arange(n)
        ua_row = self.ua_row if self.ua_row is not None else np.arange(n)
        uas, infos = self.agents, self.address_infos
        return EnrichmentColumns(
            visitor_key=self.visitor_key,
            ip_row=ip_row,
            ip_prefix=[p.prefix if p is not None else "" for p in self.addresses],
            ip_hash=list(self.address_hashes),
            country=[info.country or None for info in infos],
            asn=[info.asn or None for info in infos],
            as_org=[info.as_org or None for info in infos],
            is_datacenter=[h is not None for h in self.address_hosting],
            ua_row=ua_row,
            browser=[ua.browser for ua in uas],
            browser_version=[ua.browser_version for ua in uas],
            os=[ua.os for ua in uas],
            device=[ua.device for ua in uas],
            bot_name=[ua.bot_name for ua in uas],
        )

    def prefix(self, i: int) -> str:
        """The /24 or /48 of click i ("" without a valid IP)."""
        parsed = self.parsed(i)
        return parsed.prefix if parsed is not None else ""

    def ip_address(self, i: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The parsed address of click i (for allow-lists)."""
        parsed = self.parsed(i)
        if parsed is None:
            return None
        if parsed.version == 4:
            return ipaddress.IPv4Address(parsed.value)
        return ipaddress.IPv6Address(parsed.value)


def scope_of(click: ClickEvent, platform: bool) -> str:
    """What dedupe and preview timing are counted on: the link, or the URL path in an audit."""
    return _scope(click.link_id, click.code, click.path, platform)


def _scope(link_id: int | None, code: str, path: str, platform: bool) -> str:
    if platform:
        if link_id is not None:
            return f"link:{link_id}"
        return f"code:{code}"
    return "path:" + (path or code).split("?", 1)[0]


def enrich(
    clicks: Sequence[ClickEvent] | ClickColumns,
    *,
    ranges: IpRanges,
    classifier: UaClassifier,
    hosting: dict[int, HostingAsn],
    secret_key: str,
    platform: bool,
    ip_cache: dict[str, KnownIp] | None = None,
) -> EnrichedBatch:
    """Enrich `clicks` (already in event-time order). `ip_cache` (address → parsed address,
    keyed hash under `secret_key` and what `ranges` say of it) may be kept by the caller across
    batches for the same secret and ranges: returning visitors are then parsed, hashed and
    looked up once.

    Work is done per distinct value of the batch (address, user agent, method, link or path),
    then spread over the clicks: equal values share one object."""
    table = clicks if isinstance(clicks, ClickColumns) else ClickColumns.of_events(clicks)
    n = len(table)
    cache: dict[str, KnownIp] = {} if ip_cache is None else ip_cache
    ips = table.ip
    ip_rows = dict(zip(dict.fromkeys(ips), count()))  # address → row, by first click
    ip_row = np.fromiter(map(ip_rows.__getitem__, ips), np.intp, n)
    found: list[KnownIp | None] = list(map(cache.get, ip_rows))
    new = [j for j, k in enumerate(found) if k is None]
    if new:
        distinct = list(ip_rows)
        addresses = [distinct[j] for j in new]
        parsed = [parse_ip(ip) if ip else None for ip in addresses]
        infos = ranges.lookup(parsed)
        for j, ip, address, info in zip(new, addresses, parsed, infos, strict=True):
            hashed = ip_hash(ip, secret_key) if address else ""
            found[j] = cache[ip] = (address, hashed, info)
    known = cast(list[KnownIp], found)  # every address is known now
    infos_d = [k[2] for k in known]

    agents = table.user_agent
    ua_rows = dict(zip(dict.fromkeys(agents), count()))
    ua_row = np.fromiter(map(ua_rows.__getitem__, agents), np.intp, n)
    classify = classifier.classify
    # The cookie-less key once per distinct (address, agent) pair of the batch, numbered by
    # agent then address: each agent's pairs are one run of `pairs`.
    n_ips = max(len(ip_rows), 1)
    pairs, pair_row = _pair_rows(ua_row * n_ips + ip_row, len(ua_rows) * n_ips)
    pair_ip = (pairs % n_ips).tolist()
    bounds = np.searchsorted(pairs // n_ips, np.arange(len(ua_rows) + 1)).tolist()
    alts_d: list[str] = []
    for u, agent in enumerate(ua_rows):
        run = pair_ip[bounds[u] : bounds[u + 1]]
        alts_d += alt_keys(agent, [known[j][1] for j in run])
    alts: list[str] = _objects(alts_d)[pair_row].tolist()
    vkeys = alts  # no click has a cookie (an audit): the cookie-less key is the visitor's
    if any(table.visitor_id) or any(table.assigned_visitor_id):
        vkeys = [
            "v:" + cookie if (cookie := visitor or assigned) else alt
            for visitor, assigned, alt in zip(
                table.visitor_id, table.assigned_visitor_id, alts, strict=True
            )
        ]
    methods = table.method
    upper = {m: m.upper() for m in set(methods)}
    return EnrichedBatch(
        columns=table,
        ts_us=table.ts_us,
        methods=list(map(upper.__getitem__, methods)),
        agents=[classify(ua) for ua in ua_rows],
        addresses=[k[0] for k in known],
        address_hashes=[k[1] for k in known],
        address_infos=infos_d,
        address_hosting=[hosting.get(info.asn) for info in infos_d],
        visitor_key=vkeys,
        alt_key=alts,
        pair_alts=alts_d,
        scope=_scopes(table, platform),
        ip_row=ip_row,
        ua_row=ua_row,
        pair_row=pair_row,
    )


def _pair_rows(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(codes, return_inverse=True)` of codes in [0, size): by marking a table
    when it is not much larger than the batch (no sort), else by `np.unique`."""
    if size > 64 * codes.size + 4096:
        pairs, rows = np.unique(codes, return_inverse=True)
        return pairs, rows.reshape(-1)
    present = np.zeros(size, bool)
    present[codes] = True
    pairs = np.flatnonzero(present)
    rank = np.cumsum(present, dtype=np.int32 if size < 2**31 else np.int64)
    return pairs, (rank[codes] - 1).astype(np.intp)


def _objects(values: Sequence[object]) -> np.ndarray:
    """A 1-d object array of `values` (tuples stay elements), to spread over clicks by row."""
    return np.fromiter(values, object, len(values))


def _scopes(table: ClickColumns, platform: bool) -> list[str]:
    # `scope_of` once per distinct link (platform) or path (audit): equal scopes share a string.
    # When every click has a link (platform) or a path (audit), the scope is a function of that
    # column alone: one lookup per click, in C.
    if platform:
        links = table.link_id
        if None not in links:
            by_link = {link: _scope(link, "", "", True) for link in dict.fromkeys(links)}
            return list(map(by_link.__getitem__, links))
    elif all(table.path):
        paths = table.path
        by_path = {path: _scope(None, "", path, False) for path in dict.fromkeys(paths)}
        return list(map(by_path.__getitem__, paths))
    memo: dict[object, str] = {}
    out = []
    for link_id, code, path in zip(table.link_id, table.code, table.path, strict=True):
        key: object = (
            (link_id if link_id is not None else ("code", code)) if platform else (path or code)
        )
        scope = memo.get(key)
        if scope is None:
            scope = memo[key] = _scope(link_id, code, path, platform)
        out.append(scope)
    return out
