"""`fairclick load FILE`: bulk, idempotent import of a world file in one transaction."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from fairclick.cli.common import console, database, fail, handled, print_json, settings
from fairclick.world.loader import MAX_WORLD_BYTES, LoadSummary, WorldError, apply_world

SECTIONS = ("organisations", "users", "influencers", "campaigns", "enrolments", "links")
# Above this many bytes, show progress while loading (on a terminal only).
PROGRESS_BYTES = 256 * 1024


def read_world(path: str) -> tuple[str, str]:
    """The text of the world file (`-` reads stdin) and the name to quote in errors."""
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_WORLD_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_WORLD_BYTES + 1)
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except IsADirectoryError:
        raise fail(f"{path}: is a folder, not a world file") from None
    except OSError as exc:
        raise fail(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_WORLD_BYTES:
        raise fail(f"{name}: larger than {MAX_WORLD_BYTES // 2**20} MiB")
    try:
        return raw.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(f"{name} line {line}: not UTF-8 text (byte {exc.start})") from None


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not show:
        yield None
        return
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def advance(section: str, done: int, total: int) -> None:
            if section not in tasks:
                tasks[section] = int(bar.add_task(section, total=total))
            bar.update(tasks[section], completed=done)  # type: ignore[arg-type]

        yield advance


def summary_table(name: str, summary: LoadSummary) -> Table:
    """Created versus already present (updated or unchanged) per section."""
    table = Table(title=f"Loaded {name}", title_justify="left", header_style="bold")
    table.add_column("section")
    table.add_column("created", justify="right")
    table.add_column("updated or unchanged", justify="right")
    for section in SECTIONS:
        table.add_row(
            section,
            str(summary.created.get(section, 0)),
            str(summary.unchanged_or_updated.get(section, 0)),
        )
    return table


def load(
    file: str = typer.Argument(..., help="World file (YAML or JSON); `-` reads standard input."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Load a world file: organisations, users, influencers, campaigns, enrolments, links.

    The schema is in docs/world-file.md.

    Idempotent (entries are matched by key, code or email) and atomic: a file with an error
    anywhere changes nothing, and the error names the file's line.
    """
    text, name = read_world(file)
    config = settings()
    show = console.is_terminal and len(text) > PROGRESS_BYTES and not as_json
    with handled():
        try:
            with _progress(show) as progress, database().session() as session:
                summary = apply_world(
                    session, text, secret_key=config.secret_key, progress=progress
                )
        except WorldError as exc:
            where = f"{name} " if exc.detail.startswith("line ") else f"{name}: "
            raise fail(where + exc.detail) from None
    if as_json:
        print_json(
            {"created": summary.created, "unchanged_or_updated": summary.unchanged_or_updated}
        )
    else:
        console.print(summary_table(name, summary))
