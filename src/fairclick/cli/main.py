"""The root `fairclick` command. Each command group lives in its own module and is added here."""

from __future__ import annotations

import typer

from fairclick import __version__
from fairclick.cli import ledger
from fairclick.cli.audit import audit_command
from fairclick.cli.campaigns import campaign_app
from fairclick.cli.common import SHOW_TRACEBACK, OneLineErrors
from fairclick.cli.data import data_app
from fairclick.cli.db import db_app, init
from fairclick.cli.demo import demo
from fairclick.cli.explain import explain_command
from fairclick.cli.export import export_app
from fairclick.cli.incitement import incitement_app
from fairclick.cli.influencers import influencer_app
from fairclick.cli.ingest import ingest_command
from fairclick.cli.links import link_app, post_app
from fairclick.cli.load import load
from fairclick.cli.orgs import org_app
from fairclick.cli.serve import serve_command
from fairclick.cli.simulate import evaluate_command, simulate_command
from fairclick.cli.users import user_app

app = typer.Typer(
    name="fairclick",
    cls=OneLineErrors,
    help="Pay-per-click influencer links with honest counting.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fairclick {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    traceback: bool = typer.Option(
        False, "--traceback", help="Show the traceback of an unexpected error (for bug reports)."
    ),
) -> None:
    """fairclick: every click recorded, validated and explained; only real people are paid for."""
    SHOW_TRACEBACK["on"] = traceback


# Command groups register here, one line each (keep alphabetical).
app.command("audit")(audit_command)
app.add_typer(campaign_app, name="campaign")
app.add_typer(data_app, name="data")
app.add_typer(db_app, name="db")
app.command("demo")(demo)
app.command("evaluate")(evaluate_command)
app.command("explain")(explain_command)
app.add_typer(export_app, name="export")
app.add_typer(incitement_app, name="incitement")
app.add_typer(influencer_app, name="influencer")
app.command("ingest")(ingest_command)
app.command("init")(init)
app.add_typer(ledger.app, name="ledger")
app.add_typer(link_app, name="link")
app.command("load")(load)
app.add_typer(org_app, name="org")
app.add_typer(post_app, name="post")
app.command("serve")(serve_command)
app.command("simulate")(simulate_command)
app.add_typer(user_app, name="user")


def run() -> None:
    """Console-script entry point."""
    app()
