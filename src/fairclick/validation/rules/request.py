"""Rules that look at one request at a time (no recent state): pure functions of the batch.

Each rule returns {index: Hit} for the clicks it matches. A hit's strength (certain, strong,
weak) is what the campaign's strictness turns into invalid or flagged (`context.Strictness`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fairclick.validation.context import ValidationContext
from fairclick.validation.enrich.batch import EnrichedBatch


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule matched a click: how sure it is, and what it saw (JSON-able)."""

    strength: str  # certain | strong | weak
    evidence: dict[str, Any] = field(default_factory=dict)


Hits = dict[int, Hit]

# Networks of platforms that fetch previews with browser user agents (ASN → owner).
PLATFORM_ASNS: Mapping[int, str] = {
    13414: "X (Twitter)",
    35995: "X (Twitter)",
    32934: "Meta (Facebook, Instagram, WhatsApp)",
    63293: "Meta (Facebook)",
    54115: "Meta (Facebook)",
    14413: "LinkedIn",
    62041: "Telegram",
    59930: "Telegram",
    44907: "Telegram",
    211157: "Telegram",
    396986: "ByteDance (TikTok)",
    138699: "ByteDance (TikTok)",
}

_BROWSERISH = ("browser", "automation")
_SEC_FETCH = ("sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest", "sec-fetch-user")
_PREFETCH_WORDS = re.compile(r"prefetch|prerender|preview", re.IGNORECASE)


def _ua_evidence(batch: EnrichedBatch, i: int) -> dict[str, Any]:
    match = batch.agent(i).match or {}
    return {**match, "user_agent": batch.columns.user_agent[i][:200]}


def _ascending(hits: Hits) -> Hits:
    """`hits` by ascending click (a sort of the rows, not of (row, hit) pairs)."""
    rows = np.fromiter(hits, np.intp, len(hits))
    if rows.size < 2 or bool((rows[1:] > rows[:-1]).all()):
        return hits
    return {i: hits[i] for i in np.sort(rows).tolist()}


def _of_category(batch: EnrichedBatch, *categories: str) -> np.ndarray:
    """The clicks (ascending) whose user agent is of one of `categories`."""
    return np.flatnonzero(batch.agent_mask(lambda ua: ua.category in categories))


def known_crawler(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """A declared bot, crawler, spider or monitor, by the bot lists."""
    return batch.shared(
        _of_category(batch, "crawler"),
        "ua",
        lambda i: Hit("certain", {**_ua_evidence(batch, i), "bot_name": batch.agent(i).bot_name}),
    )


def missing_browser_headers(batch: EnrichedBatch, i: int, ctx: ValidationContext) -> bool:
    """A browser UA without any Sec-Fetch-* header and without Accept-Language: what preview
    fetchers that borrow a browser UA send (every current browser sends one or the other)."""
    if not ctx.headers_recorded:
        return False
    columns = batch.columns
    if columns.accept_language[i]:
        return False
    headers = columns.headers[i]
    return not any(h in headers for h in _SEC_FETCH)


def link_preview(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Preview fetchers: by UA; and with browser UAs, by HEAD method, the platform's own
    network, or missing browser headers (timing after a preview is added by `windows`)."""
    hits: Hits = batch.shared(
        _of_category(batch, "preview"),
        "ua",
        lambda i: Hit("certain", {**_ua_evidence(batch, i), "signal": "user agent"}),
    )
    # A browser-UA click can only be a preview by its network, its method or its headers.
    browserish = _of_category(batch, *_BROWSERISH)
    if not ctx.headers_recorded:
        signalled = batch.asn_mask(PLATFORM_ASNS)
        methods = batch.methods
        signalled |= np.fromiter(map("HEAD".__eq__, methods), bool, len(methods))
        browserish = browserish[signalled[browserish]]
    infos = batch.at("ip", batch.address_infos, browserish)
    for i, info in zip(browserish.tolist(), infos, strict=True):
        asn = info.asn
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
                "as_org": info.as_org or None,
                "method": batch.methods[i],
                "user_agent": batch.columns.user_agent[i][:200],
            },
        )
    return _ascending(hits) if browserish.size else hits


def prefetch(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """HEAD requests (that are not previews) and declared prefetch/prerender requests."""
    hits: Hits = {}
    head = Hit("certain", {"method": "HEAD"})  # one for every HEAD hit: hits are frozen
    methods = batch.methods
    for i, headers in enumerate(batch.columns.headers):
        if not headers:
            if methods[i] == "HEAD":
                hits[i] = head
            continue
        for name in ("sec-purpose", "purpose", "x-purpose", "x-moz"):
            value = headers.get(name, "")
            if value and _PREFETCH_WORDS.search(value):
                hits[i] = Hit("certain", {"header": name, "value": value[:80]})
                break
        else:
            if methods[i] == "HEAD":
                hits[i] = head
    return hits


def non_browser(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Empty or malformed UAs, HTTP libraries and tools."""
    return batch.shared(
        _of_category(batch, "tool", "empty", "malformed"),
        "ua",
        lambda i: Hit("certain", _ua_evidence(batch, i)),
    )


def datacenter(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Source network in the curated hosting/cloud/VPN list (VPN exits are weaker evidence:
    people use them)."""
    hosted = np.flatnonzero(batch.hosted_mask())
    # The evidence is a function of (network, prefix): addresses of one /24 share a hit.
    made: dict[tuple[int, str], Hit] = {}

    def hit(i: int) -> Hit:
        hosting = batch.hosted(i)
        assert hosting is not None
        prefix = batch.prefix(i)
        found = made.get((hosting.asn, prefix))
        if found is None:
            found = made[hosting.asn, prefix] = Hit(
                "weak" if hosting.kind == "vpn" else "strong",
                {
                    "asn": hosting.asn,
                    "as_org": hosting.owner,
                    "kind": hosting.kind,
                    "list": "fairclick-hosting-asns",
                    "ip_prefix": prefix,
                },
            )
        return found

    return batch.shared(hosted, "ip", hit)


_BRAND = re.compile(r'"([^"]+)"\s*;\s*v\s*=\s*"(\d+)')
_CHROMIUM_UA = re.compile(r"(?:Chrome|CriOS|Edg|OPR)/(\d+)")


def client_hint_problems(batch: EnrichedBatch, i: int) -> list[str]:
    """Ways the client hints contradict the user agent (each one is a lie somewhere)."""
    ua, headers = batch.agent(i), batch.columns.headers[i]
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
        claimed = _CHROMIUM_UA.search(batch.columns.user_agent[i])
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
    hits: Hits = batch.shared(
        _of_category(batch, "automation"), "ua", lambda i: Hit("certain", _ua_evidence(batch, i))
    )
    headers, agents = batch.columns.headers, batch.columns.user_agent
    hinted = False
    # `client_hint_problems` is a function of the user agent, the three hint headers and
    # whether some header name says webdriver or selenium: worked out once per such key.
    seen: dict[tuple[str, str, str, str, bool], list[str]] = {}
    for i in _of_category(batch, "browser").tolist():
        sent = headers[i]
        if not sent:
            continue
        names = "\0".join(sent)
        key = (
            agents[i],
            sent.get("sec-ch-ua", ""),
            sent.get("sec-ch-ua-platform", ""),
            sent.get("sec-ch-ua-mobile", ""),
            "webdriver" in names or "selenium" in names,
        )
        problems = seen.get(key)
        if problems is None:
            problems = seen[key] = client_hint_problems(batch, i)
        if problems:
            problems = list(problems)  # each hit its own evidence
            certain = any("HeadlessChrome" in p or "webdriver" in p for p in problems)
            hits[i] = Hit(
                "certain" if certain else "strong",
                {
                    "problems": problems,
                    "user_agent": batch.columns.user_agent[i][:200],
                    "sec-ch-ua": headers[i].get("sec-ch-ua", "")[:200],
                },
            )
            hinted = True
    return _ascending(hits) if hinted else hits


def self_click(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """The influencer's own devices: a session visitor id, a session IP, or a declared
    device's (IP prefix, user agent)."""
    hits: Hits = {}
    columns = batch.columns
    for i, influencer_id in enumerate(columns.influencer_id):
        if influencer_id is None:
            continue
        own = ctx.self_clicks.get(influencer_id)
        if own is None:
            continue
        cookie = columns.visitor_id[i] or columns.assigned_visitor_id[i]
        prefix = batch.prefix(i)
        if cookie and cookie in own.visitor_ids:
            hits[i] = Hit(
                "certain",
                {
                    "matched": "visitor id of the influencer's session",
                    "influencer_id": influencer_id,
                },
            )
        elif (hashed := batch.hashed(i)) and hashed in own.ip_hashes:
            hits[i] = Hit(
                "strong",
                {
                    "matched": "IP address of the influencer's session",
                    "influencer_id": influencer_id,
                    "ip_hash": hashed,
                },
            )
        elif (prefix, columns.user_agent[i]) in own.prefix_user_agents:
            hits[i] = Hit(
                "strong",
                {
                    "matched": "network and user agent of a declared device",
                    "influencer_id": influencer_id,
                    "ip_prefix": prefix,
                },
            )
    return hits


def incited(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """The click came through a post judged inciting (by the incitement capability)."""
    return {
        i: Hit("certain", {"post_id": post_id})
        for i, post_id in enumerate(batch.columns.post_id)
        if post_id is not None and post_id in ctx.incited_posts
    }
