"""`fairclick org …` and `fairclick user …` (passwords and API tokens)."""

from __future__ import annotations

import pytest

from fairclick.accounts.service import authenticate_password, authenticate_token
from fairclick.domain.errors import Unauthorized
from tests.cli.conftest import Cli


def test_org_create_and_list(cli: Cli) -> None:
    cli.ok("org", "create", "vox", "--name", "Agence Vox & Co", "--country", "fr")
    cli.ok("org", "create", "acme", "--name", "Acme")
    assert cli.json("org", "list") == [
        {"key": "acme", "name": "Acme", "country": "FR", "campaigns": 0, "users": 0},
        {"key": "vox", "name": "Agence Vox & Co", "country": "FR", "campaigns": 0, "users": 0},
    ]
    assert "Agence Vox & Co" in cli.ok("org", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["org", "create", "vox", "--name", "Again"], "exists"),
        (["org", "create", "bad key", "--name", "X"], "key"),
        (["org", "create", "x", "--name", "X", "--country", "France"], "country"),
        (["org", "create", "y", "--name", "   "], "name"),
    ],
)
def test_org_create_refuses_bad_input(cli: Cli, args: list[str], message: str) -> None:
    cli.ok("org", "create", "vox", "--name", "Vox")
    assert message in cli.fails(*args)
    assert [o["key"] for o in cli.json("org", "list")] == ["vox"]


def test_users_and_passwords(cli: Cli) -> None:
    assert cli.db is not None
    cli.ok("org", "create", "vox", "--name", "Vox")
    cli.ok("user", "create", "Anna@Vox.example", "--role", "advertiser", "--org", "vox")
    cli.ok("user", "create", "root@fc.example", "--role", "admin", "--password", "root-pass-1")
    users = cli.json("user", "list")
    assert [(u["email"], u["role"], u["organisation"], u["password"]) for u in users] == [
        ("anna@vox.example", "advertiser", "vox", False),
        ("root@fc.example", "admin", None, True),
    ]
    assert [u["email"] for u in cli.json("user", "list", "--org", "vox")] == ["anna@vox.example"]
    assert [u["email"] for u in cli.json("user", "list", "--role", "admin")] == ["root@fc.example"]
    cli.ok("user", "set-password", "anna@vox.example", "--password", "anna-new-pass")
    with cli.db.session() as session:
        assert authenticate_password(session, "anna@vox.example", "anna-new-pass").role == (
            "advertiser"
        )


def test_set_password_prompts_without_echo(cli: Cli) -> None:
    assert cli.db is not None
    cli.ok("user", "create", "root@fc.example", "--role", "admin")
    result = cli("user", "set-password", "root@fc.example", input="secret-pass-9\nsecret-pass-9\n")
    assert result.exit_code == 0, result.stderr
    assert "secret-pass-9" not in result.stdout
    with cli.db.session() as session:
        authenticate_password(session, "root@fc.example", "secret-pass-9")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "create", "anna@vox.example", "--role", "admin"], "exists"),
        (["user", "create", "ANNA@vox.example", "--role", "admin"], "exists"),
        (["user", "create", "not-an-email", "--role", "admin"], "email"),
        (["user", "create", "b@vox.example", "--role", "advertiser"], "organisation"),
        (["user", "create", "b@vox.example", "--role", "admin", "--org", "vox"], "organisation"),
        (["user", "create", "b@vox.example", "--role", "advertiser", "--org", "nope"], "nope"),
        (["user", "create", "b@vox.example", "--role", "boss"], "--role"),
        (["user", "create", "b@vox.example", "--role", "admin", "--password", "short"], "8"),
        (["user", "set-password", "nobody@vox.example", "--password", "long-enough"], "no user"),
        (["user", "set-password", "anna@vox.example", "--password", "short"], "password"),
    ],
)
def test_user_commands_refuse_bad_input(cli: Cli, args: list[str], message: str) -> None:
    cli.ok("org", "create", "vox", "--name", "Vox")
    cli.ok("user", "create", "anna@vox.example", "--role", "advertiser", "--org", "vox")
    assert message in cli.fails(*args)
    assert [u["email"] for u in cli.json("user", "list")] == ["anna@vox.example"]


def test_tokens_are_shown_once_listed_by_prefix_and_revocable(cli: Cli) -> None:
    assert cli.db is not None
    cli.ok("user", "create", "root@fc.example", "--role", "admin")
    created = cli.json("user", "token", "create", "root@fc.example", "--name", "ci", "--days", "7")
    secret = created["token"]
    with cli.db.session() as session:
        assert authenticate_token(session, secret).email == "root@fc.example"
    plain = cli.ok("user", "token", "create", "root@fc.example").stdout
    assert "shown only this once" in plain
    assert plain.strip().splitlines()[-1].startswith("fc_")
    tokens = cli.json("user", "token", "list", "root@fc.example")
    assert [t["name"] for t in tokens] == ["cli", "ci"]
    assert all(t["state"] == "valid" for t in tokens)
    assert secret not in cli.ok("user", "token", "list", "root@fc.example").stdout
    assert tokens[1]["prefix"] == secret[:10]
    cli.ok("user", "token", "revoke", "root@fc.example", str(created["id"]))
    cli.ok("user", "token", "revoke", "root@fc.example", str(created["id"]))  # idempotent
    with cli.db.session() as session, pytest.raises(Unauthorized):
        authenticate_token(session, secret)
    states = {t["id"]: t["state"] for t in cli.json("user", "token", "list", "root@fc.example")}
    assert states[created["id"]] == "revoked"


def test_token_commands_refuse_bad_input(cli: Cli) -> None:
    cli.ok("user", "create", "root@fc.example", "--role", "admin")
    cli.ok("user", "create", "other@fc.example", "--role", "admin")
    other = cli.json("user", "token", "create", "other@fc.example")
    assert "no token" in cli.fails("user", "token", "revoke", "root@fc.example", str(other["id"]))
    assert "days" in cli.fails("user", "token", "create", "root@fc.example", "--days", "0")
    assert "no user" in cli.fails("user", "token", "create", "ghost@fc.example")
    assert "token_id" in cli.fails("user", "token", "revoke", "root@fc.example", "abc")
