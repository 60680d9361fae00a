"""`fairclick influencer …`."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli


def test_create_list_show_and_add_account(cli: Cli) -> None:
    cli.ok(
        "influencer", "create", "lucasl77", "--name", "Lucas L.", "--country", "fr",
        "--email", "Lucas@Example.org", "--password", "lucas-pass-1", "--language", "fr",
        "--account", "twitter:@lucasl77:2315",
    )  # fmt: skip
    listed = cli.json("influencer", "list")
    assert listed == [
        {
            "key": "lucasl77",
            "display_name": "Lucas L.",
            "country": "FR",
            "status": "active",
            "followers": 2315,
            "tier": "nano",
            "email": "lucas@example.org",
        }
    ]
    out = cli.ok(
        "influencer", "add-account", "lucasl77", "--network", "instagram", "--handle", "lucas",
        "--followers", "20000",
    ).stdout  # fmt: skip
    assert "tier micro" in out
    shown = cli.json("influencer", "show", "lucasl77")
    assert shown["tier"] == "micro"
    assert [(a["network"], a["handle"]) for a in shown["social_accounts"]] == [
        ("x", "lucasl77"),
        ("instagram", "lucas"),
    ]
    assert shown["enrolments"] == []
    # adding the same account again updates its followers
    cli.ok("influencer", "add-account", "lucasl77", "--network", "ig", "--handle", "lucas",
           "--followers", "200000")  # fmt: skip
    assert cli.json("influencer", "show", "lucasl77")["tier"] == "macro"
    assert "Social accounts" in cli.ok("influencer", "show", "lucasl77").stdout


def test_list_filters_by_status(cli: Cli) -> None:
    cli.ok("influencer", "create", "a1", "--name", "A", "--country", "FR")
    cli.ok("influencer", "create", "p1", "--name", "P", "--country", "FR", "--status", "pending")
    assert [i["key"] for i in cli.json("influencer", "list", "--status", "pending")] == ["p1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["influencer", "create", "lucasl77", "--name", "Again", "--country", "FR"], "exists"),
        (["influencer", "create", "n1", "--name", "N", "--country", "FRA"], "country"),
        (["influencer", "create", "n1", "--name", "N", "--country", "FR", "--account", "x"],
         "NETWORK:HANDLE"),
        (["influencer", "create", "n1", "--name", "N", "--country", "FR", "--account",
          "myspace:n1"], "unknown network"),
        (["influencer", "create", "n1", "--name", "N", "--country", "FR", "--account",
          "x:n1:-3"], "followers"),
        (["influencer", "create", "n1", "--name", "N", "--country", "FR", "--account",
          "x:lucasl77"], "belongs to another influencer"),
        (["influencer", "create", "n1", "--name", "N", "--country", "FR", "--email",
          "lucas@example.org"], "exists"),
        (["influencer", "create", "n1", "--name", "N", "--country", "FR", "--language", "french"],
         "languages"),
        (["influencer", "show", "nobody"], "no influencer with key 'nobody'"),
        (["influencer", "add-account", "nobody", "--network", "x", "--handle", "h"], "nobody"),
        (["influencer", "add-account", "lucasl77", "--network", "x", "--handle", "a b"], "handle"),
        (["influencer", "add-account", "lucasl77", "--network", "x", "--handle", "h",
          "--profile-url", "javascript:alert(1)"], "http"),
    ],
)  # fmt: skip
def test_influencer_commands_refuse_bad_input(cli: Cli, args: list[str], message: str) -> None:
    cli.ok("influencer", "create", "lucasl77", "--name", "Lucas", "--country", "FR",
           "--email", "lucas@example.org", "--account", "x:lucasl77:10")  # fmt: skip
    before = cli.json("influencer", "show", "lucasl77")
    assert message in cli.fails(*args)
    assert [i["key"] for i in cli.json("influencer", "list")] == ["lucasl77"]
    assert cli.json("influencer", "show", "lucasl77") == before
