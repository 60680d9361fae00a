"""Pattern lists curated by fairclick (versioned: evidence names the list and its version).

These are the project's own lists for what the downloaded bot lists do not separate: link
previews, HTTP tools and automation. Case-insensitive regular expressions; the first group that
matches names the agent. Bump the version when a list changes (it appears in evidence).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PatternList:
    """A named, versioned list of (label, case-insensitive regex)."""

    name: str
    version: str
    entries: tuple[tuple[str, str], ...]


# Social networks and messengers that fetch a link to draw its card. Mastodon and the other
# fediverse servers send one request per instance that received the post.
PREVIEWS = PatternList(
    "fairclick-previews",
    "2026.11",
    (
        ("Twitterbot", r"Twitterbot"),
        ("facebookexternalhit", r"facebookexternalhit|facebookcatalog|meta-externalagent"),
        ("Facebot", r"Facebot"),
        ("Slackbot", r"Slackbot|Slack-ImgProxy"),
        ("WhatsApp", r"WhatsApp/"),
        ("Discordbot", r"Discordbot"),
        ("TelegramBot", r"TelegramBot"),
        ("LinkedInBot", r"LinkedInBot"),
        ("Mastodon", r"Mastodon/|http\.rb/"),
        ("Pleroma/Akkoma", r"Pleroma|Akkoma"),
        ("Misskey", r"Misskey/"),
        ("GoToSocial", r"gotosocial"),
        ("Friendica", r"Friendica"),
        ("Pixelfed", r"Pixelfed"),
        ("Lemmy", r"Lemmy"),
        ("Bluesky", r"Bluesky Cardyb|cardyb"),
        ("SkypeUriPreview", r"SkypeUriPreview"),
        ("Iframely", r"Iframely"),
        ("Embedly", r"Embedly"),
        ("Pinterestbot", r"Pinterestbot|Pinterest/0\."),
        ("redditbot", r"redditbot"),
        ("Snapchat", r"Snap URL Preview|Snapchat/.*Preview"),
        ("TikTok preloader", r"Bytespider|TikTokSpider"),
        ("Viber", r"Viber/"),
        ("Line", r"\bLine/\d.*Preview|linespider"),
        ("vkShare", r"vkShare"),
        ("Google Read Aloud / preview", r"Google-PageRenderer|Google Web Preview"),
        ("Teams/Outlook", r"SkypeSpaces|MicrosoftPreview|Teams/.*Preview|BingPreview"),
        ("Signal", r"Signal-Desktop.*Preview"),
        ("Zoom", r"ZoomBot"),
        ("Tumblr", r"Tumblr/"),
        ("Yahoo link preview", r"Yahoo Link Preview"),
        ("Threads", r"Barcelona|ThreadsBot"),
        ("Nuzzel/embedding", r"Nuzzel|Embed PHP library|Tiny Tiny RSS"),
    ),
)

# HTTP libraries and command-line tools: not a browser, whatever they claim to be.
TOOLS = PatternList(
    "fairclick-tools",
    "2026.11",
    (
        ("curl", r"^curl/|\blibcurl\b"),
        ("Wget", r"^wget/|\bWget/"),
        ("python-requests", r"python-requests/"),
        ("python-urllib", r"Python-urllib/"),
        ("aiohttp", r"aiohttp/"),
        ("httpx", r"python-httpx/"),
        ("Scrapy", r"Scrapy/"),
        ("Go-http-client", r"Go-http-client/|^Go \d|fasthttp"),
        ("okhttp", r"^okhttp/"),
        ("Java", r"^Java/|Apache-HttpClient/|^Jakarta Commons|\bJersey/"),
        ("libwww-perl", r"libwww-perl/|^LWP::"),
        ("axios", r"^axios/"),
        ("node-fetch", r"node-fetch/|^undici|^node\b|^Node\.js"),
        ("got", r"^got \(|^got/"),
        ("PostmanRuntime", r"PostmanRuntime/"),
        ("Insomnia", r"^insomnia/"),
        ("HTTPie", r"^HTTPie/"),
        ("PowerShell", r"WindowsPowerShell/|PowerShell/"),
        ("Ruby", r"^Ruby$|Faraday v|^rest-client/"),
        ("PHP", r"^PHP/|GuzzleHttp/|^Zend_Http_Client"),
        ("Dart", r"^Dart/"),
        ("reqwest/hyper", r"^reqwest/|^hyper/"),
        ("Apache Bench", r"ApacheBench/|^wrk$|^hey/|^k6/|^Locust"),
        (".NET", r"^RestSharp/|System\.Net\.Http"),
        ("httpclient", r"^HttpClient/|^Http_Client"),
    ),
)

# Driven or headless browsers; client-hint consistency is checked separately (rules).
AUTOMATION = PatternList(
    "fairclick-automation",
    "2026.11",
    (
        ("HeadlessChrome", r"HeadlessChrome"),
        ("PhantomJS", r"PhantomJS"),
        ("Selenium", r"Selenium"),
        ("Puppeteer", r"Puppeteer"),
        ("Playwright", r"Playwright"),
        ("SlimerJS", r"SlimerJS"),
        ("HtmlUnit", r"HtmlUnit"),
        ("jsdom", r"jsdom/"),
        ("Cypress", r"Cypress/"),
        ("Splash", r"\bSplash\b"),
        ("Zombie.js", r"Zombie\.js"),
    ),
)

# Fallback bot list when no downloaded list is installed: the common self-declared tokens.
BUILTIN_BOTS = PatternList(
    "fairclick-bots-builtin",
    "2026.11.2",
    (
        ("bot", r"(?<!cu)bot\b|bot[/_-]|robot"),
        ("crawler", r"crawl"),
        ("spider", r"spider"),
        ("slurp", r"slurp"),
        ("archiver", r"archiv(?:er|e\.org)"),
        ("monitor", r"monitor(?:ing)?\b|uptime|pingdom|statuscake|site24x7"),
        ("fetcher", r"fetcher|feedfetcher|feed ?reader"),
        ("scanner", r"scanner|zgrab|masscan|nmap|nuclei"),
        ("lighthouse", r"lighthouse|pagespeed|gtmetrix"),
        ("search engine", r"bingpreview|yandex|baidu|duckduckgo|qwant|seznam|mail\.ru"),
        ("headless", r"headless"),
        ("url in UA", r"\+https?://|https?://\S+\.(?:com|org|net|io)"),
        ("validator", r"validator|checker|linkcheck"),
        ("scraper", r"scrap(?:er|y)|extractor"),
        ("AI crawler", r"GPTBot|ChatGPT-User|ClaudeBot|anthropic-ai|PerplexityBot|CCBot"),
        # Only product tokens, no comment, no browser: a library, an app's client or a script.
        ("bare product token", r"^[\w.\-:% ]+(?:/v?\d[\w.\-]*)?(?: [\w.\-]+/v?\d[\w.\-]*)*$"),
        ("declared contact", r"\+https?://|[\w.\-]+@[\w\-]+\.[a-z]{2,}"),
    ),
)
