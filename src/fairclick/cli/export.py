"""`fairclick export clicks`: one row per click as JSONL, CSV or Parquet, streamed."""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import typer

from fairclick.cli.common import database, fail, handled
from fairclick.clicks.export import (
    ExportFormat,
    click_frames,
    iter_clicks,
    write_csv,
    write_jsonl_frames,
    write_parquet,
)

_T = TypeVar("_T")

export_app = typer.Typer(help="Export data.", no_args_is_help=True)


@export_app.command("clicks")
def export_clicks(
    campaign: str | None = typer.Option(None, "--campaign", help="Only this campaign (key)."),
    fmt: ExportFormat = typer.Option(ExportFormat.JSONL, "--format", help="Output format."),
    out: Path | None = typer.Option(
        None, "--out", help="Output file (default: stdout; Parquet needs a file)."
    ),
) -> None:
    """Every click: click_id, id (external), ts, code, campaign, influencer, post, verdict,
    reasons, billing, amount_minor, currency, country, asn."""
    if fmt == ExportFormat.PARQUET and out is None:
        raise fail("--format parquet needs --out FILE")
    with handled():
        if fmt == ExportFormat.JSONL:  # written by Polars a frame at a time
            parts = click_frames(database(), campaign)
            head = next(parts, None)  # fail on a bad --campaign before creating the file
            try:
                with _binary(out) as handle:
                    write_jsonl_frames(_chain(head, parts), handle)
            except OSError as exc:
                raise fail(f"{out or 'stdout'}: cannot write: {exc.strerror}") from None
            return
        rows = iter_clicks(database(), campaign)
        first = next(rows, None)
        stream = _chain(first, rows)
        try:
            if fmt == ExportFormat.PARQUET:
                assert out is not None
                write_parquet(stream, out)
            else:
                with _text(out) as handle:
                    write_csv(stream, handle)
        except OSError as exc:
            raise fail(f"{out or 'stdout'}: cannot write: {exc.strerror}") from None


def _chain(first: _T | None, rest: Iterator[_T]) -> Iterator[_T]:
    if first is None:
        return iter(())
    return itertools.chain([first], rest)


def _binary(out: Path | None) -> io.BufferedWriter:
    if out is None:
        return open(sys.stdout.fileno(), "wb", closefd=False)
    return open(out, "wb")


def _text(out: Path | None) -> io.TextIOWrapper:
    if out is None:
        return open(sys.stdout.fileno(), "w", encoding="utf-8", newline="", closefd=False)
    return open(out, "w", encoding="utf-8", newline="")
