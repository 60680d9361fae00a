"""`fairclick org …`: organisations (advertisers and agencies)."""

from __future__ import annotations

import typer

from fairclick.accounts.schemas import OrganisationIn
from fairclick.accounts.service import create_organisation
from fairclick.cli import queries
from fairclick.cli.common import build, database, handled, print_json, print_table, say

org_app = typer.Typer(help="Organisations: advertisers and agencies.", no_args_is_help=True)

LIMIT = typer.Option(1000, "--limit", min=1, max=100_000, help="Show at most this many.")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@org_app.command("create")
def create(
    key: str = typer.Argument(..., help="Stable key, e.g. `vox` (letters, digits, . _ -)."),
    name: str = typer.Option(..., "--name", help="Display name."),
    country: str = typer.Option("FR", "--country", help="ISO 3166 two-letter country code."),
) -> None:
    """Create an organisation."""
    data = build(OrganisationIn, {"key": key, "name": name, "country": country})
    with handled(), database().session() as session:
        org = create_organisation(session, data)
    say(f"created organisation {org.key} ({org.name})")


@org_app.command("list")
def list_(limit: int = LIMIT, as_json: bool = JSON) -> None:
    """List organisations with their numbers of campaigns and users."""
    with handled(), database().session() as session:
        rows = queries.organisations(session, limit)
    if as_json:
        print_json(
            [
                {"key": o.key, "name": o.name, "country": o.country, "campaigns": c, "users": u}
                for o, c, u in rows
            ]
        )
        return
    print_table(
        "Organisations",
        ["key", "name", "country", "campaigns", "users"],
        [(o.key, o.name, o.country, c, u) for o, c, u in rows],
    )
