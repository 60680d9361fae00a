"""Real user agents and a click builder for the validation tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from fairclick.domain.click import ClickEvent

SECRET = "test-secret-key-0123456789"
T0 = datetime(2025, 11, 17, 5, 8, 0, tzinfo=UTC)

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
TWITTERBOT = "Twitterbot/1.0"
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
GOOGLEBOT = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html)"
)
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
MASTODON = "Mastodon/4.2.1 (http.rb/5.1.1; +https://{host}/)"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.109 Safari/537.36"
)
CURL = "curl/8.4.0"
PYTHON_REQUESTS = "python-requests/2.31.0"
GO_HTTP = "Go-http-client/2.0"

ORANGE_IP = "90.12.4.7"  # Orange France, AS3215
FREE_IP = "82.64.17.3"  # Free SAS, AS12322
FREE_IP6 = "2a01:e0a:1d4:5e10::7"  # Free SAS, AS12322
HETZNER_IP = "88.198.34.7"  # Hetzner, AS24940
HETZNER_IP6 = "2a01:4f8:c17:1::1"
TWITTER_IP = "199.16.156.124"  # X/Twitter, AS13414
META_IP = "31.13.64.7"  # Meta, AS32934

BROWSER_HEADERS = {
    "sec-fetch-mode": "navigate",
    "sec-fetch-site": "cross-site",
    "sec-fetch-dest": "document",
}
CHROME_HINTS = {
    **BROWSER_HEADERS,
    "sec-ch-ua": '"Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"',
    "sec-ch-ua-mobile": "?1",
    "sec-ch-ua-platform": '"Android"',
}

_ids = count(1)


def click(offset_s: float = 0.0, **fields: Any) -> ClickEvent:
    """A real-looking click from a French phone on link 1 of campaign 1, with overrides."""
    values: dict[str, Any] = {
        "click_id": f"k{next(_ids):08d}",
        "ts": T0 + timedelta(seconds=offset_s),
        "code": "bviabRurGt",
        "method": "GET",
        "ip": ORANGE_IP,
        "user_agent": IPHONE_SAFARI,
        "accept_language": "fr-FR,fr;q=0.9",
        "headers": BROWSER_HEADERS,
        "visitor_id": None,
        "link_id": 1,
        "campaign_id": 1,
        "influencer_id": 7,
        "post_id": 70,
        "path": "/c/bviabRurGt",
    }
    values.update(fields)
    return ClickEvent(**values)
