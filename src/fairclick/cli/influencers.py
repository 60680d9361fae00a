"""`fairclick influencer …`: influencer profiles and their social accounts."""

from __future__ import annotations

from typing import Any

import typer

from fairclick.cli import queries
from fairclick.cli.common import (
    build,
    database,
    handled,
    print_json,
    print_record,
    print_table,
    say,
    settings,
)
from fairclick.cli.parsing import network, social_account
from fairclick.domain.influence import tier_for_reach
from fairclick.influencers.models import InfluencerStatus
from fairclick.influencers.schemas import InfluencerIn, SocialAccountIn
from fairclick.influencers.service import (
    add_social_account,
    create_influencer,
    get_influencer_by_key,
    social_accounts,
)

influencer_app = typer.Typer(
    help="Influencer profiles, their social accounts and tiers.", no_args_is_help=True
)
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@influencer_app.command("create")
def create(
    key: str = typer.Argument(..., help="Stable key, e.g. `lucasl77` (letters, digits, . _ -)."),
    name: str = typer.Option(..., "--name", help="Display name."),
    country: str = typer.Option(..., "--country", help="ISO 3166 two-letter country code."),
    email: str | None = typer.Option(None, "--email", help="Also create the influencer's login."),
    password: str | None = typer.Option(None, "--password", help="The login's password."),
    languages: list[str] = typer.Option(
        [], "--language", help="ISO 639-1 language code (repeatable), e.g. fr."
    ),
    accounts: list[str] = typer.Option(
        [],
        "--account",
        help="Social account NETWORK:HANDLE[:FOLLOWERS] (repeatable), e.g. x:lucasl77:2315.",
    ),
    status: InfluencerStatus = typer.Option(
        InfluencerStatus.ACTIVE, "--status", help="pending, active or suspended."
    ),
) -> None:
    """Create an influencer profile (and, given --email, its login)."""
    data = build(
        InfluencerIn,
        {
            "key": key,
            "display_name": name,
            "country": country,
            "email": email,
            "password": password,
            "languages": languages,
            "social_accounts": [social_account(text) for text in accounts],
            "status": status.value,
        },
    )
    with handled(), database().session() as session:
        found = create_influencer(session, data, settings().secret_key)
    say(f"created influencer {found.key} ({found.display_name})")


@influencer_app.command("list")
def list_(
    status: InfluencerStatus | None = typer.Option(None, "--status", help="Only this status."),
    limit: int = typer.Option(1000, "--limit", min=1, max=100_000, help="Show at most this many."),
    as_json: bool = JSON,
) -> None:
    """List influencers with their reach and tier."""
    with handled(), database().session() as session:
        rows = queries.influencers(session, limit, status.value if status else None)
    data = [
        {
            "key": i.key,
            "display_name": i.display_name,
            "country": i.country,
            "status": i.status,
            "followers": int(reach),
            "tier": tier_for_reach(int(reach)).value,
            "email": email,
        }
        for i, reach, email in rows
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        "Influencers",
        ["key", "name", "country", "status", "followers", "tier", "login"],
        [tuple(d.values()) for d in data],
    )


@influencer_app.command("show")
def show(
    key: str = typer.Argument(..., help="The influencer's key."), as_json: bool = JSON
) -> None:
    """Show a profile with its social accounts and enrolments."""
    with handled(), database().session() as session:
        found = get_influencer_by_key(session, key)
        accounts = social_accounts(session, found.id)
        enrolments = queries.enrolments_of_influencer(session, found.id)
        email = queries.user_email(session, found.user_id)
    reach = sum(a.followers for a in accounts)
    data: dict[str, Any] = {
        "key": found.key,
        "display_name": found.display_name,
        "country": found.country,
        "languages": found.languages,
        "status": found.status,
        "email": email,
        "followers": reach,
        "tier": tier_for_reach(reach).value,
        "trust_score": found.trust_score,
        "created_at": found.created_at,
    }
    account_rows = [
        {"network": a.network, "handle": a.handle, "followers": a.followers, "url": a.profile_url}
        for a in accounts
    ]
    enrolment_rows = [
        {"campaign": campaign, "status": e.status, "decided_at": e.decided_at}
        for e, campaign in enrolments
    ]
    if as_json:
        print_json(data | {"social_accounts": account_rows, "enrolments": enrolment_rows})
        return
    print_record(f"Influencer {found.key}", list(data.items()))
    print_table(
        "Social accounts",
        ["network", "handle", "followers", "profile URL"],
        [tuple(r.values()) for r in account_rows],
    )
    print_table(
        "Enrolments", ["campaign", "status", "decided"], [tuple(r.values()) for r in enrolment_rows]
    )


@influencer_app.command("add-account")
def add_account(
    key: str = typer.Argument(..., help="The influencer's key."),
    network_name: str = typer.Option(..., "--network", help="x, instagram, tiktok, youtube…"),
    handle: str = typer.Option(..., "--handle", help="Handle on that network (@ optional)."),
    followers: int = typer.Option(0, "--followers", help="Follower count (drives the tier)."),
    profile_url: str | None = typer.Option(None, "--profile-url", help="Profile page URL."),
) -> None:
    """Link a social account to a profile, or update its followers if it is already linked."""
    data = build(
        SocialAccountIn,
        {
            "network": network("--network", network_name).value,
            "handle": handle,
            "followers": followers,
            "profile_url": profile_url,
        },
    )
    with handled(), database().session() as session:
        found = get_influencer_by_key(session, key)
        account = add_social_account(session, found, data)
        reach = sum(a.followers for a in social_accounts(session, found.id))
    say(
        f"{found.key}: {account.network} @{account.handle} with {account.followers} followers; "
        f"tier {tier_for_reach(reach).value}",
    )
