"""Synthetic but realistic clicks for the validation benchmarks (seeded, reproducible).

Mostly French residential mobile and desktop visitors (Orange, Free, SFR, Bouygues ranges) with
full browser headers, plus the invalid traffic a campaign really sees: previews (Twitterbot,
X's HEAD with a browser UA, Mastodon fan-outs), crawlers, curl/python, Hetzner/OVH/AWS hosts,
HeadlessChrome, duplicates and a few fast clickers.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fairclick.domain.click import ClickEvent

BROWSERS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.33.111;FBBV/547339026]",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36 Instagram 311.0.0.32.118 Android",
]
BOTS = [
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
    "Mastodon/4.2.1 (http.rb/5.1.1; +https://mastodon.social/)",
]
RESIDENTIAL = ["90.{}.{}.{}", "82.64.{}.{}", "2a01:e0a:{:x}:{:x}::{:x}", "86.{}.{}.{}"]
HOSTING = ["88.198.{}.{}", "5.39.{}.{}", "54.239.{}.{}"]
HEADERS = {
    "sec-fetch-mode": "navigate",
    "sec-fetch-site": "cross-site",
    "sec-fetch-dest": "document",
}


def _ip(rng: random.Random, pattern: str) -> str:
    n = pattern.count("{")
    if ":" in pattern:
        return pattern.format(*(rng.randrange(1, 65535) for _ in range(n)))
    values = [rng.randrange(1, 255) for _ in range(n)]
    if pattern.startswith(("90.", "86.")):
        values[0] = rng.randrange(0, 15) + (0 if pattern.startswith("90.") else 192 - 86)
        values[0] = min(values[0], 254)
    return pattern.format(*values)


def clicks(
    n: int,
    *,
    seed: int = 7,
    links: int = 2000,
    visitors: int | None = None,
    start: datetime | None = None,
    rate_per_s: float = 200.0,
) -> list[ClickEvent]:
    """`n` clicks in event-time order: ~85 % people, the rest the usual invalid traffic."""
    rng = random.Random(seed)
    t = start or datetime(2025, 11, 17, 5, 0, tzinfo=UTC)
    visitors = visitors or max(n // 3, 10)
    out = []
    for i in range(n):
        t += timedelta(microseconds=int(rng.expovariate(rate_per_s) * 1e6))
        link = rng.randrange(links)
        kind = rng.random()
        visitor = rng.randrange(visitors)
        vrng = random.Random(visitor)
        ua = BROWSERS[vrng.randrange(len(BROWSERS))]
        ip = _ip(vrng, RESIDENTIAL[vrng.randrange(len(RESIDENTIAL))])
        headers, lang, method, cookie = HEADERS, "fr-FR,fr;q=0.9", "GET", f"c{visitor}"
        if kind > 0.85:
            ua = BOTS[rng.randrange(len(BOTS))]
            headers, lang, cookie = {}, "", None
            ip = _ip(rng, HOSTING[rng.randrange(len(HOSTING))])
        elif kind > 0.83:
            method, headers, lang = "HEAD", {}, ""
        elif kind > 0.81:
            ip = _ip(rng, HOSTING[rng.randrange(len(HOSTING))])
        out.append(
            ClickEvent(
                click_id=f"c{i:09d}",
                ts=t,
                code=f"L{link}",
                method=method,
                ip=ip,
                user_agent=ua,
                accept_language=lang,
                headers=headers,
                visitor_id=cookie,
                link_id=link,
                campaign_id=link % 10,
                influencer_id=link % 400,
                path=f"/c/L{link}",
            )
        )
    return out
