"""`fairclick init` and `fairclick db status`: create, upgrade and inspect the database."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from fairclick.cli.common import database, handled, print_json, print_record, say, settings
from fairclick.store.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Inspect the configured database.", no_args_is_help=True)


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for display."""
    return make_url(url).render_as_string(hide_password=True)


def init() -> None:
    """Create the configured database, or upgrade it to the newest schema (safe to re-run).

    The SQLite folder is created when missing. Prints the revision the database is at.
    """
    url = settings().database_url
    with handled():
        engine = database().engine
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    if before == after:
        say(f"{safe_url(url)} is up to date at revision {after}")
    else:
        say(
            f"{safe_url(url)} upgraded from {before or 'empty'} to revision {after}",
        )


@db_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show the database URL, its engine, its revision and whether it needs `fairclick init`."""
    url = settings().database_url
    with handled():
        engine = database().engine
        current = current_revision(engine)
    head = head_revision()
    state = "up to date" if current == head else ("empty" if current is None else "behind")
    data = {
        "url": safe_url(url),
        "engine": engine.dialect.name,
        "revision": current,
        "head": head,
        "state": state,
    }
    if as_json:
        print_json(data)
        return
    print_record("Database", list(data.items()))
    if state != "up to date":
        say("run `fairclick init` to bring it up to date")
