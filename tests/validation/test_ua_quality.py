"""UA classification precision: the false positives of the broad bot-list patterns, fixed by
logic (device models, a browser's grammar, corroboration), and the bots that must stay caught.

Two classifiers: the shipped fallback (what a fresh machine and the other tests use) and one on
small excerpts of the downloaded lists (real isbot / CrawlerDetect patterns, written to a
temporary data dir: the tests never see ./var/data nor the network).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fairclick.validation.data import CRAWLERDETECT_FILE, ISBOT_FILE
from fairclick.validation.enrich.ua import UaClassifier, load_bot_lists

from .clicks import ANDROID_CHROME, FIREFOX, IPHONE_SAFARI, WINDOWS_CHROME

# Patterns copied from isbot 5.2.3 and CrawlerDetect 0.4.2 (the ones these cases exercise).
ISBOT_EXCERPT = [
    "(?<! cu)bots?(?:\\b|_)",
    "(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))",
    "(?<!lib)http",
    "(?<!cam)scan",
    "\\b\\w+/1\\.0;",
    "^[\\w \\.\\-\\(?:\\):%]+(?:/v?\\d+(?:\\.\\d+)?(?:\\.\\d{1,10})*?)?(?:,|$)",
    "chromeframe",
    "download",
    "proxy",
    "radar",
    "catch",
    "sogou",
    "sparkler/",
    "marketgoo/",
    "spider",
    "crawl",
]
CRAWLERDETECT_EXCERPT = [
    "[a-z0-9\\-_]*(bot|crawl|headless|archiver|transcoder|spider|uptime|validator|fetcher"
    "|cron|checker|reader|extractor|monitoring|analyzer|scraper)",
    "DebugBear",
    "Yandex(?!Search)",
    "GTmetrix",
]

# People's browsers whose user agents trip a broad pattern of one list (or of both on a
# device model); each line names what used to fire.
BROWSERS = [
    # Android device models: "bot" (isbot and CrawlerDetect both), "Google", "Spider".
    "Mozilla/5.0 (Linux; Android 7.0; M bot 60 Build/NRD90M) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/58.0.3029.83 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 8.1.0; XBot Junior) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/87.0.4280.101 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; Arcelik Google TV Build/RTM6.230109.257; wv) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Spider 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    # Windows Phone model ("Radar"), IE plug-ins inside the comment (chromeframe, AutoProxy).
    "Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0; HTC; "
    "Radar 4G)",
    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1; chromeframe/15.0.874.121; .NET CLR "
    "1.1.4322)",
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; DGD (AutoProxy-Emea); "
    "MS-RTC LM 8)",
    # TV sets and feature phones: "CE-HTML/1.0;", "REX/1.0;" (isbot's \w+/1.0;).
    "Opera/9.80 (Linux mips; U; HbbTV/1.1.1 (; Humax; hms1000s; 1.0.0; 1.0.0; ); ce-html/1.0; "
    "en) Presto/2.10.250 Version/11.60",
    "Mozilla/5.0 (Sonim-XP3400/E343B_2100B00_N1900;U;REX/1.0;BREW/3.1.5;240*320;CTC/2.0) "
    "POLARIS/6.2",
    "B30_Dorado WAP-Browser/1.0.0",
    # A word inside a TV's product token ("Catcher4.69"), a browser named after a search engine.
    "Mozilla/5.0 (Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/84.0.4147.140 "
    "Safari/537.36 OPR/46.0.2207.0 OMI/4.21.4.112.Catcher4.69 Model/Hisense-MT9602 VIDAA",
    "Mozilla/5.0 (Linux; Android 10; ZTE A2020 SP Build/QKQ1.200913.002; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/68.0.3440.106 Mobile Safari/537.36 AWP/2.0 "
    "SogouMSE,SogouMobileBrowser/6.0.2",
    # In-app browsers of the networks fairclick's influencers post on.
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Instagram 308.0.2.18.106 (iPhone14,5; iOS 17_1; fr_FR; fr; "
    "scale=3.00; 1170x2532; 534961953)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.46.117;FBBV/540713431;FBDV/iPhone14,5;"
    "FBMD/iPhone;FBSN/iOS;FBSV/17.1;FBSS/3;FBCR/;FBID/phone;FBLC/fr_FR;FBOP/80]",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 "
    "musical_ly_2023205030 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly "
    "app_version/32.5.3 ByteLocale/fr ByteFullLocale/fr Region/FR BytedanceWebview/d8a21c6",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Twitter for iPhone/10.17",
    IPHONE_SAFARI,
    ANDROID_CHROME,
    WINDOWS_CHROME,
    FIREFOX,
]

# Bots that must stay caught: declared in a browser's grammar, appended product names,
# extended browser signatures, and bots without a browser's grammar at all.
BOTS = [
    # Declared ("bot", "+http", an e-mail) in a browser's grammar.
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html)",
    "Mozilla/5.0 (X11; Linux x86_64; GTmetrix https://gtmetrix.com/) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/54.0.2840.71 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/112.0.0.0 Safari/537.36 (scanner.ducks.party)",
    # A product name appended after the engine tokens (isbot "name/", a CrawlerDetect name).
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Sparkler/0.2.0-SNAPSHOT",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15 MarketGoo/2.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/133.0.0.0 Safari/537.36 DebugBear",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/48.0.2564.103 Safari/537.36 Yandex.Translate",
    # Extended signatures: a comment added to "(KHTML, like Gecko)", "(compatible; …)" after
    # the engine tokens. The first is in no list.
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amzn-User/0.1) "
    "Chrome/119.0.6045.214 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko; "
    "Google-Sites-Thumbnails) Chrome/120.0.6099.71 Safari/537.36",
    # No browser's grammar: one list is enough.
    "Grafana/11.1.0",
    "Google-Cloud-Scheduler",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
]

# What the curated lists catch whatever the crawler lists say (same with either classifier).
CURATED = [
    ("Twitterbot/1.0", "preview"),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "preview"),
    ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "preview"),
    ("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "preview"),
    ("WhatsApp/2.23.20.0 A", "preview"),
    ("TelegramBot (like TwitterBot)", "preview"),
    ("http.rb/5.1.1 (Mastodon/4.2.1; +https://mastodon.social/)", "preview"),
    ("curl/8.4.0", "tool"),
    ("python-requests/2.31.0", "tool"),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0.0.0 Safari/537.36",
        "automation",
    ),
]


def _on_excerpts(combine: str = "vote") -> UaClassifier:
    """A classifier on the list excerpts (written to a temporary data dir, read at init)."""
    with tempfile.TemporaryDirectory(prefix="fc-ua-") as tmp:
        data_dir = Path(tmp)
        (data_dir / ISBOT_FILE).write_text(
            json.dumps({"name": "isbot", "version": "5.2.3", "patterns": ISBOT_EXCERPT})
        )
        (data_dir / CRAWLERDETECT_FILE).write_text(
            json.dumps(
                {"name": "crawlerdetect", "version": "0.4.2", "patterns": CRAWLERDETECT_EXCERPT}
            )
        )
        return UaClassifier(load_bot_lists(data_dir), combine=combine)


DOWNLOADED = _on_excerpts()
FALLBACK = UaClassifier([])


@pytest.mark.parametrize("ua", BROWSERS)
def test_browsers_are_not_called_bots_by_the_downloaded_lists(ua: str) -> None:
    info = DOWNLOADED.classify(ua)
    assert info.category == "browser", info.match


@pytest.mark.parametrize("ua", BROWSERS)
def test_browsers_are_not_called_bots_by_the_fallback(ua: str) -> None:
    info = FALLBACK.classify(ua)
    assert info.category == "browser", info.match


@pytest.mark.parametrize("ua", BOTS)
def test_bots_stay_caught_by_the_downloaded_lists(ua: str) -> None:
    assert DOWNLOADED.classify(ua).category == "crawler"


def test_the_lists_alone_flag_these_browsers() -> None:
    """The first twelve browser cases are real false positives of the lists taken alone."""
    alone = _on_excerpts(combine="any")
    assert [m.name for m in alone.bots] == ["isbot", "crawlerdetect"]
    flagged = [ua for ua in BROWSERS[:12] if alone.classify(ua).category == "crawler"]
    assert flagged == BROWSERS[:12]


def test_an_extended_signature_names_its_evidence() -> None:
    info = DOWNLOADED.classify(BOTS[7])
    assert info.match is not None
    assert (info.match["list"], info.match["matched"]) == (
        "fairclick-shape",
        "(KHTML, like Gecko;",
    )
    assert FALLBACK.classify(BOTS[7]).category == "crawler"


@pytest.mark.parametrize(("ua", "category"), CURATED)
def test_curated_lists_win_with_either_classifier(ua: str, category: str) -> None:
    assert DOWNLOADED.classify(ua).category == category
    assert FALLBACK.classify(ua).category == category


_MODELS = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=" _-"),
    min_size=1,
    max_size=24,
).filter(lambda s: s.strip() == s and "Build" not in s)


@given(model=_MODELS)
def test_no_android_device_model_makes_a_chrome_user_agent_a_bot(model: str) -> None:
    """Whatever a vendor names a phone, Chrome on it stays a browser (both classifiers). A
    name from the curated preview, tool and automation lists ("Slackbot", "curl") is not a
    phone: those lists match anywhere in a user agent on purpose."""
    curated = (FALLBACK.previews, FALLBACK.tools, FALLBACK.automation)
    assume(all(matcher.search(model) is None for matcher in curated))
    ua = (
        f"Mozilla/5.0 (Linux; Android 13; {model} Build/TP1A.220624.014) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
    )
    assert DOWNLOADED.classify(ua).category == "browser"
    assert FALLBACK.classify(ua).category == "browser"


@pytest.mark.parametrize(
    "ua",
    [
        BOTS[0],  # Googlebot smartphone: declared
        BOTS[7],  # extended signature, in no list
        "Grafana/11.1.0",  # bare product tokens: a library or a script, not a browser
        "Google-Cloud-Scheduler",
        "Datadog Agent/5.10.1",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "RSSRadio (Push Notification Scanner;support@dorada.co.uk)",  # a contact address
    ],
)
def test_the_fallback_catches_declared_bots_and_bare_tokens(ua: str) -> None:
    assert FALLBACK.classify(ua).category == "crawler"
