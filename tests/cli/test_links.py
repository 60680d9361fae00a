"""`fairclick link …` and `fairclick post add`."""

from __future__ import annotations

import pytest

from tests.cli.conftest import BASE_URL, Cli


def test_list_and_show_give_the_full_short_url_and_target(world_cli: Cli) -> None:
    links = world_cli.json("link", "list", "--campaign", "primaire-ou-voter")
    codes = {link["code"] for link in links}
    assert {"bviabRurGt", "camilleIG01"} <= codes
    assert len(links) == 4  # two fixed codes and one default link per approved enrolment
    shown = world_cli.json("link", "show", "bviabRurGt")
    assert shown["short_url"] == f"{BASE_URL}/c/bviabRurGt"
    assert shown["target_url"] == (
        "https://primaire.example.org/ou-voter?utm_source=x&utm_medium=lucasl77"
        "&utm_campaign=primaire-ou-voter"
    )
    assert shown["post_url"] == "https://x.com/lucasl77/status/1"
    assert "bureau de vote" in shown["post_text"]
    table = world_cli.ok("link", "show", "bviabRurGt").stdout
    assert f"{BASE_URL}/c/bviabRurGt" in table


def test_create_with_and_without_a_fixed_code(world_cli: Cli) -> None:
    out = world_cli.ok("link", "create", "primaire-ou-voter", "camille.voyage",
                       "--network", "tiktok", "--code", "cam-tt-1").stdout  # fmt: skip
    assert f"{BASE_URL}/c/cam-tt-1" in out
    assert "utm_medium=camillevoyage" in out
    random_code = world_cli.ok("link", "create", "primaire-ou-voter", "lucasl77").stdout
    code = random_code.split("/c/")[1].split()[0]
    assert len(code) >= 8
    assert world_cli.json("link", "show", code)["influencer"] == "lucasl77"
    mine = world_cli.json("link", "list", "--influencer", "camille.voyage")
    assert "cam-tt-1" in {link["code"] for link in mine}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["link", "create", "primaire-ou-voter", "lucasl77", "--code", "bviabRurGt"], "taken"),
        (["link", "create", "primaire-ou-voter", "lucasl77", "--code", "a/b"], "4–64"),
        (["link", "create", "primaire-ou-voter", "lucasl77", "--network", "myspace"], "network"),
        (["link", "create", "primaire-ou-voter", "nobody"], "no influencer"),
        (["link", "create", "nope", "lucasl77"], "no campaign"),
        (["link", "create", "primaire-ou-voter", "outsider"], "not enrolled"),
        (["link", "show", "unknown-code"], "no link with code 'unknown-code'"),
        (["link", "list", "--campaign", "nope"], "no campaign"),
        (["post", "add", "primaire-ou-voter", "lucasl77", "--network", "x", "--url",
          "javascript:alert(1)"], "http"),
        (["post", "add", "primaire-ou-voter", "lucasl77", "--network", "x", "--posted-at",
          "yesterday"], "--posted-at"),
        (["post", "add", "primaire-ou-voter", "lucasl77"], "--network"),
    ],
)  # fmt: skip
def test_link_and_post_commands_refuse_bad_input(
    world_cli: Cli, args: list[str], message: str
) -> None:
    world_cli.ok("influencer", "create", "outsider", "--name", "O", "--country", "FR")
    before = world_cli.json("link", "list")
    assert message in world_cli.fails(*args)
    assert world_cli.json("link", "list") == before


def test_a_suspended_enrolment_gets_no_new_links(world_cli: Cli) -> None:
    world_cli.ok("campaign", "suspend", "primaire-ou-voter", "lucasl77")
    assert "not approved" in world_cli.fails("link", "create", "primaire-ou-voter", "lucasl77")


def test_post_add_declares_a_post_with_its_own_link(world_cli: Cli) -> None:
    out = world_cli.ok(
        "post", "add", "primaire-ou-voter", "camille.voyage", "--network", "instagram",
        "--url", "https://instagram.com/p/abc", "--text", "Où voter dimanche ? Lien en bio",
        "--posted-at", "2025-11-18T10:00:00Z",
    ).stdout  # fmt: skip
    assert "declared" in out
    code = out.split("/c/")[1].split()[0]
    shown = world_cli.json("link", "show", code)
    assert shown["post_url"] == "https://instagram.com/p/abc"
    assert shown["post_text"] == "Où voter dimanche ? Lien en bio"
    assert shown["posted_at"] == "2025-11-18T10:00:00Z"
    assert shown["network"] == "instagram"
    assert "utm_source=instagram" in shown["target_url"]
