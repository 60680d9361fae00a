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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources

import numpy as np

from fairclick.domain.click import ClickEvent
from fairclick.validation.decisions import Enrichment, EnrichmentColumns
from fairclick.validation.enrich.ip import IpInfo, IpRanges, ParsedIp, ip_hash, parse_ip
from fairclick.validation.enrich.ua import UaClassifier, UaInfo

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
    """The cookie-less visitor key of (keyed IP hash, user agent): `h:` + 32 hex of SHA-256.
    Memoised on the hashed text itself (strings only: nothing for the garbage collector to
    walk), so returning visitors cost a lookup."""
    text = f"{hashed_ip}|{user_agent}"
    found = _ALT_KEYS.get(text)
    if found is None:
        if len(_ALT_KEYS) >= _ALT_LIMIT:
            _ALT_KEYS.clear()
        found = _ALT_KEYS[text] = "h:" + hashlib.sha256(text.encode()).hexdigest()[:32]
    return found


_ALT_KEYS: dict[str, str] = {}
_ALT_LIMIT = 200_000  # a pure function's memo: cleared, not evicted, past it


def micros(ts: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float)."""
    return (ts - _EPOCH) // _US


@dataclass(slots=True)
class EnrichedBatch:
    """Columns of one batch, in event-time order; index i is the i-th click."""

    clicks: list[ClickEvent]
    ts_us: list[int]
    methods: list[str]
    ua: list[UaInfo]
    parsed_ip: list[ParsedIp | None]
    ip_info: list[IpInfo]
    ip_hash: list[str]
    visitor_key: list[str]
    alt_key: list[str]
    hosting: list[HostingAsn | None]
    scope: list[str]  # dedupe/timing scope: link (platform) or URL path (audit)
    # Click i's row among the batch's distinct addresses and agents (first-seen order), which
    # `enrichment_columns` keeps the address and agent fields by; None: one row per click.
    ip_row: np.ndarray | None = field(default=None, compare=False)
    ua_row: np.ndarray | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.clicks)

    def enrichment(self, i: int) -> Enrichment:
        """The `Enrichment` of click i."""
        ua, info, parsed = self.ua[i], self.ip_info[i], self.parsed_ip[i]
        return Enrichment(
            ip_prefix=parsed.prefix if parsed else "",
            ip_hash=self.ip_hash[i],
            visitor_key=self.visitor_key[i],
            country=info.country or None,
            asn=info.asn or None,
            as_org=info.as_org or None,
            is_datacenter=self.hosting[i] is not None,
            browser=ua.browser,
            browser_version=ua.browser_version,
            os=ua.os,
            device=ua.device,
            bot_name=ua.bot_name,
        )

    def enrichment_columns(self) -> EnrichmentColumns:
        """Every click's `Enrichment` as columns (`enrichment(i)` equals its row i)."""
        n = len(self.clicks)
        ip_row = self.ip_row if self.ip_row is not None else np.arange(n)
        ua_row = self.ua_row if self.ua_row is not None else np.arange(n)
        ips = _first_rows(ip_row)
        uas = [self.ua[i] for i in _first_rows(ua_row)]
        infos = [self.ip_info[i] for i in ips]
        return EnrichmentColumns(
            visitor_key=self.visitor_key,
            ip_row=ip_row,
            ip_prefix=[self.prefix(i) for i in ips],
            ip_hash=[self.ip_hash[i] for i in ips],
            country=[info.country or None for info in infos],
            asn=[info.asn or None for info in infos],
            as_org=[info.as_org or None for info in infos],
            is_datacenter=[self.hosting[i] is not None for i in ips],
            ua_row=ua_row,
            browser=[ua.browser for ua in uas],
            browser_version=[ua.browser_version for ua in uas],
            os=[ua.os for ua in uas],
            device=[ua.device for ua in uas],
            bot_name=[ua.bot_name for ua in uas],
        )

    def prefix(self, i: int) -> str:
        """The /24 or /48 of click i ("" without a valid IP)."""
        parsed = self.parsed_ip[i]
        return parsed.prefix if parsed is not None else ""

    def ip_address(self, i: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The parsed address of click i (for allow-lists)."""
        parsed = self.parsed_ip[i]
        if parsed is None:
            return None
        if parsed.version == 4:
            return ipaddress.IPv4Address(parsed.value)
        return ipaddress.IPv6Address(parsed.value)


def _first_rows(rows: np.ndarray) -> list[int]:
    """For each row number 0..k-1 of `rows` (first-seen order), the first click with it."""
    _, first = np.unique(rows, return_index=True)
    return list(first.tolist())


def scope_of(click: ClickEvent, platform: bool) -> str:
    """What dedupe and preview timing are counted on: the link, or the URL path in an audit."""
    if platform:
        if click.link_id is not None:
            return f"link:{click.link_id}"
        return f"code:{click.code}"
    path = click.path or click.code
    return "path:" + path.split("?", 1)[0]


def enrich(
    clicks: Sequence[ClickEvent],
    *,
    ranges: IpRanges,
    classifier: UaClassifier,
    hosting: dict[int, HostingAsn],
    secret_key: str,
    platform: bool,
    ip_cache: dict[str, tuple[ParsedIp | None, str]] | None = None,
) -> EnrichedBatch:
    """Enrich `clicks` (already in event-time order). `ip_cache` (address → parsed address and
    keyed hash under `secret_key`) may be kept by the caller across batches: returning visitors
    are then parsed and hashed once.

    Work is done per distinct value of the batch (address, user agent, method, link or path),
    then spread over the clicks: equal values share one object."""
    clicks = list(clicks)
    n = len(clicks)
    cache: dict[str, tuple[ParsedIp | None, str]] = {} if ip_cache is None else ip_cache
    ips = [c.ip for c in clicks]
    ip_rows = {ip: j for j, ip in enumerate(dict.fromkeys(ips))}
    ip_row = np.fromiter(map(ip_rows.__getitem__, ips), np.intp, n)
    known = []
    for ip in ip_rows:
        found = cache.get(ip)
        if found is None:
            address = parse_ip(ip) if ip else None
            found = cache[ip] = (address, ip_hash(ip, secret_key) if address else "")
        known.append(found)
    infos = ranges.lookup([k[0] for k in known])
    parsed_d = _objects([k[0] for k in known])
    hashed_d = [k[1] for k in known]
    hosted_d = _objects([hosting.get(info.asn) for info in infos])

    agents = [c.user_agent for c in clicks]
    ua_rows = {ua: j for j, ua in enumerate(dict.fromkeys(agents))}
    ua_row = np.fromiter(map(ua_rows.__getitem__, agents), np.intp, n)
    classify = classifier.classify
    ua_d = _objects([classify(ua) for ua in ua_rows])
    # The cookie-less key once per distinct (address, agent) pair of the batch.
    pairs, pair_row = np.unique(ip_row * max(len(ua_rows), 1) + ua_row, return_inverse=True)
    distinct_agents = list(ua_rows)
    alts_d = _objects(
        [
            alt_key(hashed_d[p // len(ua_rows)], distinct_agents[p % len(ua_rows)])
            for p in pairs.tolist()
        ]
    )
    alts: list[str] = alts_d[pair_row.reshape(-1)].tolist()
    vkeys = [
        "v:" + cookie if (cookie := c.visitor_id or c.assigned_visitor_id) else alt
        for c, alt in zip(clicks, alts, strict=True)
    ]
    methods = [c.method for c in clicks]
    upper = {m: m.upper() for m in set(methods)}
    return EnrichedBatch(
        clicks=clicks,
        ts_us=[(c.ts - _EPOCH) // _US for c in clicks],
        methods=list(map(upper.__getitem__, methods)),
        ua=ua_d[ua_row].tolist(),
        parsed_ip=parsed_d[ip_row].tolist(),
        ip_info=_objects(infos)[ip_row].tolist(),
        ip_hash=_objects(hashed_d)[ip_row].tolist(),
        visitor_key=vkeys,
        alt_key=alts,
        hosting=hosted_d[ip_row].tolist(),
        scope=_scopes(clicks, platform),
        ip_row=ip_row,
        ua_row=ua_row,
    )


def _objects(values: Sequence[object]) -> np.ndarray:
    """A 1-d object array of `values` (tuples stay elements), to spread over clicks by row."""
    out = np.empty(len(values), object)
    for j, value in enumerate(values):
        out[j] = value
    return out


def _scopes(clicks: list[ClickEvent], platform: bool) -> list[str]:
    # `scope_of` once per distinct link (platform) or path (audit): equal scopes share a string.
    memo: dict[object, str] = {}
    out = []
    for c in clicks:
        key: object = (
            (c.link_id if c.link_id is not None else ("code", c.code))
            if platform
            else (c.path or c.code)
        )
        scope = memo.get(key)
        if scope is None:
            scope = memo[key] = scope_of(c, platform)
        out.append(scope)
    return out
