"""Enrich a batch of clicks at once: columns the rules read, built once per batch.

UA work is cached per distinct string, IP lookups are one `searchsorted` per batch, keyed IP
hashes are cached per distinct address within the batch.
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from fairclick.domain.click import ClickEvent
from fairclick.validation.decisions import Enrichment
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
    alt = "h:" + hashlib.sha256(f"{hashed_ip}|{click.user_agent}".encode()).hexdigest()[:32]
    cookie = click.visitor_id or click.assigned_visitor_id
    return ("v:" + cookie if cookie else alt), alt


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
    are then parsed and hashed once."""
    cache: dict[str, tuple[ParsedIp | None, str]] = {} if ip_cache is None else ip_cache
    parsed, hashed, vkeys, alts = [], [], [], []
    for click in clicks:
        ip = click.ip
        known = cache.get(ip)
        if known is None:
            address = parse_ip(ip) if ip else None
            known = cache[ip] = (address, ip_hash(ip, secret_key) if address else "")
        parsed.append(known[0])
        hashed.append(known[1])
        key, alt = visitor_key_of(click, known[1])
        vkeys.append(key)
        alts.append(alt)
    infos = ranges.lookup(parsed)
    return EnrichedBatch(
        clicks=list(clicks),
        ts_us=[micros(c.ts) for c in clicks],
        methods=[c.method.upper() for c in clicks],
        ua=[classifier.classify(c.user_agent) for c in clicks],
        parsed_ip=parsed,
        ip_info=infos,
        ip_hash=hashed,
        visitor_key=vkeys,
        alt_key=alts,
        hosting=[hosting.get(info.asn) for info in infos],
        scope=[scope_of(c, platform) for c in clicks],
    )
