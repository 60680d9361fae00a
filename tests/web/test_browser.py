"""The dashboards in a real browser (Debian's Chromium driven by Playwright), against a live
server on 127.0.0.1: the redirect, the validator worker and the web pages.

Never `playwright install`: the browser is /usr/bin/chromium (`.ci/run` installs it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from fairclick.campaigns.models import Campaign
from fairclick.clicks.models import Click
from fairclick.config import load_settings
from fairclick.web import incitement_check
from tests.conftest import IN_CI
from tests.factories import TEST_SECRET
from tests.web.conftest import PASSWORDS, fresh_database
from tests.web.live import Live, free_port, live_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSER_HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "accept-language": "fr-FR,fr;q=0.9",
    "sec-fetch-mode": "navigate",
    "sec-fetch-dest": "document",
    "sec-fetch-site": "cross-site",
    "sec-fetch-user": "?1",
}


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _need_browser() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing is None and not os.path.exists(CHROMIUM):
        missing = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true and a browser test would skip: {missing}")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def live(web_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The live server on a fresh copy of the web world."""
    _need_browser()
    folder = tmp_path_factory.mktemp("live")
    url, db = fresh_database(web_template, folder)
    port = free_port()
    settings = load_settings(
        secret_key=TEST_SECRET,
        database_url=url,
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        trusted_proxies="127.0.0.1",
        data_dir=folder / "data",
    )
    with live_server(settings, db) as server:
        yield server
    db.engine.dispose()


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Any]:
    """Headless Chromium."""
    sync_playwright = _need_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Session:
    """One browser context (one user) that records every request its pages make."""

    def __init__(self, browser: Any, live: Live, lang: str = "en-GB", **options: Any) -> None:
        self.live = live
        self.requests: list[str] = []
        self.context = browser.new_context(
            locale=lang, extra_http_headers={"accept-language": lang}, **options
        )
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def go(self, path: str) -> Any:
        return self.page.goto(self.live.url + path)

    def login(self, email: str) -> None:
        self.go("/login")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORDS[email])
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.content()[:2000]

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def outside(self) -> list[str]:
        """Requests to anything but 127.0.0.1 (data: URLs never leave the page)."""
        return [
            url for url in self.requests
            if not url.startswith("data:") and urlsplit(url).hostname != "127.0.0.1"
        ]  # fmt: skip

    def close(self) -> None:
        self.context.close()


def _local(dt: datetime) -> str:
    return dt.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def _click(live: Live, url: str, ip: str, ua: str, headers: dict[str, str] | None = None,
           method: str = "GET") -> int:  # fmt: skip
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        response = client.request(
            method, url, headers={"user-agent": ua, "x-forwarded-for": ip, **(headers or {})}
        )
    return response.status_code


def _clicks_of(live: Live, campaign_id: int) -> int:
    with live.db.session() as session:
        return int(
            session.scalar(select(func.count()).where(Click.campaign_id == campaign_id)) or 0
        )


def test_advertiser_influencer_clicks_report_and_language(browser: Any, live: Live) -> None:
    now = datetime.now(UTC)
    name = "Législatives : où voter"
    anna = Session(browser, live)
    anna.login("anna@vox.example")
    anna.shot("advertiser-campaigns")

    # Create a campaign; an over-precise payout is refused inline, then corrected.
    anna.go("/campaigns/new")
    page = anna.page
    page.fill("#f-name", name)
    page.fill("#f-destination_url", "https://legislatives.example.org/ou-voter")
    for tier, amount in {"nano": "0.355", "micro": "0.45", "macro": "0.55", "mega": "0.70"}.items():
        page.fill(f"#f-payout_{tier}", amount)
    page.fill("#f-budget", "1000")
    page.fill("#f-start", _local(now - timedelta(days=1)))
    page.fill("#f-end", _local(now + timedelta(days=30)))
    page.select_option("#f-openness", "open")
    page.click("button.primary[type=submit]")
    error = page.locator("#e-payout_nano")
    assert error.is_visible()
    assert "At most 2 decimals in EUR." in error.inner_text()
    assert page.get_attribute("#f-payout_nano", "aria-invalid") == "true"
    anna.shot("advertiser-campaign-form-error")
    page.fill("#f-payout_nano", "0.35")
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/campaigns/*")
    with live.db.session() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.name == name)).one()
        assert campaign.payout_by_tier == {"nano": 35, "micro": 45, "macro": 55, "mega": 70}
        campaign_id = campaign.id
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state()
    assert "Status changed." in page.content()

    # An influencer joins, gets a link and declares a post.
    lucas = Session(browser, live)
    lucas.login("lucas@example.org")
    lucas.page.get_by_role("button", name=f"Join {name}").click()
    lucas.page.wait_for_url("**/me/links")
    card = lucas.page.locator(".link-card", has_text=name).first
    default_url = card.locator("input.short-url").input_value()
    assert default_url.startswith(live.url + "/c/")
    assert card.locator(".qr svg").count() == 1
    lucas.go(f"/me/posts/new?campaign={campaign_id}")
    lucas.page.select_option("#f-network", "x")
    lucas.page.fill("#f-url", "https://x.com/lucasl77/status/99")
    if incitement_check.available():
        # The check's result shows while typing, before anything is saved.
        lucas.page.fill(
            "#f-text", "Cliquez sur mon lien svp, je suis payé au clic, merci de m'aider !"
        )
        expect = _expect()
        expect(lucas.page.locator("#check-result [data-label=incitement]")).to_be_visible(
            timeout=15_000
        )
        lucas.shot("influencer-declare-post-incitement")
    lucas.page.fill("#f-text", "Législatives : trouvez votre bureau de vote ici #Publicité")
    if incitement_check.available():
        expect(lucas.page.locator("#check-result [data-label=ok]")).to_be_visible(timeout=15_000)
    lucas.shot("influencer-declare-post")
    lucas.page.click("button.primary[type=submit]")
    lucas.page.wait_for_url("**/me/links")
    post_card = lucas.page.locator(".link-card", has_text="trouvez votre bureau").first
    post_url = post_card.locator("input.short-url").input_value()
    assert post_url != default_url
    lucas.shot("influencer-links")

    # The advertiser watches the report while clicks arrive through the real redirect.
    anna.go(f"/campaigns/{campaign_id}")
    assert anna.page.inner_text("[data-counter=raw]") == "0"
    sent = [
        _click(live, post_url, "86.200.14.21", IPHONE, BROWSER_HEADERS),
        _click(live, post_url, "90.55.3.140", CHROME, BROWSER_HEADERS),
        _click(live, default_url, "78.192.8.33", IPHONE, BROWSER_HEADERS),
        _click(live, post_url, "86.200.14.99", "curl/8.5.0"),
        _click(live, post_url, "199.16.157.180", "Twitterbot/1.0"),
        _click(live, post_url, "92.184.100.7", "python-requests/2.32.3"),
    ]
    assert all(status in (301, 302, 303, 307) for status in sent), sent
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while _clicks_of(live, campaign_id) < len(sent):
        assert datetime.now(UTC) < deadline, "the worker did not validate the clicks in time"
        anna.page.wait_for_timeout(200)
    # Live numbers: the counters refresh without a reload (htmx polls every 5 s).
    expect = _expect()
    expect(anna.page.locator("[data-counter=raw]")).to_have_text(str(len(sent)), timeout=20_000)
    with live.db.session() as session:
        valid = session.scalar(
            select(func.count()).where(Click.campaign_id == campaign_id, Click.verdict == "valid")
        )
    assert 1 <= (valid or 0) <= 3
    anna.page.reload()
    report = anna.page
    assert report.inner_text("[data-counter=valid]") == str(valid)
    assert report.inner_text("[data-counter=invalid]") == str(len(sent) - (valid or 0))
    reasons = report.inner_text("#reasons")
    assert "non_browser" in reasons
    assert "The request came from a script or tool, not a web browser." in reasons
    assert report.locator("#clicks-chart").is_visible()
    anna.shot("advertiser-report")

    # One click's explanation.
    anna.go(f"/campaigns/{campaign_id}/clicks?verdict=invalid")
    anna.page.locator("table.clicks tbody tr a").first.click()
    anna.page.wait_for_url("**/clicks/*")
    assert "Why this click counts or not" in anna.page.content()
    anna.shot("advertiser-click-explanation")

    # The influencer sees the rejected clicks' reasons in plain words.
    lucas.go("/me/clicks")
    assert "not a web browser" in lucas.page.content()
    lucas.shot("influencer-clicks")

    # The month's statements, from the ledger the worker billed through.
    month = datetime.now(UTC).strftime("%Y-%m")
    anna.go(f"/statements/{month}")
    assert name in anna.page.inner_text("main")
    anna.shot("advertiser-statement")
    lucas.go(f"/me/statements/{month}")
    assert name in lucas.page.inner_text("main")
    lucas.shot("influencer-statement")

    # The language switch.
    anna.go(f"/campaigns/{campaign_id}")
    anna.page.get_by_role("button", name="Français").click()
    anna.page.wait_for_load_state()
    assert anna.page.get_attribute("html", "lang") == "fr"
    assert "Clics bruts" in anna.page.content()
    assert "La requête venait d'un script ou d'un outil" in anna.page.inner_text("#reasons")
    anna.shot("advertiser-report-fr")

    for session in (anna, lucas):
        assert session.outside() == []
        session.close()


def test_no_page_requests_anything_outside_localhost(browser: Any, live: Live) -> None:
    """Every main page of every role, desktop and phone: all requests stay on 127.0.0.1."""
    pages = {
        "anna@vox.example": ["/campaigns", "/campaigns/new", "/statements", "/campaigns/1"],
        "lucas@example.org": ["/me", "/me/links", "/me/posts/new", "/me/clicks", "/me/earnings"],
        "admin@fairclick.example": [
            "/admin", "/admin/influencers", "/admin/moderation", "/admin/payouts",
        ],
    }  # fmt: skip
    for viewport, suffix in [
        ({"width": 1280, "height": 900}, ""),
        ({"width": 390, "height": 844}, "-phone"),
    ]:
        for email, paths in pages.items():
            session = Session(browser, live, viewport=viewport)
            session.login(email)
            for path in paths:
                response = session.go(path)
                assert response.status == 200, (email, path)
                session.page.wait_for_load_state("networkidle")
                name = email.split("@")[0] + path.replace("/", "-")
                session.shot(name + suffix)
            assert session.requests, "nothing was recorded"
            assert session.outside() == [], session.outside()
            session.close()


def test_changing_ids_in_the_url_gives_404_in_the_browser(browser: Any, live: Live) -> None:
    with live.db.session() as session:
        rival = session.scalars(select(Campaign).where(Campaign.key == "rival-launch")).one().id
        from fairclick.links.models import Link

        camille_link = session.scalars(select(Link).where(Link.code == "camilleIG01")).one().id
    anna = Session(browser, live)
    anna.login("anna@vox.example")
    assert anna.go(f"/campaigns/{rival}").status == 404
    assert anna.go(f"/campaigns/{rival}/report.csv").status == 404
    lucas = Session(browser, live)
    lucas.login("lucas@example.org")
    assert lucas.go(f"/me/links/{camille_link}/qr.svg").status == 404
    assert lucas.go(f"/campaigns/{rival}").status == 404
    assert "not yours to see" in lucas.page.content()
    for session in (anna, lucas):
        session.close()


def test_keyboard_reaches_the_login_form(browser: Any, live: Live) -> None:
    session = Session(browser, live)
    session.go("/login")
    session.page.keyboard.press("Tab")
    assert session.page.evaluate("document.activeElement.className") == "skip"
    session.page.keyboard.press("Enter")
    focused = []
    for _ in range(8):
        session.page.keyboard.press("Tab")
        focused.append(session.page.evaluate("document.activeElement.id"))
    assert "email" in focused and "password" in focused
    session.close()
