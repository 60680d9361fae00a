"""User-agent enrichment: browser/OS/device parse and bot classification, cached per string.

Classification order decides the one category of a user agent: link preview > tool (non
browser) > automation > known crawler > browser. Previews and tools are fairclick's curated
lists (`lists.py`); crawlers come from the downloaded lists (isbot, CrawlerDetect) combined as
measured by `bench/validation/ua_quality.py`, or the built-in list on a fresh machine.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from fairclick.validation.data import CRAWLERDETECT_FILE, ISBOT_FILE
from fairclick.validation.enrich.lists import AUTOMATION, BUILTIN_BOTS, PREVIEWS, TOOLS, PatternList
from fairclick.validation.enrich.patterns import PatternSet


@dataclass(frozen=True, slots=True)
class UaInfo:
    """What one user-agent string is. `category`: browser | preview | tool | automation |
    crawler | empty | malformed. `match` is the evidence: list, version, pattern, matched text."""

    category: str
    browser: str | None
    browser_version: str | None
    os: str | None
    device: str
    bot_name: str | None
    match: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class BotList:
    """A downloaded bot pattern list: regex source per entry, plus exclusions stripped first."""

    name: str
    version: str
    patterns: tuple[str, ...]
    exclusions: tuple[str, ...] = ()

    def compile(self) -> tuple[PatternSet, re.Pattern[str] | None]:
        """The fast matcher of the patterns and the exclusion regex (Python syntax)."""
        matcher = PatternSet([_pythonic(p) for p in self.patterns])
        excl = (
            re.compile("|".join(_pythonic(e) for e in self.exclusions), re.IGNORECASE)
            if self.exclusions
            else None
        )
        return matcher, excl


_VAR_LOOKBEHIND = re.compile(r"\(\?<!([^()]*\|[^()]*)\)")
_CLASS_HYPHEN = re.compile(r"(\\[dwsDWS])-")


def _pythonic(pattern: str) -> str:
    """JS → Python regex: split variable-width negative look-behinds `(?<!a|bc)` into
    `(?<!a)(?<!bc)` (equivalent), which Python's `re` accepts."""
    pattern = _CLASS_HYPHEN.sub(r"\1\\-", pattern)
    return _VAR_LOOKBEHIND.sub(
        lambda m: "".join(f"(?<!{alt})" for alt in m.group(1).split("|")), pattern
    )


def load_bot_lists(data_dir: Path | None) -> list[BotList]:
    """The downloaded lists installed in `data_dir` (isbot, CrawlerDetect), possibly none."""
    lists = []
    for file in (ISBOT_FILE, CRAWLERDETECT_FILE):
        if data_dir is not None and (data_dir / file).exists():
            raw = json.loads((data_dir / file).read_text(encoding="utf-8"))
            lists.append(
                BotList(
                    raw["name"],
                    raw["version"],
                    tuple(raw["patterns"]),
                    tuple(raw.get("exclusions", ())),
                )
            )
    return lists


class _Matcher:
    def __init__(
        self,
        name: str,
        version: str,
        labels: list[str],
        patterns: PatternSet,
        exclusions: re.Pattern[str] | None = None,
    ) -> None:
        self.name, self.version, self.labels = name, version, labels
        self.patterns, self.exclusions = patterns, exclusions
        self.names = name in _NAME_LISTS

    def search(self, ua: str) -> dict[str, str] | None:
        text = self.exclusions.sub("", ua) if self.exclusions else ua
        found = self.patterns.search(text)
        if found is None:
            return None
        return {
            "list": self.name,
            "version": self.version,
            "pattern": self.labels[found.index],
            "matched": found.text[:80],
        }


def _curated(plist: PatternList) -> _Matcher:
    return _Matcher(
        plist.name,
        plist.version,
        [label for label, _ in plist.entries],
        PatternSet([pattern for _, pattern in plist.entries]),
    )


# A single list's hit is corroborated by the shape of the user agent. These are the grammars
# of people's browsers, old and new (desktop and mobile engines, feature phones, TV sets):
# inside them, the broad words and shapes of the downloaded lists ("google", "proxy",
# "download", "\\w+/1.0;", a device model such as "M bot 60") name a device, a plug-in or
# a toolbar far more often than a bot (measured on the browser fixtures, see docs).
_BROWSER_EVIDENCE = re.compile(
    r"^Mozilla/[2-5]\.\d+ ?\((?:[^()]|\([^()]*\))*?"
    r"(?:Windows|Macintosh|X11|Linux|Android|iPhone|iPad|iPod|CrOS|MSIE|Symbian|SymbOS|BlackBerry"
    r"|BB10|PlayBook|webOS|Tizen|KAIOS|Mobile|Nintendo|PlayStation|SAMSUNG|Series ?[46]0|SMART-TV"
    r"|SunOS|FreeBSD|OpenBSD|NetBSD|AmigaOS|Win(?:dows ?)?(?:9[58x]|NT|32|CE|Phone)|U;)"
    r"|^Opera/\d|Presto/\d|Opera Mini/|Profile/MIDP|Configuration/CLDC|\bMIDP-\d|\bMAUI\b|\bMRE/"
    r"|\bBREW\b|UP\.Browser|NetFront|Obigo|Teleca|Polaris|Dolfin|HbbTV/|NETTV/|CE-HTML|SmartTV"
    r"|\bWAP[ _-]?Browser|\bbrowser/\d",
    re.IGNORECASE,
)
# What a bot declares about itself, whatever else its user agent claims; and the extensions
# of a browser signature that people's browsers never send: a comment added to "(KHTML, like
# Gecko)", or "(compatible; …)" after the engine tokens.
_DECLARED_BOT = re.compile(
    r"bots?\b|bot[/_-]|crawl|spider|slurp|archiver|headless|scan(?:ner)?\b|monitor"
    r"|\+https?://|\(https?://|[\w.-]+@[\w-]+\.\w|\[at\]",
    re.IGNORECASE,
)
_EXTENDED_SIGNATURE = re.compile(
    r"\(KHTML, like Gecko;|(?:Safari|Chrome|Gecko|Firefox)/[\d.]+ \(compatible;"
)
# Parts of a browser's user agent that carry a vendor's or a plug-in's naming, never a bot's
# declaration: the device model of a phone or TV ("Android 7.0; M bot 60 Build/NRD90M") and
# the toolbar / plug-in tokens of old Internet Explorer comments.
_DEVICE_PART = re.compile(
    r"(?<=; )[^;()]*?\bBuild/[^;()]*"
    r"|(?<=Android )[\d.]+(?:; [a-z]{2}[-_][a-z]{2,3})?; [^;()]*(?=\)|; wv\))"
    r"|(?<=IEMobile/)[^()]*(?=\))"
    r"|chromeframe/[\d.]+",
    re.IGNORECASE,
)


def _extended_signature(ua: str) -> re.Match[str] | None:
    """`_EXTENDED_SIGNATURE` in `ua`, after a substring test that rules most strings out."""
    if "like Gecko;" not in ua and "(compatible;" not in ua:
        return None
    return _EXTENDED_SIGNATURE.search(ua)


def _inside_comment(ua: str, start: int) -> bool:
    """Whether position `start` of `ua` is inside a parenthesised comment."""
    return ua.count("(", 0, start) > ua.count(")", 0, start)


SHAPE_VERSION = "2026.11"
# Lists whose entries are product names (CrawlerDetect: checked by its maintainers against
# 165k browser user agents) rather than broad words (isbot: "google", "proxy", "download").
# A name of such a list opening a token outside the comments is trusted alone.
_NAME_LISTS = frozenset({"crawlerdetect"})


class UaClassifier:
    """Parses and classifies user agents; results cached per distinct string (LRU).

    `combine`: how crawler lists decide — "any" (a hit in one list), "vote" (the default,
    measured best, see docs/validation.md): device models are not asked about; two lists
    agreeing, or one list on a user agent without a browser's grammar, make a crawler; in a
    browser's grammar one list needs a bot's declaration (bot, crawl, +http…, an e-mail), an
    extended browser signature, or a product name appended outside the comments."""

    def __init__(
        self, bot_lists: list[BotList], cache_size: int = 65536, combine: str = "vote"
    ) -> None:
        self.previews = _curated(PREVIEWS)
        self.tools = _curated(TOOLS)
        self.automation = _curated(AUTOMATION)
        if bot_lists:
            self.bots = []
            for bl in bot_lists:
                matcher, excl = bl.compile()
                self.bots.append(_Matcher(bl.name, bl.version, list(bl.patterns), matcher, excl))
        else:
            self.bots = [_curated(BUILTIN_BOTS)]
        self.combine = combine
        self.cache_size = cache_size
        self._cache: OrderedDict[str, UaInfo] = OrderedDict()
        self.hits = self.misses = 0

    @property
    def list_versions(self) -> dict[str, str]:
        """Every list in use and its version (for /metrics and the manifest view)."""
        out = {m.name: m.version for m in (self.previews, self.tools, self.automation)}
        out.update({m.name: m.version for m in self.bots})
        return out

    def classify(self, ua: str) -> UaInfo:
        """The cached parse and category of `ua`."""
        cached = self._cache.get(ua)
        if cached is not None:
            self.hits += 1
            self._cache.move_to_end(ua)
            return cached
        self.misses += 1
        info = self._classify(ua)
        self._cache[ua] = info
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return info

    def is_bot(self, ua: str) -> bool:
        """True for anything that is not a person's browser (bench: recall / false positives)."""
        return self.classify(ua).category != "browser"

    def crawler_match(self, ua: str) -> dict[str, str] | None:
        """The evidence of the downloaded/builtin crawler lists for `ua`, combined."""
        if self.combine == "any":
            return next((m for m in (b.search(ua) for b in self.bots) if m is not None), None)
        hits = [(b, m) for b, m in ((b, b.search(ua)) for b in self.bots) if m is not None]
        text = ua
        if hits:
            # A device model is the vendor's naming ("M bot 60", "Google TV"): no list is
            # asked about it, so two lists cannot agree on it either.
            text = _DEVICE_PART.sub("", ua)
            if text != ua:
                hits = [(b, m) for b, m in ((b, b.search(text)) for b in self.bots) if m]
        if not hits:
            signature = _extended_signature(text)
            if signature is None:
                return None
            return {
                "list": "fairclick-shape",
                "version": SHAPE_VERSION,
                "pattern": "extended browser signature",
                "matched": signature.group(0),
            }
        if len(hits) >= 2 or not _BROWSER_EVIDENCE.search(ua):
            return hits[0][1]
        if _DECLARED_BOT.search(text) or _extended_signature(text):
            return hits[0][1]
        # One list, in a browser's grammar, no declaration: trusted only for a product token
        # appended outside the comments (…Safari/537.36 Sparkler/0.2.0); a broad word inside
        # a comment or inside a token (AutoProxy, Catcher4.69, JavaPlatform) is not enough.
        lowered = text.lower()
        for matcher, found in hits:
            matched = found["matched"]
            start = max(lowered.find(matched.lower()), 0)
            end = start + len(matched)
            if _inside_comment(text, start):
                continue
            if matcher.names and (start == 0 or text[start - 1] in " ;,"):
                return found
            if matched.endswith("/") or text[end : end + 1] == "/":
                return found
        return None

    def _classify(self, ua: str) -> UaInfo:
        text = ua.strip()
        if not text:
            return UaInfo(
                "empty",
                None,
                None,
                None,
                "other",
                None,
                {
                    "list": "fairclick-tools",
                    "version": TOOLS.version,
                    "pattern": "empty user agent",
                    "matched": "",
                },
            )
        if len(text) < 6 or any(ord(c) < 32 for c in text):
            return UaInfo(
                "malformed",
                None,
                None,
                None,
                "other",
                None,
                {
                    "list": "fairclick-tools",
                    "version": TOOLS.version,
                    "pattern": "malformed user agent",
                    "matched": text[:80],
                },
            )
        browser, version, os_name, device = parse_ua(text)
        for category, matcher in (
            ("preview", self.previews),
            ("tool", self.tools),
            ("automation", self.automation),
        ):
            found = matcher.search(text)
            if found is not None:
                return UaInfo(
                    category,
                    browser,
                    version,
                    os_name,
                    "bot" if category != "automation" else device,
                    found["pattern"],
                    found,
                )
        found = self.crawler_match(text)
        if found is not None:
            return UaInfo(
                "crawler", browser, version, os_name, "bot", _bot_name(text, found), found
            )
        return UaInfo("browser", browser, version, os_name, device, None, None)


_BOT_NAME = re.compile(r"([A-Za-z][\w.\-]*(?:bot|spider|crawler|Bot|Spider|Crawler))")


def _bot_name(ua: str, found: dict[str, str]) -> str:
    named = _BOT_NAME.search(ua)
    return named.group(1) if named else found["matched"] or found["pattern"]


_BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/([\d.]+)")),
    ("Opera", re.compile(r"(?:OPR|Opera|OPT)/([\d.]+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/([\d.]+)")),
    ("Facebook in-app", re.compile(r"FBAV/([\d.]+)|FBAN/")),
    ("Instagram in-app", re.compile(r"Instagram ([\d.]+)")),
    ("TikTok in-app", re.compile(r"(?:musical_ly|BytedanceWebview|TikTok)[_/ ]([\d.]+)")),
    ("Yandex Browser", re.compile(r"YaBrowser/([\d.]+)")),
    ("UC Browser", re.compile(r"UCBrowser/([\d.]+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/([\d.]+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS|HeadlessChrome)/([\d.]+)")),
    ("Safari", re.compile(r"Version/([\d.]+).*Safari/")),
    ("Mobile Safari", re.compile(r"\((?:iPhone|iPad|iPod).*AppleWebKit/([\d.]+)")),
    ("Internet Explorer", re.compile(r"MSIE ([\d.]+)|Trident/.*rv:([\d.]+)")),
]
_OS = [
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Android", re.compile(r"Android")),
    ("Windows", re.compile(r"Windows")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("Linux", re.compile(r"Linux|X11")),
]
_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)|Kindle|Silk/")
_MOBILE = re.compile(r"Mobile|iPhone|iPod|Android.*Mobile|Windows Phone|Opera Mini")


def parse_ua(ua: str) -> tuple[str | None, str | None, str | None, str]:
    """(browser family, major.minor version, OS family, device class) of a browser UA."""
    browser = version = None
    for name, regex in _BROWSERS:
        found = regex.search(ua)
        if found:
            browser = name
            raw = next((g for g in found.groups() if g), None)
            version = ".".join(raw.split(".")[:2]) if raw else None
            break
    os_name = next((name for name, regex in _OS if regex.search(ua)), None)
    if _TABLET.search(ua) and os_name in ("iOS", "Android"):
        device = "tablet"
    elif _MOBILE.search(ua):
        device = "mobile"
    elif os_name in ("Windows", "macOS", "Linux", "ChromeOS"):
        device = "desktop"
    else:
        device = "other"
    return browser, version, os_name, device
