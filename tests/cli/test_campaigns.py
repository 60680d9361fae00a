"""`fairclick campaign …`: money in exact units, lifecycle, enrolments."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli

NEW = [
    "campaign", "create", "--org", "vox", "--key", "c1", "--name", "Primaire : où voter",
    "--destination", "https://primaire.example.org/ou-voter?ref=fc",
    "--start", "2025-11-16T23:00:00Z", "--end", "2025-11-23T23:00:00Z",
]  # fmt: skip


def _setup(cli: Cli) -> None:
    cli.ok("org", "create", "vox", "--name", "Vox")


def test_major_units_are_converted_exactly(cli: Cli) -> None:
    _setup(cli)
    cli.ok(*NEW, "--payout", "nano=0.35,micro=0.45,macro=0.55,mega=0.70", "--budget", "180000",
           "--daily-cap", "30000.10", "--price", "0.99", "--timezone", "Europe/Paris",
           "--network", "twitter", "--network", "instagram", "--country", "fr")  # fmt: skip
    shown = cli.json("campaign", "show", "c1")
    assert shown["payout_by_tier"] == {"nano": 35, "micro": 45, "macro": 55, "mega": 70}
    assert shown["advertiser_price_by_tier"] == dict.fromkeys(
        ("nano", "micro", "macro", "mega"), 99
    )
    assert shown["budget_minor"] == 18_000_000
    assert shown["daily_cap_minor"] == 3_000_010
    assert shown["allowed_networks"] == ["x", "instagram"]
    assert shown["target_countries"] == ["FR"]
    assert shown["status"] == "draft"
    assert shown["currency"] == "EUR"
    table = cli.ok("campaign", "show", "c1").stdout
    assert "180000.00 EUR" in table
    assert "nano 0.35 EUR" in table


def test_minor_units_and_zero_decimal_currencies(cli: Cli) -> None:
    _setup(cli)
    cli.ok(*NEW, "--payout", "35", "--budget", "18000000", "--minor")
    assert cli.json("campaign", "show", "c1")["budget_minor"] == 18_000_000
    cli.ok(*[a if a != "c1" else "c2" for a in NEW], "--currency", "jpy", "--payout", "50",
           "--budget", "100000")  # fmt: skip
    shown = cli.json("campaign", "show", "c2")
    assert (shown["currency"], shown["budget_minor"]) == ("JPY", 100_000)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--payout", "0.35", "--budget", "-5"], "cannot be negative"),
        (["--payout", "-0.35", "--budget", "5"], "cannot be negative"),
        (["--payout", "0.355", "--budget", "5"], "more precision than EUR"),
        (["--payout", "0.35", "--budget", "lots"], "not an amount"),
        (["--payout", "0.35", "--budget", "5.5", "--minor"], "whole number of minor units"),
        (["--payout", "0.35", "--budget", "5", "--currency", "EURO"], "unknown currency"),
        (["--payout", "nano=0.3,micro=0.4", "--budget", "5"], "missing: macro, mega"),
        (["--payout", "giga=0.3", "--budget", "5"], "TIER=AMOUNT"),
        (["--payout", "0.35", "--budget", "5", "--daily-cap", "6"], "cannot exceed the budget"),
        (["--payout", "0.35", "--budget", "5", "--price", "0.10"], "below the influencer payout"),
        (["--payout", "0.35", "--budget", "5", "--end", "2025-11-01T00:00:00Z"],
         "end must be after start"),
        (["--payout", "0.35", "--budget", "5", "--start", "next tuesday"], "--start"),
        (["--payout", "0.35", "--budget", "5", "--timezone", "Mars/Olympus"], "time zone"),
        (["--payout", "0.35", "--budget", "5", "--network", "myspace"], "unknown network"),
        (["--payout", "0.35", "--budget", "5", "--openness", "whenever"], "--openness"),
        (["--payout", "0.35", "--budget", "5", "--destination", "javascript:alert(1)"], "http"),
        (["--payout", "0.35", "--budget", "5", "--destination", "https://localhost/x"], "public"),
        (["--payout", "0.35"], "needs --budget"),
    ],
)  # fmt: skip
def test_create_refuses_bad_input_and_creates_nothing(
    cli: Cli, extra: list[str], message: str
) -> None:
    _setup(cli)
    assert message in cli.fails(*NEW, *extra)
    assert cli.json("campaign", "list") == []


def test_unknown_organisation(cli: Cli) -> None:
    line = cli.fails("campaign", "create", "--org", "nope", *NEW[4:], "--payout", "1",
                     "--budget", "5")  # fmt: skip
    assert "no organisation with key 'nope'" in line


def test_update_changes_only_what_is_given(cli: Cli) -> None:
    _setup(cli)
    cli.ok(*NEW, "--payout", "0.35", "--budget", "1000")
    before = cli.json("campaign", "show", "c1")
    cli.ok("campaign", "update", "c1", "--budget", "2000.50", "--openness", "open",
           "--country", "FR", "--country", "BE")  # fmt: skip
    after = cli.json("campaign", "show", "c1")
    assert after["budget_minor"] == 200_050
    assert after["openness"] == "open"
    assert after["target_countries"] == ["FR", "BE"]
    unchanged = {k: v for k, v in after.items()
                 if k not in {"budget_minor", "openness", "target_countries"}}  # fmt: skip
    assert unchanged == {k: before[k] for k in unchanged}
    assert "nothing to change" in cli.ok("campaign", "update", "c1").stdout
    assert "end must be after start" in cli.fails(
        "campaign", "update", "c1", "--end", "2025-11-01T00:00:00Z"
    )
    assert "cannot be negative" in cli.fails("campaign", "update", "c1", "--budget", "-1")
    assert "no campaign" in cli.fails("campaign", "update", "nope", "--budget", "1")
    assert cli.json("campaign", "show", "c1") == after


def test_lifecycle_and_illegal_transitions(cli: Cli) -> None:
    _setup(cli)
    cli.ok(*NEW, "--payout", "0.35", "--budget", "1000")
    assert "cannot become paused" in cli.fails("campaign", "pause", "c1")
    cli.ok("campaign", "activate", "c1")
    cli.ok("campaign", "pause", "c1")
    assert [c["status"] for c in cli.json("campaign", "list", "--status", "paused")] == ["paused"]
    cli.ok("campaign", "activate", "c1")
    cli.ok("campaign", "end", "c1")
    assert "ended is final" in cli.fails("campaign", "activate", "c1")
    assert cli.json("campaign", "show", "c1")["status"] == "ended"


def test_enrolment_flow(world_cli: Cli) -> None:
    cli = world_cli
    cli.ok("influencer", "create", "newbie", "--name", "N", "--country", "FR",
           "--account", "x:newbie:500")  # fmt: skip
    cli.ok("influencer", "create", "belgian", "--name", "B", "--country", "BE",
           "--account", "x:belgian:500")  # fmt: skip
    # the example campaign is open and targets France
    assert "approved" in cli.ok("campaign", "enrol", "primaire-ou-voter", "newbie").stdout
    assert "targets FR" in cli.fails("campaign", "enrol", "primaire-ou-voter", "belgian")
    cli.ok("campaign", "suspend", "primaire-ou-voter", "newbie")
    links = cli.json("link", "list", "--influencer", "newbie")
    assert links and all(link["disabled_at"] for link in links)
    cli.ok("campaign", "approve", "primaire-ou-voter", "newbie")  # reinstated
    assert not any(
        link["disabled_at"] for link in cli.json("link", "list", "--influencer", "newbie")
    )
    assert "cannot become rejected" in cli.fails(
        "campaign", "reject", "primaire-ou-voter", "newbie"
    )
    # invitation-only: applying is refused, an invitation then an approval admits
    cli.ok("campaign", "update", "primaire-ou-voter", "--openness", "invite_only")
    cli.ok("influencer", "create", "guest", "--name", "G", "--country", "FR")
    assert "invitation only" in cli.fails("campaign", "enrol", "primaire-ou-voter", "guest")
    assert "invited" in cli.ok("campaign", "invite", "primaire-ou-voter", "guest").stdout
    cli.ok("campaign", "reject", "primaire-ou-voter", "guest")
    enrolled = {e["influencer"]: e["status"] for e in
                cli.json("campaign", "show", "primaire-ou-voter")["enrolments"]}  # fmt: skip
    assert enrolled == {"camille.voyage": "approved", "guest": "rejected",
                        "lucasl77": "approved", "newbie": "approved"}  # fmt: skip
    assert "not enrolled" in cli.fails("campaign", "approve", "primaire-ou-voter", "belgian")
    assert "no influencer" in cli.fails("campaign", "invite", "primaire-ou-voter", "ghost")


def test_list_filters_and_json(world_cli: Cli) -> None:
    rows = world_cli.json("campaign", "list", "--org", "vox")
    assert [(c["key"], c["budget_minor"], c["currency"]) for c in rows] == [
        ("primaire-ou-voter", 18_000_000, "EUR")
    ]
    assert world_cli.json("campaign", "list", "--org", "other") == []
    assert "Campaigns: none" in world_cli.ok("campaign", "list", "--status", "draft").stdout
