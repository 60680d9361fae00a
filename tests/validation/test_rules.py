"""Each reason code with realistic positive and negative cases, through the whole engine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fairclick.domain.reasons import Reason, Verdict
from fairclick.validation.context import (
    CampaignPolicy,
    SelfClickEvidence,
    Strictness,
    ValidationContext,
)
from fairclick.validation.engine import Validator
from fairclick.validation.enrich.ip import ip_hash

from .clicks import (
    ANDROID_CHROME,
    BINGBOT,
    BROWSER_HEADERS,
    CHROME_HINTS,
    CURL,
    FACEBOOK,
    FIREFOX,
    FREE_IP,
    FREE_IP6,
    GO_HTTP,
    GOOGLEBOT,
    HEADLESS,
    HETZNER_IP,
    HETZNER_IP6,
    IPHONE_SAFARI,
    MASTODON,
    META_IP,
    ORANGE_IP,
    PYTHON_REQUESTS,
    SECRET,
    TWITTER_IP,
    TWITTERBOT,
    WINDOWS_CHROME,
    click,
)

PLATFORM = ValidationContext()


def one(validator: Validator, event, context: ValidationContext = PLATFORM):  # type: ignore[no-untyped-def]
    return validator.validate([event], context)[0]


def test_residential_iphone_safari_is_valid(validator: Validator) -> None:
    decision = one(validator, click())
    assert decision.verdict is Verdict.VALID
    assert decision.reasons == () and decision.flags == ()
    e = decision.enrichment
    assert (e.asn, e.country, e.browser, e.os, e.device) == (3215, "FR", "Safari", "iOS", "mobile")
    assert e.ip_prefix == "90.12.4.0/24"
    assert e.ip_hash == ip_hash(ORANGE_IP, SECRET) and len(e.ip_hash) == 32
    assert not e.is_datacenter


@pytest.mark.parametrize("ip", [FREE_IP, FREE_IP6])
def test_free_residential_ipv4_and_ipv6_are_valid(validator: Validator, ip: str) -> None:
    decision = one(validator, click(ip=ip, user_agent=ANDROID_CHROME, headers=CHROME_HINTS))
    assert decision.verdict is Verdict.VALID, decision.evidence
    assert decision.enrichment.asn == 12322
    assert decision.enrichment.ip_prefix in ("82.64.17.0/24", "2a01:e0a:1d4::/48")


@pytest.mark.parametrize("ua", [GOOGLEBOT, BINGBOT])
def test_known_crawler(validator: Validator, ua: str) -> None:
    decision = one(validator, click(user_agent=ua, headers={}, accept_language=""))
    assert decision.reasons == (Reason.KNOWN_CRAWLER,)
    evidence = decision.evidence["known_crawler"]
    assert evidence["list"] == "fairclick-bots-builtin" and evidence["version"]
    assert evidence["pattern"]


@pytest.mark.parametrize(
    "ua",
    [
        TWITTERBOT,
        FACEBOOK,
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "TelegramBot (like TwitterBot)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    ],
)
def test_link_preview_by_user_agent(validator: Validator, ua: str) -> None:
    decision = one(validator, click(user_agent=ua, headers={}, accept_language=""))
    assert decision.reasons == (Reason.LINK_PREVIEW,)
    assert decision.evidence["link_preview"]["list"] == "fairclick-previews"


def test_x_head_request_with_browser_user_agent_is_a_preview(validator: Validator) -> None:
    """X fetches a posted link once as Twitterbot and then with HEADs carrying a browser UA."""
    events = [click(0, ip=TWITTER_IP, user_agent=TWITTERBOT, headers={}, accept_language="")]
    events += [
        click(
            0.2 * i,
            ip=TWITTER_IP,
            method="HEAD",
            user_agent=IPHONE_SAFARI,
            headers={},
            accept_language="",
        )
        for i in range(1, 4)
    ]
    decisions = validator.validate(events, PLATFORM)
    assert all(d.reasons == (Reason.LINK_PREVIEW,) for d in decisions), [
        d.evidence for d in decisions
    ]
    head = decisions[1].evidence["link_preview"]
    assert head["asn"] == 13414 and "HEAD" in head["signal"]
    assert "prefetch" not in decisions[1].evidence  # a preview's HEAD is not a prefetch


def test_browser_ua_get_right_after_a_preview_without_headers(validator: Validator) -> None:
    first = click(0, ip=META_IP, user_agent=FACEBOOK, headers={}, accept_language="")
    bare = click(2, ip=FREE_IP, user_agent=WINDOWS_CHROME, headers={}, accept_language="")
    later = click(
        600, ip=FREE_IP, user_agent=WINDOWS_CHROME, headers={}, accept_language="", link_id=2
    )
    d = validator.validate([first, bare, later], PLATFORM)
    assert d[1].reasons == (Reason.LINK_PREVIEW,)
    assert d[1].evidence["link_preview"]["follows_preview"] == first.click_id
    # Alone (no preview just before), missing headers are weak evidence: only flagged.
    assert d[2].verdict is Verdict.VALID and d[2].flags == (Reason.LINK_PREVIEW,)


def test_missing_headers_are_not_used_when_the_log_has_none(validator: Validator) -> None:
    audit = ValidationContext.audit(headers_recorded=False)
    decision = one(validator, click(headers={}, accept_language=""), audit)
    assert decision.verdict is Verdict.VALID and decision.flags == ()


def test_mastodon_fan_out(validator: Validator) -> None:
    """One post federated to many instances: each fetches the link within seconds."""
    fetches = [
        click(
            0.3 * i,
            user_agent=MASTODON.format(host=f"social{i}.example"),
            ip=HETZNER_IP if i % 2 else FREE_IP,
            headers={},
            accept_language="",
            visitor_id=None,
        )
        for i in range(40)
    ]
    decisions = validator.validate(fetches, PLATFORM)
    assert all(Reason.LINK_PREVIEW in d.reasons for d in decisions)
    assert decisions[-1].evidence["link_preview"]["fanout_requests_60s"] >= 40
    # An instance fetching with a browser UA from a hosting network during the fan-out.
    stray = click(13, ip=HETZNER_IP, user_agent=WINDOWS_CHROME, headers=BROWSER_HEADERS)
    d = validator.validate([stray], PLATFORM)[0]
    assert Reason.LINK_PREVIEW in d.reasons and "fan-out" in d.evidence["link_preview"]["signal"]


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("HEAD", BROWSER_HEADERS),
        ("GET", {**BROWSER_HEADERS, "sec-purpose": "prefetch;prerender"}),
        ("GET", {**BROWSER_HEADERS, "purpose": "prefetch"}),
        ("GET", {"x-moz": "prefetch"}),
    ],
)
def test_prefetch(validator: Validator, method: str, headers: dict[str, str]) -> None:
    decision = one(validator, click(method=method, headers=headers, ip=FREE_IP))
    assert decision.reasons == (Reason.PREFETCH,), decision.evidence


@pytest.mark.parametrize(
    "ua",
    [
        CURL,
        PYTHON_REQUESTS,
        GO_HTTP,
        "okhttp/4.12.0",
        "Wget/1.21.4",
        "PostmanRuntime/7.36.0",
        "axios/1.6.2",
        "node-fetch/1.0",
        "",
        "  ",
        "x\x01y",
    ],
)
def test_non_browser(validator: Validator, ua: str) -> None:
    decision = one(validator, click(user_agent=ua, headers={}, accept_language=""))
    assert decision.reasons == (Reason.NON_BROWSER,), decision.evidence


@pytest.mark.parametrize("ip", [HETZNER_IP, HETZNER_IP6])
def test_datacenter(validator: Validator, ip: str) -> None:
    decision = one(validator, click(ip=ip))
    assert decision.reasons == (Reason.DATACENTER,)
    evidence = decision.evidence["datacenter"]
    assert evidence["asn"] == 24940 and "Hetzner" in evidence["as_org"]
    assert decision.enrichment.is_datacenter


def test_datacenter_is_only_flagged_under_lenient(validator: Validator) -> None:
    lenient = ValidationContext(policies={1: CampaignPolicy(strictness=Strictness.LENIENT)})
    decision = one(validator, click(ip=HETZNER_IP), lenient)
    assert decision.verdict is Verdict.VALID and decision.flags == (Reason.DATACENTER,)
    assert decision.outcomes["datacenter"] == "flagged"


def test_duplicate_same_visitor_same_link_inside_window(validator: Validator) -> None:
    first = click(0, visitor_id="v-1")
    again = click(3600, visitor_id="v-1", ip=FREE_IP)  # changed network, same cookie
    other_link = click(3700, visitor_id="v-1", link_id=2)
    next_day = click(25 * 3600, visitor_id="v-1")
    d = validator.validate([first, again, other_link, next_day], PLATFORM)
    assert d[0].verdict is Verdict.VALID
    assert d[1].reasons == (Reason.DUPLICATE,)
    assert d[1].evidence["duplicate"]["first_click_id"] == first.click_id
    assert d[1].evidence["duplicate"]["matched_on"] == "visitor cookie"
    assert d[2].verdict is Verdict.VALID and d[3].verdict is Verdict.VALID


def test_duplicate_catches_cookie_less_repeats(validator: Validator) -> None:
    first = click(0, assigned_visitor_id="new-1")  # the redirect set a cookie
    dropped = click(30, visitor_id=None)  # same phone, cookie not sent back
    d = validator.validate([first, dropped], PLATFORM)
    assert d[1].reasons == (Reason.DUPLICATE,)
    assert d[1].evidence["duplicate"]["matched_on"] == "ip+user agent"


def test_duplicate_window_is_the_campaigns(validator: Validator) -> None:
    context = ValidationContext(policies={1: CampaignPolicy(dedupe_window=timedelta(hours=1))})
    d = validator.validate([click(0, visitor_id="a"), click(2 * 3600, visitor_id="a")], context)
    assert [x.verdict for x in d] == [Verdict.VALID, Verdict.VALID]


def test_audit_dedupes_by_url_path(validator: Validator) -> None:
    audit = ValidationContext.audit()
    events = [
        click(0, link_id=None, campaign_id=None, path="/promo?utm=1"),
        click(10, link_id=None, campaign_id=None, path="/promo?utm=2"),
        click(20, link_id=None, campaign_id=None, path="/other"),
    ]
    d = validator.validate(events, audit)
    assert [x.verdict for x in d] == [Verdict.VALID, Verdict.INVALID, Verdict.VALID]


def test_velocity_one_ip_many_links(validator: Validator) -> None:
    events = [click(5 * i, link_id=100 + i, visitor_id=f"fresh-{i}", ip=FREE_IP) for i in range(8)]
    d = validator.validate(events, PLATFORM)
    assert all(x.verdict is Verdict.VALID for x in d[:5])
    assert Reason.VELOCITY in d[6].reasons
    exceeded = d[6].evidence["velocity"]["exceeded"]
    assert any(
        e["source"] == "ip" and e["window_seconds"] == 60 and e["limit"] == 5 for e in exceeded
    )


def test_velocity_not_triggered_by_a_person_pace(validator: Validator) -> None:
    events = [click(120 * i, link_id=100 + i, visitor_id="slow") for i in range(12)]
    assert all(d.verdict is Verdict.VALID for d in validator.validate(events, PLATFORM))


def test_automation_headless_user_agent(validator: Validator) -> None:
    decision = one(validator, click(user_agent=HEADLESS, ip=FREE_IP))
    assert decision.reasons == (Reason.AUTOMATION,)


@pytest.mark.parametrize(
    ("ua", "headers", "problem"),
    [
        (IPHONE_SAFARI, {**BROWSER_HEADERS, "sec-ch-ua-platform": '"Linux"'}, "sec-ch-ua-platform"),
        (FIREFOX, {**BROWSER_HEADERS, "sec-ch-ua": '"Chromium";v="120"'}, "never sends"),
        (
            WINDOWS_CHROME,
            {
                **BROWSER_HEADERS,
                "sec-ch-ua": '"Chromium";v="120"',
                "sec-ch-ua-mobile": "?1",
                "sec-ch-ua-platform": '"Windows"',
            },
            "desktop",
        ),
        (
            WINDOWS_CHROME,
            {**BROWSER_HEADERS, "sec-ch-ua": '"HeadlessChrome";v="120"'},
            "HeadlessChrome",
        ),
        (
            ANDROID_CHROME,
            {**CHROME_HINTS, "sec-ch-ua": '"Chromium";v="96", "Google Chrome";v="96"'},
            "differs",
        ),
    ],
)
def test_automation_client_hints_inconsistent(
    validator: Validator, ua: str, headers: dict[str, str], problem: str
) -> None:
    decision = one(validator, click(user_agent=ua, headers=headers, ip=FREE_IP))
    assert decision.reasons == (Reason.AUTOMATION,), decision.evidence
    assert any(problem in p for p in decision.evidence["automation"]["problems"])


def test_consistent_client_hints_pass(validator: Validator) -> None:
    decision = one(validator, click(user_agent=ANDROID_CHROME, headers=CHROME_HINTS, ip=FREE_IP))
    assert decision.verdict is Verdict.VALID, decision.evidence


def test_self_click(validator: Validator) -> None:
    own = SelfClickEvidence(
        visitor_ids=frozenset({"lucas-phone"}),
        ip_hashes=frozenset({ip_hash("90.12.9.9", SECRET)}),
        prefix_user_agents=frozenset({("82.64.17.0/24", FIREFOX)}),
    )
    context = ValidationContext(self_clicks={7: own})
    by_cookie = click(0, visitor_id="lucas-phone", link_id=1)
    by_ip = click(10, ip="90.12.9.9", link_id=2)
    by_device = click(20, ip=FREE_IP, user_agent=FIREFOX, link_id=3)
    stranger = click(30, ip="90.12.9.10", link_id=4)
    other_influencer = click(40, visitor_id="lucas-phone", influencer_id=8, link_id=5)
    d = validator.validate([by_cookie, by_ip, by_device, stranger, other_influencer], context)
    assert [Reason.SELF_CLICK in x.reasons for x in d] == [True, True, True, False, False]


def test_incited_and_platform_rules_not_applied_in_audit(validator: Validator) -> None:
    context = ValidationContext(incited_posts=frozenset({70}))
    assert one(validator, click(post_id=70), context).reasons == (Reason.INCITED,)
    assert one(validator, click(post_id=71, link_id=9), context).verdict is Verdict.VALID
    audit = one(validator, click(post_id=70, link_id=10), ValidationContext.audit())
    assert audit.outcomes["incited"] == "not_applied"
    applied = validator.applied_rules(ValidationContext.audit())
    assert not applied["self_click"] and not applied["incited"] and applied["duplicate"]


def test_allow_list_keeps_monitoring_valid(validator: Validator) -> None:
    policy = CampaignPolicy(allow_cidrs=("88.198.0.0/16",), allow_ua_substrings=("vox-monitor",))
    context = ValidationContext(policies={1: policy})
    d = validator.validate(
        [click(0, ip=HETZNER_IP), click(1, user_agent="vox-monitor/1.0 curl/8")], context
    )
    assert all(x.verdict is Verdict.VALID for x in d)
    assert d[0].outcomes["datacenter"] == "allowed" and "allow_list" in d[0].evidence


def test_strict_invalidates_weak_hits(validator: Validator) -> None:
    strict = ValidationContext(policies={1: CampaignPolicy(strictness=Strictness.STRICT)})
    decision = one(validator, click(headers={}, accept_language="", link_id=3), strict)
    assert decision.reasons == (Reason.LINK_PREVIEW,)
