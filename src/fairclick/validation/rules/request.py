"""Rules that look at one request at a time (no recent state): pure functions of the batch.

Each rule returns {index: Hit} for the clicks it matches. A hit's strength (certain, strong,
weak) is what the campaign's strictness turns into invalid or flagged (`context.Strictness`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    match = batch.ua[i].match or {}
    return {**match, "user_agent": batch.clicks[i].user_agent[:200]}


def known_crawler(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """A declared bot, crawler, spider or monitor, by the bot lists."""
    return {
        i: Hit("certain", {**_ua_evidence(batch, i), "bot_name": ua.bot_name})
        for i, ua in enumerate(batch.ua)
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
    for i, ua in enumerate(batch.ua):
        if ua.category == "preview":
            hits[i] = Hit("certain", {**_ua_evidence(batch, i), "signal": "user agent"})
            continue
        if ua.category not in _BROWSERISH:
            continue
        asn = batch.ip_info[i].asn
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
                "as_org": batch.ip_info[i].as_org or None,
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
        for i, ua in enumerate(batch.ua)
        if ua.category in ("tool", "empty", "malformed")
    }


def datacenter(batch: EnrichedBatch, ctx: ValidationContext) -> Hits:
    """Source network in the curated hosting/cloud/VPN list (VPN exits are weaker evidence:
    people use them)."""
    hits: Hits = {}
    for i, hosting in enumerate(batch.hosting):
        if hosting is not None:
            hits[i] = Hit(
                "weak" if hosting.kind == "vpn" else "strong",
                {
                    "asn": hosting.asn,
                    "as_org": hosting.owner,
                    "kind": hosting.kind,
                    "list": "fairclick-hosting-asns",
                    "ip_prefix": batch.prefix(i),
                },
            )
    return hits


_BRAND = re.compile(r'"([^"]+)"\s*;\s*v\s*=\s*"(\d+)')
_CHROMIUM_UA = re.compile(r"(?:Chrome|CriOS|Edg|OPR)/(\d+)")


def client_hint_problems(batch: EnrichedBatch, i: int) -> list[str]:
    """Ways the client hints contradict the user agent (each one is a lie somewhere)."""
    click, ua = batch.clicks[i], batch.ua[i]
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
    for i, ua in enumerate(batch.ua):
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
        prefix = batch.prefix(i)
        if cookie and cookie in own.visitor_ids:
            hits[i] = Hit(
                "certain",
                {
                    "matched": "visitor id of the influencer's session",
                    "influencer_id": click.influencer_id,
                },
            )
        elif batch.ip_hash[i] and batch.ip_hash[i] in own.ip_hashes:
            hits[i] = Hit(
                "strong",
                {
                    "matched": "IP address of the influencer's session",
                    "influencer_id": click.influencer_id,
                    "ip_hash": batch.ip_hash[i],
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
