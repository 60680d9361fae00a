"""`fairclick ingest FILE`: replay a JSONL click log (plain or .gz) through the worker."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from enum import StrEnum
from typing import BinaryIO

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from fairclick.cli.common import (
    batch_process,
    console,
    database,
    fail,
    handled,
    print_json,
    print_table,
    settings,
)
from fairclick.clicks.ingest import IngestSummary, StopIngest, ingest
from fairclick.clicks.pipeline import default_biller, default_validator
from fairclick.clicks.worker import ClickWorker


class OnError(StrEnum):
    SKIP = "skip"
    STOP = "stop"


def _lines(raw: BinaryIO, path: str) -> Iterator[bytes]:
    handle: BinaryIO | gzip.GzipFile = gzip.GzipFile(fileobj=raw) if path.endswith(".gz") else raw
    try:
        yield from handle
    except (OSError, EOFError) as exc:
        raise fail(f"{path}: cannot read: {exc}") from None


def ingest_command(
    path: str = typer.Argument(..., metavar="FILE", help="JSONL click records (.gz allowed)."),
    on_error: OnError = typer.Option(
        OnError.SKIP, "--on-error", help="Malformed line: skip it and report, or stop."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Replay click records through the same validation as live clicks, in event time.

    One JSON object per line: id (optional external id), ts (RFC 3339 or epoch seconds), code,
    ip, method, user_agent, referer, accept_language, headers (object), visitor_id. Idempotent
    on `id`: ingesting a file twice adds nothing the second time."""
    config = settings()
    batch_process()
    try:
        raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed below, read lazily
    except FileNotFoundError:
        raise fail(f"{path}: no such file") from None
    except IsADirectoryError:
        raise fail(f"{path}: is a folder") from None
    except OSError as exc:
        raise fail(f"{path}: cannot read: {exc.strerror}") from None
    size = os.fstat(raw.fileno()).st_size
    with (
        raw,
        handled(),
        Progress(
            TextColumn("ingest"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as bar,
    ):
        db = database()
        worker = ClickWorker(
            db,
            default_validator(config),
            default_biller(),
            secret_key=config.secret_key,
            clock=None,
        )
        task = bar.add_task("ingest", total=size)
        try:
            summary = ingest(
                db,
                _lines(raw, path),
                worker,
                stop_on_error=on_error == OnError.STOP,
                progress=lambda _lines_read: bar.update(task, completed=raw.tell()),
            )
        except StopIngest as exc:
            raise fail(
                f"{path} line {exc.line}: {exc.reason} (nothing after it was read)"
            ) from None
    _report(summary, path, as_json)


def _report(summary: IngestSummary, path: str, as_json: bool) -> None:
    figures = [
        ("lines read", summary.lines),
        ("records", summary.records),
        ("new in the journal", summary.appended),
        ("already ingested", summary.duplicates),
        ("malformed (skipped)", summary.malformed),
        ("unknown codes", summary.unknown_codes),
        ("campaign not running", summary.inactive),
        ("clicks validated", summary.validated),
        ("valid", summary.valid),
        ("invalid", summary.invalid),
        ("billed", summary.billed),
        ("re-verdicted by retro-analysis", summary.retro_reverdicted),
    ]
    if as_json:
        print_json(
            {name.replace(" ", "_").replace("(", "").replace(")", ""): v for name, v in figures}
            | {"errors": [{"line": n, "reason": r} for n, r in summary.errors]}
        )
        return
    print_table(f"ingest {path}", ["", "count"], figures)
    if summary.errors:
        print_table(
            f"first malformed lines (of {summary.malformed})",
            ["line", "reason"],
            summary.errors,
        )
