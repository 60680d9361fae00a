"""Reference oracle: IP parsing and hashing, batch enrichment, the request rules and decision
building as they were before they were optimised (commit e29a067), one click at a time. Kept
verbatim (names prefixed where they would clash) so that property tests can check that the
optimised code gives the same enrichment, hits, evidence and decisions; not used by the package.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Reason, Verdict
from fairclick.validation.columns import ClickColumns
from fairclick.validation.context import CampaignPolicy, ValidationContext
from fairclick.validation.decisions import RULES_KEY, ClickDecision, Enrichment
from fairclick.validation.enrich.batch import EnrichedBatch, HostingAsn
from fairclick.validation.enrich.ip import IpInfo, IpRanges, ParsedIp, _pairs
from fairclick.validation.enrich.ua import UaClassifier
from fairclick.validation.rules.request import PLATFORM_ASNS, Hit, Hits

_NO_ASN = 0
_V4_MAPPED = b"\x00" * 10 + b"\xff\xff"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = re.compile(r"\.".join([_OCTET] * 4))  # decimal octets 0-255 without leading zeros
_V4_SHAPE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")


def parse_ip(ip: str) -> ParsedIp | None:
    """The address as integer and its /24 (IPv4) or /48 (IPv6) prefix; None if malformed.
    IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4."""
    match = _V4.fullmatch(ip)
    if match is not None:
        a, b, c, d = (int(p) for p in match.groups())
        return ParsedIp(4, (a << 24) | (b << 16) | (c << 8) | d, f"{a}.{b}.{c}.0/24")
    if _V4_SHAPE.fullmatch(ip):  # dotted quad out of range or with leading zeros
        return None
    try:
        packed = socket.inet_pton(socket.AF_INET6, ip.strip())
    except (OSError, ValueError):
        return None
    if packed[:12] == _V4_MAPPED:
        a, b, c, d = packed[12:]
        return ParsedIp(4, (a << 24) | (b << 16) | (c << 8) | d, f"{a}.{b}.{c}.0/24")
    groups = [int.from_bytes(packed[i : i + 2], "big") for i in (0, 2, 4)]
    while groups and groups[-1] == 0:
        groups.pop()
    prefix = (":".join(f"{g:x}" for g in groups) + "::/48") if groups else "::/48"
    return ParsedIp(6, int.from_bytes(packed, "big"), prefix)


def ip_hash(ip: str, secret_key: str) -> str:
    """Keyed hash of the full address: HMAC-SHA256 with the platform secret, 32 hex chars.
    Same definition as `fairclick.influencers.service.ip_hash`, so session hashes match."""
    keyed = _KEYED.get(secret_key)
    if keyed is None:
        keyed = _KEYED[secret_key] = hmac.new(secret_key.encode(), digestmod=hashlib.sha256)
    mac = keyed.copy()  # the key's inner and outer pads are computed once per secret
    mac.update(ip.encode())
    return mac.hexdigest()[:32]


_KEYED: dict[str, hmac.HMAC] = {}


def lookup(self: IpRanges, parsed: Sequence[ParsedIp | None]) -> list[IpInfo]:
    """One `IpInfo` per address (unknown or malformed → asn 0, country "")."""
    out = [IpInfo(_NO_ASN, "", "")] * len(parsed)
    idx4 = [i for i, p in enumerate(parsed) if p is not None and p.version == 4]
    idx6 = [i for i, p in enumerate(parsed) if p is not None and p.version == 6]
    if idx4 and self.v4_start.size:
        values = np.fromiter((parsed[i].value for i in idx4), np.uint32, len(idx4))  # type: ignore[union-attr]
        pos = np.searchsorted(self.v4_start, values, side="right") - 1
        ok = (pos >= 0) & (values <= self.v4_end[np.maximum(pos, 0)])
        _fill(self, out, idx4, pos, ok, self.v4_asn, self.v4_country)
    if idx6 and self.v6_start.shape[0]:
        ints = [parsed[i].value for i in idx6]  # type: ignore[union-attr]
        keys = _pairs(np.array([[v >> 64, v & 0xFFFFFFFFFFFFFFFF] for v in ints], np.uint64))
        pos = np.searchsorted(self.v6_start, keys, side="right") - 1
        ends = self.v6_end[np.maximum(pos, 0)]
        ok = (pos >= 0) & (keys <= ends)
        _fill(self, out, idx6, pos, ok, self.v6_asn, self.v6_country)
    return out


def _fill(
    self: IpRanges,
    out: list[IpInfo],
    idx: list[int],
    pos: np.ndarray,
    ok: np.ndarray,
    asns: np.ndarray,
    countries: np.ndarray,
) -> None:
    for j, i in enumerate(idx):
        if ok[j]:
            asn = int(asns[pos[j]])
            country = str(countries[pos[j]]) if countries.size else ""
            out[i] = IpInfo(asn, self.orgs.get(asn, ""), country)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


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


def enrichment(self: EnrichedBatch, i: int) -> Enrichment:
    """The `Enrichment` of click i."""
    ua, info, parsed = self.agent(i), self.info(i), self.parsed(i)
    return Enrichment(
        ip_prefix=parsed.prefix if parsed else "",
        ip_hash=self.hashed(i),
        visitor_key=self.visitor_key[i],
        country=info.country or None,
        asn=info.asn or None,
        as_org=info.as_org or None,
        is_datacenter=self.hosted(i) is not None,
        browser=ua.browser,
        browser_version=ua.browser_version,
        os=ua.os,
        device=ua.device,
        bot_name=ua.bot_name,
    )


def batch_prefix(self: EnrichedBatch, i: int) -> str:
    """The /24 or /48 of click i ("" without a valid IP)."""
    parsed = self.parsed(i)
    return parsed.prefix if parsed is not None else ""


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
    infos = lookup(ranges, parsed)
    return EnrichedBatch(
        columns=ClickColumns.of_events(clicks),
        ts_us=[micros(c.ts) for c in clicks],
        methods=[c.method.upper() for c in clicks],
        # One row per click (no `*_row`): the per-row columns are per click.
        agents=[classifier.classify(c.user_agent) for c in clicks],
        addresses=parsed,
        address_hashes=hashed,
        address_infos=infos,
        address_hosting=[hosting.get(info.asn) for info in infos],
        visitor_key=vkeys,
        alt_key=alts,
        pair_alts=alts,
        scope=[scope_of(c, platform) for c in clicks],
    )


_BROWSERISH = ("browser", "automation")
_SEC_FETCH = ("sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest", "sec-fetch-user")
_PREFETCH_WORDS = re.compile(r"prefetch|prerender|preview", re.IGNORECASE)


def _ua_evidence(batch: EnrichedBatch, i: int) -> dict[str, Any]:
    match = batch.agent(i).match or {}
    return {**match, "user_agent": batch.clicks[i].user_agent[:200]}


def known_crawler(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """A declared bot, crawler, spider or monitor, by the bot lists."""
    return {
        i: Hit("certain", {**_ua_evidence(batch, i), "bot_name": ua.bot_name})
        for i, ua in enumerate(map(batch.agent, range(len(batch))))
        if ua.category == "crawler"
    }


def missing_browser_headers(batch: EnrichedBatch, i: int, ctx: ValidationContext) -> bool:
    """A browser UA without any Sec-Fetch-* header and without Accept-Language: what preview
    fetchers that borrow a browser UA send (every current browser sends one or the other)."""
    if not ctx.headers_recorded:
        return False
    click = batch.clicks[i]
    return not click.accept_language and not any(h in click.headers for h in _SEC_FETCH)


def link_preview(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Preview fetchers: by UA; and with browser UAs, by HEAD method, the platform's own
    network, or missing browser headers (timing after a preview is added by `windows`)."""
    hits: Hits = {}
    for i, ua in enumerate(map(batch.agent, range(len(batch)))):
        if ua.category == "preview":
            hits[i] = Hit("certain", {**_ua_evidence(batch, i), "signal": "user agent"})
            continue
        if ua.category not in _BROWSERISH:
            continue
        asn = batch.info(i).asn
        platform = PLATFORM_ASNS.get(asn)
        head = batch.methods[i] == "HEAD"
        bare = missing_browser_headers(batch, i, ctx)
        signals = []
        if platform:
            signals.append(f"source network AS{asn} ({platform})")
        if head:
            signals.append("HEAD request with a browser user agent")
        if bare:
            signals.append("no Sec-Fetch-* and no Accept-Language")
        if platform and (head or bare):
            strength = "certain"
        elif platform or (head and bare):
            strength = "strong"
        elif bare:
            strength = "weak"
        else:
            continue
        hits[i] = Hit(
            strength,
            {
                "signal": "; ".join(signals),
                "asn": asn or None,
                "as_org": batch.info(i).as_org or None,
                "method": batch.methods[i],
                "user_agent": batch.clicks[i].user_agent[:200],
            },
        )
    return hits


def prefetch(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """HEAD requests (that are not previews) and declared prefetch/prerender requests."""
    hits: Hits = {}
    for i, click in enumerate(batch.clicks):
        headers = click.headers
        for name in ("sec-purpose", "purpose", "x-purpose", "x-moz"):
            value = headers.get(name, "")
            if value and _PREFETCH_WORDS.search(value):
                hits[i] = Hit("certain", {"header": name, "value": value[:80]})
                break
        else:
            if batch.methods[i] == "HEAD":
                hits[i] = Hit("certain", {"method": "HEAD"})
    return hits


def non_browser(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Empty or malformed UAs, HTTP libraries and tools."""
    return {
        i: Hit("certain", _ua_evidence(batch, i))
        for i, ua in enumerate(map(batch.agent, range(len(batch))))
        if ua.category in ("tool", "empty", "malformed")
    }


def datacenter(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Source network in the curated hosting/cloud/VPN list (VPN exits are weaker evidence:
    people use them)."""
    hits: Hits = {}
    for i, hosting in enumerate(map(batch.hosted, range(len(batch)))):
        if hosting is not None:
            hits[i] = Hit(
                "weak" if hosting.kind == "vpn" else "strong",
                {
                    "asn": hosting.asn,
                    "as_org": hosting.owner,
                    "kind": hosting.kind,
                    "list": "fairclick-hosting-asns",
                    "ip_prefix": batch_prefix(batch, i),
                },
            )
    return hits


_BRAND = re.compile(r'"([^"]+)"\s*;\s*v\s*=\s*"(\d+)')
_CHROMIUM_UA = re.compile(r"(?:Chrome|CriOS|Edg|OPR)/(\d+)")


def client_hint_problems(batch: EnrichedBatch, i: int) -> list[str]:
    """Ways the client hints contradict the user agent (each one is a lie somewhere)."""
    click, ua = batch.clicks[i], batch.agent(i)
    headers = click.headers
    problems = []
    brands_raw = headers.get("sec-ch-ua", "")
    platform = headers.get("sec-ch-ua-platform", "").strip('"').lower()
    mobile = headers.get("sec-ch-ua-mobile", "").strip()
    if any("webdriver" in name or "selenium" in name for name in headers):
        problems.append("webdriver header present")
    if brands_raw:
        if "headless" in brands_raw.lower():
            problems.append("sec-ch-ua names HeadlessChrome")
        if ua.browser in ("Safari", "Mobile Safari", "Firefox"):
            problems.append(
                f"client hints sent by a UA claiming {ua.browser}, which never sends them"
            )
        brands = {name: int(v) for name, v in _BRAND.findall(brands_raw)}
        claimed = _CHROMIUM_UA.search(click.user_agent)
        majors = {v for name, v in brands.items() if "brand" not in name.lower()}
        if claimed and majors and int(claimed.group(1)) not in majors:
            problems.append(
                f"sec-ch-ua version {sorted(majors)} differs from the UA's {claimed.group(1)}"
            )
    expected = {
        "ios": "ios",
        "android": "android",
        "windows": "windows",
        "macos": "macos",
        "linux": "linux",
        "chromeos": "chrome os",
    }
    if platform and ua.os and ua.os.lower() in expected:
        want = expected[ua.os.lower()]
        if platform != want and not (want == "linux" and platform == "android"):
            problems.append(f"sec-ch-ua-platform {platform!r} but the UA says {ua.os}")
    if mobile == "?1" and ua.device == "desktop":
        problems.append("sec-ch-ua-mobile ?1 with a desktop user agent")
    if mobile == "?0" and ua.device == "mobile" and ua.os == "Android":
        problems.append("sec-ch-ua-mobile ?0 with an Android phone user agent")
    return problems


def automation(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Headless/driven browsers by UA markers, and client hints inconsistent with the UA."""
    hits: Hits = {}
    for i, ua in enumerate(map(batch.agent, range(len(batch)))):
        if ua.category == "automation":
            hits[i] = Hit("certain", _ua_evidence(batch, i))
            continue
        if ua.category != "browser" or not batch.clicks[i].headers:
            continue
        problems = client_hint_problems(batch, i)
        if problems:
            certain = any("HeadlessChrome" in p or "webdriver" in p for p in problems)
            hits[i] = Hit(
                "certain" if certain else "strong",
                {
                    "problems": problems,
                    "user_agent": batch.clicks[i].user_agent[:200],
                    "sec-ch-ua": batch.clicks[i].headers.get("sec-ch-ua", "")[:200],
                },
            )
    return hits


def self_click(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """The influencer's own devices: a session visitor id, a session IP, or a declared
    device's (IP prefix, user agent)."""
    hits: Hits = {}
    for i, click in enumerate(batch.clicks):
        if click.influencer_id is None:
            continue
        own = ctx.self_clicks.get(click.influencer_id)
        if own is None:
            continue
        cookie = click.visitor_id or click.assigned_visitor_id
        prefix = batch_prefix(batch, i)
        if cookie and cookie in own.visitor_ids:
            hits[i] = Hit(
                "certain",
                {
                    "matched": "visitor id of the influencer's session",
                    "influencer_id": click.influencer_id,
                },
            )
        elif batch.hashed(i) and batch.hashed(i) in own.ip_hashes:
            hits[i] = Hit(
                "strong",
                {
                    "matched": "IP address of the influencer's session",
                    "influencer_id": click.influencer_id,
                    "ip_hash": batch.hashed(i),
                },
            )
        elif (prefix, click.user_agent) in own.prefix_user_agents:
            hits[i] = Hit(
                "strong",
                {
                    "matched": "network and user agent of a declared device",
                    "influencer_id": click.influencer_id,
                    "ip_prefix": prefix,
                },
            )
    return hits


def incited(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """The click came through a post judged inciting (by the incitement capability)."""
    return {
        i: Hit("certain", {"post_id": click.post_id})
        for i, click in enumerate(batch.clicks)
        if click.post_id is not None and click.post_id in ctx.incited_posts
    }


class DecisionBuilder:
    """Builds decisions for a validator; keeps one frozen `Enrichment` per (address, user
    agent, visitor key) across batches (returning visitors share it)."""

    def __init__(self, pipeline: Sequence[Reason]) -> None:
        self._codes = tuple((r, r.value) for r in pipeline)
        self._enrichments: dict[tuple[str, str, str], Enrichment] = {}

    def trim(self, limit: int) -> None:
        """Forget the cached enrichments past `limit` entries (cleared, not evicted)."""
        if len(self._enrichments) > limit:
            self._enrichments.clear()

    def build(
        self,
        batch: EnrichedBatch,
        results: Mapping[Reason, Hits],
        policies: Sequence[CampaignPolicy],
        allowed: Sequence[str | None],
    ) -> list[ClickDecision]:
        """One decision per click of `batch`, in batch order. `results` holds the hits of the
        rules that ran (a rule absent from it was not applied)."""
        applied = [(r, code, results[r]) for r, code in self._codes if r in results]
        template = {code: ("pass" if r in results else "not_applied") for r, code in self._codes}
        touched = set().union(*(hits for _, _, hits in applied))
        return [
            self._decide(batch, i, applied, template, policies[i], allowed[i])
            if i in touched or allowed[i] is not None
            else self._clean(batch, i, template)
            for i in range(len(batch))
        ]

    def _enrichment(self, batch: EnrichedBatch, i: int) -> Enrichment:
        # An enrichment is a function of (address, user agent, visitor key) for this validator's
        # data and secret: returning visitors share one (frozen) object.
        click = batch.clicks[i]
        key = (click.ip, click.user_agent, batch.visitor_key[i])
        found = self._enrichments.get(key)
        if found is None:
            found = self._enrichments[key] = enrichment(batch, i)
        return found

    def _clean(self, batch: EnrichedBatch, i: int, template: dict[str, str]) -> ClickDecision:
        """The decision of a click no rule hit (what `_decide` returns for it, cheaper)."""
        return ClickDecision(
            batch.clicks[i].click_id,
            Verdict.VALID,
            (),
            (),
            {RULES_KEY: dict(template)},
            self._enrichment(batch, i),
        )

    def _decide(
        self,
        batch: EnrichedBatch,
        i: int,
        applied: list[tuple[Reason, str, Hits]],
        template: dict[str, str],
        policy: CampaignPolicy,
        allowed: str | None,
    ) -> ClickDecision:
        reasons: list[Reason] = []
        flags: list[Reason] = []
        evidence: dict[str, dict[str, Any]] = {}
        outcomes = dict(template)
        for reason, code, hits in applied:
            hit = hits.get(i)
            if hit is None:
                continue
            evidence[code] = {**hit.evidence, "strength": hit.strength}
            if allowed is not None:
                outcomes[code] = "allowed"
            elif policy.strictness.invalidates(hit.strength):
                outcomes[code] = "hit"
                reasons.append(reason)
            else:
                outcomes[code] = "flagged"
                flags.append(reason)
        if allowed is not None:
            evidence["allow_list"] = {"matched": allowed}
        evidence[RULES_KEY] = outcomes
        verdict = Verdict.INVALID if reasons else Verdict.VALID
        return ClickDecision(
            batch.clicks[i].click_id,
            verdict,
            tuple(reasons),
            tuple(flags),
            evidence,
            self._enrichment(batch, i),
        )
