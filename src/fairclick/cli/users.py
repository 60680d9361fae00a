"""`fairclick user …`: logins, passwords and API tokens."""

from __future__ import annotations

import typer
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from fairclick.accounts.models import Role, User
from fairclick.accounts.schemas import Password, TokenIn, UserIn
from fairclick.accounts.service import (
    create_user,
    get_user_by_email,
    issue_token,
    list_tokens,
    revoke_token,
    set_password,
)
from fairclick.cli import queries
from fairclick.cli.common import (
    build,
    database,
    fail,
    handled,
    print_json,
    print_table,
    say,
    settings,
    validation_line,
)
from fairclick.domain.clock import system_clock
from fairclick.domain.errors import NotFound

user_app = typer.Typer(
    help="Users: admins, advertisers and influencers' logins.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
user_app.add_typer(token_app, name="token")

JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
_password = TypeAdapter(Password)


def _user(session: Session, email: str) -> User:
    user = get_user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    return user


@user_app.command("create")
def create(
    email: str = typer.Argument(..., help="Login email (case-insensitive, unique)."),
    role: Role = typer.Option(..., "--role", help="admin, advertiser or influencer."),
    organisation: str | None = typer.Option(
        None, "--org", help="Organisation key (required for an advertiser, refused otherwise)."
    ),
    password: str | None = typer.Option(
        None,
        "--password",
        help="Password (8+ characters). Omit it for a token-only account; "
        "`fairclick user set-password` prompts without echoing.",
    ),
) -> None:
    """Create a user. An influencer's profile is made with `fairclick influencer create`."""
    data = build(
        UserIn,
        {"email": email, "role": role, "organisation": organisation, "password": password},
    )
    with handled(), database().session() as session:
        user = create_user(session, data)
    say(f"created {user.role} {user.email}")


@user_app.command("list")
def list_(
    role: Role | None = typer.Option(None, "--role", help="Only users with this role."),
    organisation: str | None = typer.Option(None, "--org", help="Only this organisation's."),
    limit: int = typer.Option(1000, "--limit", min=1, max=100_000, help="Show at most this many."),
    as_json: bool = JSON,
) -> None:
    """List users."""
    with handled(), database().session() as session:
        rows = queries.users(session, limit, role.value if role else None, organisation)
    data = [
        {
            "email": u.email,
            "role": u.role,
            "organisation": org,
            "active": u.is_active,
            "password": u.password_hash is not None,
            "created_at": u.created_at,
        }
        for u, org in rows
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        "Users",
        ["email", "role", "organisation", "active", "password", "created"],
        [tuple(d.values()) for d in data],
    )


@user_app.command("set-password")
def set_password_(
    email: str = typer.Argument(..., help="The user's email."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The new password (prompted without echo when omitted).",
    ),
) -> None:
    """Replace a user's password (8 to 1024 characters)."""
    try:
        checked = _password.validate_python(password)
    except ValidationError as exc:
        raise fail(f"password: {validation_line(exc)}") from None
    with handled(), database().session() as session:
        set_password(session, _user(session, email), checked)
    say(f"password of {email.strip().lower()} changed")


@token_app.command("create")
def token_create(
    email: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option("cli", "--name", help="A label to tell tokens apart."),
    days: int | None = typer.Option(
        None, "--days", help="Lifetime in days (default: FAIRCLICK_TOKEN_DAYS, 90)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with the token)."),
) -> None:
    """Create an API token. The token is printed once and cannot be shown again."""
    lifetime = days if days is not None else settings().token_days
    data = build(TokenIn, {"name": name, "days": lifetime})
    with handled(), database().session() as session:
        token, secret = issue_token(session, _user(session, email), data, system_clock)
    if as_json:
        print_json(
            {"id": token.id, "name": token.name, "token": secret, "expires_at": token.expires_at}
        )
        return
    say(
        f"token {token.id} ({token.name}) for {email.strip().lower()}, "
        f"expires {token.expires_at:%Y-%m-%d}. It is shown only this once:",
    )
    typer.echo(secret)


@token_app.command("list")
def token_list(
    email: str = typer.Argument(..., help="Whose tokens."), as_json: bool = JSON
) -> None:
    """List a user's tokens (prefixes only; the tokens themselves are not stored)."""
    now = system_clock.now()
    with handled(), database().session() as session:
        tokens = list_tokens(session, _user(session, email))
    data = [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "last_used_at": t.last_used_at,
            "state": "revoked" if t.revoked_at else ("expired" if t.expires_at <= now else "valid"),
        }
        for t in tokens
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        f"Tokens of {email.strip().lower()}",
        ["id", "name", "prefix", "created", "expires", "last used", "state"],
        [tuple(d.values()) for d in data],
    )


@token_app.command("revoke")
def token_revoke(
    email: str = typer.Argument(..., help="Whose token."),
    token_id: int = typer.Argument(..., help="The token's id (see `fairclick user token list`)."),
) -> None:
    """Revoke a token: it stops working at once (revoking twice is harmless)."""
    with handled(), database().session() as session:
        token = revoke_token(session, _user(session, email), token_id, system_clock.now())
    say(f"token {token.id} ({token.name}) revoked")
