"""Enrichment pieces: IP ranges, UA classification, data-update parsing (no network)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairclick.influencers.service import ip_hash as platform_ip_hash
from fairclick.validation.context import ValidationContext
from fairclick.validation.data import ISBOT_FILE
from fairclick.validation.data.update import isbot_patterns, merge_ranges, python_list
from fairclick.validation.decisions import explain
from fairclick.validation.engine import Validator
from fairclick.validation.enrich.ip import (
    IpRanges,
    ParsedIp,
    ip_hash,
    load_fallback_ranges,
    load_ranges,
    parse_ip,
    ranges_from_rows,
    save_ranges,
)
from fairclick.validation.enrich.patterns import PatternSet, required_literal
from fairclick.validation.enrich.ua import UaClassifier, _pythonic, load_bot_lists

from . import reference_request as reference
from .clicks import (
    ANDROID_CHROME,
    CURL,
    GOOGLEBOT,
    HEADLESS,
    IPHONE_SAFARI,
    SECRET,
    TWITTERBOT,
    WINDOWS_CHROME,
    click,
)


@pytest.mark.parametrize(
    ("ip", "asn", "country"),
    [
        ("90.12.4.7", 3215, "FR"),
        ("82.64.17.3", 12322, "FR"),
        ("88.198.34.7", 24940, "DE"),
        ("199.16.156.124", 13414, "US"),
        ("2a01:e0a:1d4:5e10::7", 12322, "FR"),
        ("::ffff:90.12.4.7", 3215, "FR"),
        ("10.0.0.1", 0, ""),
        ("not-an-ip", 0, ""),
    ],
)
def test_fallback_ranges_lookup(ip: str, asn: int, country: str) -> None:
    info = load_fallback_ranges().lookup([parse_ip(ip)])[0]
    assert (info.asn, info.country) == (asn, country)


def test_prefixes_and_hash_match_the_platform(validator: Validator) -> None:
    assert parse_ip("90.12.4.7").prefix == "90.12.4.0/24"  # type: ignore[union-attr]
    assert parse_ip("2a01:e0a:1d4:5e10::7").prefix == "2a01:e0a:1d4::/48"  # type: ignore[union-attr]
    assert parse_ip("090.12.4.7") is None and parse_ip("256.1.1.1") is None
    decision = validator.validate([click()], ValidationContext())[0]
    assert decision.enrichment.ip_hash == platform_ip_hash("90.12.4.7", SECRET)


def test_ranges_round_trip_through_npz(tmp_path: Path) -> None:
    rows = [
        (
            int(ipaddress.ip_address("1.2.3.0")),
            int(ipaddress.ip_address("1.2.3.255")),
            64500,
            "Example AS",
            "NL",
        ),
        (
            int(ipaddress.ip_address("2001:db8::")),
            int(ipaddress.ip_address("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")),
            64501,
            "V6 AS",
            "BE",
        ),
    ]
    save_ranges(ranges_from_rows(rows, "test"), tmp_path / "ip_ranges.npz")
    loaded = load_ranges(tmp_path)
    got = loaded.lookup([parse_ip("1.2.3.9"), parse_ip("2001:db8:5::1"), parse_ip("1.2.4.1")])
    assert [(g.asn, g.as_org, g.country) for g in got] == [
        (64500, "Example AS", "NL"),
        (64501, "V6 AS", "BE"),
        (0, "", ""),
    ]
    assert loaded.source == "test"
    assert load_ranges(tmp_path / "absent").source == "fairclick-fallback"


def test_merge_ranges_cuts_at_both_boundaries() -> None:
    merged = merge_ranges([(0, 99, 1, "A"), (200, 299, 2, "B")], [(50, 249, "FR")])
    assert merged == [
        (0, 49, 1, "A", ""),
        (50, 99, 1, "A", "FR"),
        (100, 199, 0, "", "FR"),
        (200, 249, 2, "B", "FR"),
        (250, 299, 2, "B", ""),
    ]


def test_isbot_and_crawlerdetect_lists_are_read_without_running_them() -> None:
    js = 'var x = 1;\nvar patterns_default = [\n  " daum[ /]",\n  "(?<! cu)bots?(?:\\\\b|_)",\n  "^curl"\n];\n'
    assert isbot_patterns(js) == [" daum[ /]", "(?<! cu)bots?(?:\\b|_)", "^curl"]
    assert python_list('data = [\n    r"^Aether",\n    r"Zabbix",\n]\nimport os\n') == [
        "^Aether",
        "Zabbix",
    ]


def test_js_regex_conversion() -> None:
    assert _pythonic(r"(?<! channel/|google/)google") == r"(?<! channel/)(?<!google/)google"
    assert _pythonic(r"[\w\d-.]+") == r"[\w\d\-.]+"


def test_pattern_set_finds_lowest_index_match() -> None:
    patterns = [
        r"^Ruby|Ruby\/[0-9]",
        "Zabbix",
        r"[a-z0-9\-_]*(bot|crawl|spider)",
        r"(?<! cu)bots?\b",
    ]
    ps = PatternSet(patterns)
    assert ps.search("Zabbix 6.0").index == 1  # type: ignore[union-attr]
    assert ps.search("Ruby/3.2").index == 0  # type: ignore[union-attr]
    assert ps.search("SuperCrawler 1").index == 2  # type: ignore[union-attr]
    assert ps.search(IPHONE_SAFARI) is None
    assert required_literal(r"(?<! cu)bots?(?:\b|_)") == "bot"


def test_downloaded_lists_are_used_and_named_in_evidence(tmp_path: Path) -> None:
    (tmp_path / ISBOT_FILE).write_text(
        json.dumps(
            {
                "name": "isbot",
                "version": "9.9.9",
                "patterns": ["googlebot", "(?<! cu)bots?(?:\\b|_)"],
            }
        )
    )
    classifier = UaClassifier(load_bot_lists(tmp_path))
    info = classifier.classify(GOOGLEBOT)
    assert info.category == "crawler" and info.match is not None
    assert (info.match["list"], info.match["version"]) == ("isbot", "9.9.9")
    assert classifier.classify(IPHONE_SAFARI).category == "browser"


@pytest.mark.parametrize(
    ("ua", "category", "browser", "os", "device"),
    [
        (IPHONE_SAFARI, "browser", "Safari", "iOS", "mobile"),
        (ANDROID_CHROME, "browser", "Chrome", "Android", "mobile"),
        (WINDOWS_CHROME, "browser", "Chrome", "Windows", "desktop"),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Mobile/15E148 Safari/604.1",
            "browser",
            "Safari",
            "iOS",
            "tablet",
        ),
        (TWITTERBOT, "preview", None, None, "bot"),
        (CURL, "tool", None, None, "bot"),
        (HEADLESS, "automation", "Chrome", "Linux", "desktop"),
    ],
)
def test_ua_parse(ua: str, category: str, browser: str | None, os: str | None, device: str) -> None:
    info = UaClassifier([]).classify(ua)
    assert (info.category, info.browser, info.os, info.device) == (category, browser, os, device)


def test_explain_lists_every_rule_with_a_sentence(validator: Validator) -> None:
    decision = validator.validate([click(user_agent=CURL)], ValidationContext.audit())[0]
    outcomes = {o.rule: o for o in explain(decision)}
    assert outcomes["non_browser"].outcome == "hit"
    assert outcomes["non_browser"].sentence.startswith("The request came from a script")
    assert outcomes["non_browser"].evidence["pattern"] == "curl"
    assert outcomes["self_click"].outcome == "not_applied"
    assert outcomes["duplicate"].outcome == "pass" and outcomes["duplicate"].ivt_class == "GIVT"


def test_explain_shows_retro_reverdicts() -> None:
    from fairclick.validation.decisions import explain_evidence

    stored = {"_rules": {"duplicate": "pass"}, "click_ring": {"ring_members": 6}}
    outcomes = explain_evidence(stored)
    assert [(o.rule, o.outcome) for o in outcomes] == [("duplicate", "pass"), ("click_ring", "hit")]
    assert outcomes[1].ivt_class == "SIVT" and outcomes[1].evidence == {"ring_members": 6}


@given(st.ip_addresses())
def test_prefix_matches_ipaddress(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    parsed = parse_ip(str(address))
    assert parsed is not None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 48
    assert parsed.prefix == str(ipaddress.ip_network(f"{address}/{bits}", strict=False))
    assert parsed.value == int(address)


_ADDRESS_TEXT = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda a: f" {a} "),
    st.tuples(*[st.integers(0, 300)] * 4).map(lambda t: ".".join(map(str, t))),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(f"{n:03d}" for n in t)),
    st.text(alphabet="0123456789.:abcdefx%/ ", max_size=45),
    st.text(max_size=20),
)


@given(_ADDRESS_TEXT)
def test_parse_ip_matches_the_reference(text: str) -> None:
    assert parse_ip(text) == reference.parse_ip(text)


@given(st.text(max_size=100), st.text(max_size=45))
def test_ip_hash_is_hmac_sha256(secret: str, ip: str) -> None:
    want = hmac.new(secret.encode(), ip.encode(), hashlib.sha256).hexdigest()[:32]
    assert ip_hash(ip, secret) == want == reference.ip_hash(ip, secret)


@st.composite
def _ranges_and_addresses(draw: st.DrawFn) -> tuple[IpRanges, list[ParsedIp | None]]:
    cuts = sorted(draw(st.sets(st.integers(0, 2**32 - 1), max_size=12)))
    cuts6 = sorted(draw(st.sets(st.integers(2**32, 2**128 - 1), max_size=12)))
    rows = []
    for bounds in (cuts, cuts6):
        for start, end in zip(bounds[::2], bounds[1::2], strict=False):
            asn = draw(st.integers(1, 5))
            rows.append((start, end, asn, f"AS {asn}", draw(st.sampled_from(["", "FR", "DE"]))))
    ranges = ranges_from_rows(rows, "drawn")
    near = [v + d for v in cuts + cuts6 for d in (-1, 0, 1)]
    values = draw(st.lists(st.one_of(st.sampled_from(near or [0]), st.integers(0, 2**128 - 1))))
    parsed: list[ParsedIp | None] = [None]
    for v in values:
        if 0 <= v < 2**32:
            parsed.append(ParsedIp(4, v, ""))
        elif 0 <= v < 2**128:
            parsed.append(ParsedIp(6, v, ""))
    return ranges, parsed


@given(_ranges_and_addresses())
def test_lookup_matches_the_reference(drawn: tuple[IpRanges, list[ParsedIp | None]]) -> None:
    ranges, parsed = drawn
    assert ranges.lookup(parsed) == reference.lookup(ranges, parsed)
