"""The root `fairclick` command. Each command group lives in its own module and is added here."""

from __future__ import annotations

import typer

from fairclick import __version__
from fairclick.cli import ledger

app = typer.Typer(
    name="fairclick",
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
) -> None:
    """fairclick: every click recorded, validated and explained; only real people are paid for."""


# Command groups register here, one line each (keep alphabetical).
app.add_typer(ledger.app, name="ledger")


def run() -> None:
    """Console-script entry point."""
    app()
