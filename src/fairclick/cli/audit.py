"""`fairclick audit`: how much of any click or web-server log was real traffic."""

from __future__ import annotations

import glob
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from fairclick.audit.decisions import DecisionsFileError, decisions_format
from fairclick.audit.formats import LogFormatError
from fairclick.audit.kept import SpillError
from fairclick.audit.readers import FORMATS, LogReadError
from fairclick.audit.report import print_summary, write_reports
from fairclick.audit.service import AuditOptions, run_audit
from fairclick.cli.common import batch_process, console, fail, say, settings
from fairclick.domain.clock import parse_timestamp
from fairclick.validation.engine import Validator


def _expand(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for item in paths:
        matches = sorted(glob.glob(item)) if any(ch in item for ch in "*?[") else [item]
        if not matches:
            raise fail(f"no file matches {item!r}")
        found.extend(Path(m) for m in matches)
    return found


def _columns(spec: str | None) -> dict[str, str] | None:
    if not spec:
        return None
    mapping = {}
    for part in spec.split(","):
        key, sep, column = part.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise fail(f"--columns takes field=column pairs separated by commas, not {part!r}")
        mapping[key.strip()] = column.strip()
    return mapping


def _time(value: str | None, name: str) -> object:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise fail(f"{name} is not an RFC 3339 time or epoch seconds: {value!r}") from None


def audit_command(
    paths: list[str] = typer.Argument(..., help="Log files or glob patterns (plain or .gz)."),
    fmt: str = typer.Option(
        "auto", "--format", help=f"Log format: {', '.join(FORMATS)} (auto guesses per file)."
    ),
    out: Path = typer.Option(
        Path("audit-report"), "--out", help="Folder for report.html and summary.json."
    ),
    since: str | None = typer.Option(None, "--since", help="Only requests at or after this time."),
    until: str | None = typer.Option(None, "--until", help="Only requests before this time."),
    path_prefix: str | None = typer.Option(
        None, "--path-prefix", help="Only requests whose path starts with this (e.g. /c/)."
    ),
    log_format: str | None = typer.Option(
        None, "--log-format", help="A custom nginx log_format (or Apache LogFormat) string."
    ),
    columns: str | None = typer.Option(
        None, "--columns", help="CSV column mapping, e.g. ts=time,ip=client,user_agent=ua,path=url."
    ),
    dedupe_hours: int = typer.Option(
        24,
        "--dedupe-hours",
        min=1,
        max=24 * 90,
        help="Window in which a visitor's repeat on a URL is a duplicate.",
    ),
    decisions: Path | None = typer.Option(
        None,
        "--decisions",
        help="Also write one row per request (file, line, ts, ip, path, verdict, reasons, "
        "ivt_class) to this .jsonl, .csv or .parquet file.",
    ),
    retro_days: int = typer.Option(
        14,
        "--retro-days",
        min=1,
        max=366,
        help="Span of the retro-analysis's windows (bursts, farms, rings), as the platform's "
        "hold period: a longer log is analysed in windows of this many days, every half of it.",
    ),
    spill_dir: Path | None = typer.Option(
        None,
        "--spill-dir",
        help="Where to keep the audited rows while the audit runs (about 20 bytes a request, "
        "removed at the end; default: the system's temporary directory).",
    ),
) -> None:
    """Audit any click or web-server log with the platform's own validation engine.

    Writes a self-contained HTML report and a JSON summary, and prints a summary table.
    """
    files = _expand(paths)
    if decisions is not None:
        try:
            decisions_format(decisions)
        except DecisionsFileError as exc:
            raise fail(str(exc)) from None
    batch_process()
    options = AuditOptions(
        fmt=fmt,
        log_format=log_format,
        csv_columns=_columns(columns),
        since=_time(since, "--since"),  # type: ignore[arg-type]
        until=_time(until, "--until"),  # type: ignore[arg-type]
        path_prefix=path_prefix,
        dedupe_hours=dedupe_hours,
        decisions=decisions,
        retro_days=retro_days,
        spill_dir=spill_dir,
    )
    config = settings()
    validator = Validator(secret_key=config.secret_key, data_dir=config.data_dir)
    total = sum(f.stat().st_size for f in files if f.is_file())
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task("auditing", total=total or None)
            summary = run_audit(
                files,
                options,
                validator,
                progress=lambda done: progress.update(task, completed=done),
                status=lambda doing: progress.update(task, description=doing),
            )
    except (LogReadError, LogFormatError, SpillError) as exc:
        raise fail(str(exc)) from None
    html_path, json_path = write_reports(summary, [str(f) for f in files], out)
    print_summary(summary, console)
    say(f"report: {html_path}  summary: {json_path}")
    if decisions is not None:
        say(f"decisions: {decisions} ({summary.total:,} requests)")
