"""User agents and the headers that go with them: the devices and apps people click from, and
the bots, previewers and scripts that fetch links without a person behind them.

Browser strings are those of current releases (late 2025); Chromium browsers send the client
hints that match their user agent, as real ones do, so a mismatch is a signal the simulator can
plant on purpose (`automation`)."""

from __future__ import annotations

from dataclasses import dataclass, field

_CHROME = "131"
_NAV_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8"
)


@dataclass(frozen=True, slots=True)
class Agent:
    """One client: its user agent, whether it is Chromium (sends client hints), its platform."""

    key: str
    user_agent: str
    platform: str  # sec-ch-ua-platform value, also used for Safari/Firefox for realism
    mobile: bool
    brands: str | None = None  # sec-ch-ua value for Chromium clients
    in_app: str | None = None  # network whose in-app browser this is
    cookies: bool = True  # False: the webview does not keep a first-party cookie
    extra: dict[str, str] = field(default_factory=dict)


def _brands(name: str, version: str = _CHROME) -> str:
    return f'"{name}";v="{version}", "Chromium";v="{version}", "Not_A Brand";v="24"'


# People's browsers: (agent, share among people who open a link outside an app).
BROWSERS: tuple[tuple[Agent, float], ...] = (
    (
        Agent(
            "iphone_safari",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "iOS",
            True,
        ),
        0.30,
    ),
    (
        Agent(
            "android_chrome",
            f"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{_CHROME}.0.0.0 Mobile Safari/537.36",
            "Android",
            True,
            _brands("Google Chrome"),
        ),
        0.26,
    ),
    (
        Agent(
            "samsung_internet",
            "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like "
            "Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
            "Android",
            True,
            '"Samsung Internet";v="27.0", "Chromium";v="125", "Not.A/Brand";v="24"',
        ),
        0.06,
    ),
    (
        Agent(
            "desktop_chrome_win",
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{_CHROME}.0.0.0 Safari/537.36",
            "Windows",
            False,
            _brands("Google Chrome"),
        ),
        0.16,
    ),
    (
        Agent(
            "desktop_edge",
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{_CHROME}.0.0.0 Safari/537.36 Edg/{_CHROME}.0.0.0",
            "Windows",
            False,
            _brands("Microsoft Edge"),
        ),
        0.06,
    ),
    (
        Agent(
            "desktop_firefox",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Windows",
            False,
        ),
        0.05,
    ),
    (
        Agent(
            "mac_safari",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/18.1 Safari/605.1.15",
            "macOS",
            False,
        ),
        0.06,
    ),
    (
        Agent(
            "mac_chrome",
            f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            f"Gecko) Chrome/{_CHROME}.0.0.0 Safari/537.36",
            "macOS",
            False,
            _brands("Google Chrome"),
        ),
        0.05,
    ),
)

_IOS_WEBKIT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
_ANDROID_WV = (
    f"Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 "
    f"(KHTML, like Gecko) Version/4.0 Chrome/{_CHROME}.0.6778.135 Mobile Safari/537.36"
)
_WV_BRANDS = _brands("Android WebView")

# In-app browsers by network: (agent, share among that network's in-app opens).
IN_APP: dict[str, tuple[tuple[Agent, float], ...]] = {
    "x": (
        (Agent("x_iphone", f"{_IOS_WEBKIT} Twitter for iPhone/10.68", "iOS", True, None, "x"), 0.6),
        (
            Agent("x_android", f"{_ANDROID_WV} TwitterAndroid", "Android", True, _WV_BRANDS, "x"),
            0.4,
        ),
    ),
    "facebook": (
        (
            Agent(
                "fb_iphone",
                f"{_IOS_WEBKIT} [FBAN/FBIOS;FBAV/489.0.0.52.107;FBBV/664530423;FBDV/iPhone15,3;"
                "FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBSS/3;FBCR/;FBID/phone;FBLC/fr_FR;FBOP/80]",
                "iOS",
                True,
                None,
                "facebook",
                cookies=False,
            ),
            0.5,
        ),
        (
            Agent(
                "fb_android",
                f"{_ANDROID_WV} [FB_IAB/FB4A;FBAV/489.0.0.66.81;IABMV/1;]",
                "Android",
                True,
                _WV_BRANDS,
                "facebook",
            ),
            0.5,
        ),
    ),
    "instagram": (
        (
            Agent(
                "ig_iphone",
                f"{_IOS_WEBKIT} Instagram 357.0.0.25.101 (iPhone15,3; iOS 18_1; fr_FR; fr; "
                "scale=3.00; 1290x2796; 658476489)",
                "iOS",
                True,
                None,
                "instagram",
                cookies=False,
            ),
            0.6,
        ),
        (
            Agent(
                "ig_android",
                f"{_ANDROID_WV} Instagram 357.0.0.25.101 Android (34/14; 420dpi; 1080x2400; "
                "samsung; SM-A546B; a54x; s5e8835; fr_FR; 658476489)",
                "Android",
                True,
                _WV_BRANDS,
                "instagram",
            ),
            0.4,
        ),
    ),
    "tiktok": (
        (
            Agent(
                "tiktok_iphone",
                f"{_IOS_WEBKIT} musical_ly_37.4.0 JsSdk/2.0 NetType/WIFI Channel/App Store "
                "ByteLocale/fr Region/FR isDarkMode/0 WKWebView/1 RevealType/Dialog",
                "iOS",
                True,
                None,
                "tiktok",
                cookies=False,
            ),
            0.55,
        ),
        (
            Agent(
                "tiktok_android",
                f"{_ANDROID_WV} trill_370404 AppName/trill app_version/37.4.4 ByteLocale/fr "
                "BytedanceWebview/d8a21c6",
                "Android",
                True,
                _WV_BRANDS,
                "tiktok",
                cookies=False,
            ),
            0.45,
        ),
    ),
    "youtube": (
        (Agent("yt_iphone", f"{_IOS_WEBKIT} Safari/604.1", "iOS", True, None, "youtube"), 0.6),
        (Agent("yt_android", _ANDROID_WV, "Android", True, _WV_BRANDS, "youtube"), 0.4),
    ),
}

# Share of clicks from each network that open in the app's own browser (the rest: a browser).
IN_APP_SHARE = {"x": 0.55, "facebook": 0.75, "instagram": 0.85, "tiktok": 0.9, "youtube": 0.4}

REFERERS: dict[str, tuple[tuple[str | None, float], ...]] = {
    "x": (("https://t.co/", 0.85), (None, 0.15)),
    "facebook": (("https://l.facebook.com/", 0.55), ("https://m.facebook.com/", 0.25), (None, 0.2)),
    "instagram": (("https://l.instagram.com/", 0.7), (None, 0.3)),
    "tiktok": (("https://www.tiktok.com/", 0.3), (None, 0.7)),
    "youtube": (("https://www.youtube.com/", 0.8), (None, 0.2)),
}

ACCEPT_LANGUAGES: dict[str, tuple[tuple[str, float], ...]] = {
    "FR": (
        ("fr-FR,fr;q=0.9", 0.45),
        ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", 0.35),
        ("fr,fr-FR;q=0.8,en-US;q=0.5,en;q=0.3", 0.12),
        ("en-GB,en;q=0.9,fr;q=0.8", 0.08),
    ),
    "DE": (
        ("de-DE,de;q=0.9", 0.45),
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", 0.35),
        ("de,en-US;q=0.7,en;q=0.3", 0.12),
        ("en-US,en;q=0.9,de;q=0.8", 0.08),
    ),
    "ES": (
        ("es-ES,es;q=0.9", 0.5),
        ("es-ES,es;q=0.9,en-US;q=0.8,en;q=0.7", 0.35),
        ("ca-ES,ca;q=0.9,es;q=0.8", 0.15),
    ),
}


def navigation_headers(agent: Agent, *, referer: bool = True) -> dict[str, str]:
    """The lower-case headers a real browser sends when a person follows a link."""
    headers = {"accept": _NAV_ACCEPT, "upgrade-insecure-requests": "1"}
    if agent.brands is not None:
        headers["sec-ch-ua"] = agent.brands
        headers["sec-ch-ua-mobile"] = "?1" if agent.mobile else "?0"
        headers["sec-ch-ua-platform"] = f'"{agent.platform}"'
    headers["sec-fetch-dest"] = "document"
    headers["sec-fetch-mode"] = "navigate"
    headers["sec-fetch-site"] = "cross-site" if referer else "none"
    headers["sec-fetch-user"] = "?1"
    headers.update(agent.extra)
    return headers


# Declared bots: (name, user agent, ip pool, share among crawler/monitor hits).
CRAWLERS: tuple[tuple[str, str, str, float], ...] = (
    (
        "googlebot",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/131.0.6778.139 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
        "+http://www.google.com/bot.html)",
        "googlebot",
        0.3,
    ),
    (
        "bingbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        "bingbot",
        0.2,
    ),
    (
        "ahrefs",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "ahrefs",
        0.2,
    ),
    (
        "uptimerobot",
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "uptimerobot",
        0.15,
    ),
    (
        "semrush",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        "hetzner",
        0.1,
    ),
    (
        "petalbot",
        "Mozilla/5.0 (compatible;PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
        "aws",
        0.05,
    ),
)

# Preview fetchers that announce themselves: (name, user agent, ip pool).
PREVIEWERS: dict[str, tuple[str, str]] = {
    "twitterbot": ("Twitterbot/1.0", "twitter"),
    "facebook": (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebook",
    ),
    "whatsapp": ("WhatsApp/2.23.20.0 A", ""),  # the sender's own phone: residential
    "slackbot": ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "aws"),
    "discordbot": (
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "gcloud",
    ),
    "telegram": ("TelegramBot (like TwitterBot)", "telegram"),
}

MASTODON_INSTANCES = (
    "mastodon.social",
    "piaille.fr",
    "mamot.fr",
    "framapiaf.org",
    "mastodon.online",
    "mstdn.social",
    "eldritch.cafe",
    "social.tchncs.de",
    "chaos.social",
    "mastodon.world",
    "troet.cafe",
    "norden.social",
    "fosstodon.org",
    "hachyderm.io",
    "infosec.exchange",
    "masto.ai",
)

SCRIPTS = (
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "Wget/1.21.4",
    "axios/1.7.7",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Python-urllib/3.12",
    "okhttp/4.12.0",
)

HEADLESS = (
    f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    f"HeadlessChrome/{_CHROME}.0.0.0 Safari/537.36"
)


def all_browser_agents() -> list[Agent]:
    """Every person's client, browsers first then in-app browsers (a stable order)."""
    agents = [agent for agent, _ in BROWSERS]
    for network in sorted(IN_APP):
        agents.extend(agent for agent, _ in IN_APP[network])
    return agents
