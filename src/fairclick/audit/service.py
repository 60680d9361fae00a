"""Run an audit: read logs in chunks, validate them with the platform's engine (the same rules
and reason codes), run the retro-analysis over windows of the hold period, and summarise.

Rules that need platform data (self-click, incitement, landing-page beacon) are named as not
applied. Only a compact projection of each request is kept for the retro-analysis and the
summary (`COMPACT`), built column-wise from the chunk and in one pass over the decisions, and
it is kept on disk (`fairclick.audit.kept`): memory depends on the traffic of one window of
the retro-analysis, not on the log's length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from fairclick.audit.decisions import reason_list, verdict, write_decisions
from fairclick.audit.events import click_ids, frame_columns
from fairclick.audit.kept import KeptRows, give_back_memory
from fairclick.audit.readers import ParseStats, read_ahead, read_logs
from fairclick.audit.summary import AuditSummary, summarise
from fairclick.domain.reasons import Reason
from fairclick.validation.context import CampaignPolicy, ValidationContext
from fairclick.validation.decisions import DecisionColumns
from fairclick.validation.engine import Validator
from fairclick.validation.retro import analyse

# Lines per engine batch: the engine works once per distinct address, agent and pair of a
# batch, so larger batches repeat less (verdicts do not depend on the size). A reader chunk
# (32 MiB) is about 150,000 combined-log lines: one batch each. 200,000 rather than 50,000:
# 1,000,000 lines 18.5-19.1 -> 17.3-18.3 CPU-s.
BATCH = 200_000
NOT_APPLIED_WHY = {
    Reason.SELF_CLICK.value: "needs the influencers' own sessions",
    Reason.INCITED.value: "needs the posts that carried the links",
    Reason.LOW_ENGAGEMENT.value: "needs the landing-page beacon",
}
# What is kept of each request until the end of the log (82 -> 54 bytes a line on the audit
# bench). Repeated strings are categorical, the visitor key too (a visitor clicks several times;
# 32 bytes a line as a string); `realtime` holds the engine's reason codes joined by commas (few
# distinct combinations).
COMPACT: dict[str, pl.DataType] = {
    "file_no": pl.Int32(),
    "line_no": pl.Int64(),
    "ts": pl.Datetime("us", "UTC"),
    "path": pl.Categorical(),
    "user_agent": pl.Categorical(),
    "referer": pl.Categorical(),
    "visitor_key": pl.Categorical(),
    "ip_prefix": pl.Categorical(),
    "asn": pl.Int64(),
    "as_org": pl.Categorical(),
    "device": pl.Categorical(),
    "invalid": pl.Boolean(),
    "realtime": pl.Categorical(),
}


@dataclass
class AuditOptions:
    """What to read and how. `decisions`: also write one row per request to this file
    (.jsonl, .csv or .parquet), see `fairclick.audit.decisions`. `retro_days`: the span of the
    retro-analysis's windows (the platform's hold period). `spill_dir`: where the kept rows
    are written while the audit runs (None: the system's temporary directory)."""

    fmt: str = "auto"
    log_format: str | None = None
    csv_columns: Mapping[str, str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    path_prefix: str | None = None
    dedupe_hours: int = 24
    decisions: Path | None = None
    retro_days: int = 14
    spill_dir: Path | None = None


def _select(frame: pl.DataFrame, options: AuditOptions) -> pl.DataFrame:
    if options.since is not None:
        frame = frame.filter(pl.col("ts") >= options.since)
    if options.until is not None:
        frame = frame.filter(pl.col("ts") < options.until)
    if options.path_prefix:
        frame = frame.filter(pl.col("path").str.starts_with(options.path_prefix))
    return frame


def compact(
    chunk: pl.DataFrame,
    decisions: DecisionColumns,
    file_index: Mapping[str, int],
    *,
    keep_ip: bool = False,
) -> pl.DataFrame:
    """The `COMPACT` row of each request of `chunk` and its decision (same order); with
    `keep_ip`, the address as the log wrote it too (for the decisions file). The enrichment
    columns are gathered from the engine's distinct addresses and agents."""
    found = decisions.enrichment
    ip_row = pl.Series(found.ip_row, dtype=pl.UInt32)
    ua_row = pl.Series(found.ua_row, dtype=pl.UInt32)
    devices = [
        f"{b}/{o}/{d}" for b, o, d in zip(found.browser, found.os, found.device, strict=True)
    ]
    joined = {reasons: ",".join(reasons) for reasons in set(decisions.reasons.values())}
    realtime = [""] * len(decisions)
    for i, reasons in decisions.reasons.items():
        realtime[i] = joined[reasons]
    decided = pl.DataFrame(
        [
            pl.Series("visitor_key", found.visitor_key, dtype=pl.String),
            pl.Series("ip_prefix", found.ip_prefix, dtype=pl.String).gather(ip_row),
            pl.Series("asn", found.asn, dtype=pl.Int64).gather(ip_row),
            pl.Series("as_org", found.as_org, dtype=pl.String).gather(ip_row),
            pl.Series("device", devices, dtype=pl.String).gather(ua_row),
            pl.Series("invalid", decisions.invalid, dtype=pl.Boolean),
            pl.Series("realtime", realtime, dtype=pl.String),
        ]
    )
    columns = [
        pl.col("file").replace_strict(file_index, return_dtype=pl.Int32).alias("file_no"),
        "line_no",
        "ts",
        "path",
        "user_agent",
        "referer",
    ]
    if keep_ip:
        columns.append("ip")
    return pl.concat([chunk.select(columns), decided], how="horizontal").cast(
        COMPACT  # type: ignore[arg-type]
    )


def run_audit(
    paths: Sequence[Path],
    options: AuditOptions,
    validator: Validator,
    *,
    progress: Callable[[int], None] | None = None,
    status: Callable[[str], None] | None = None,
) -> AuditSummary:
    """Audit the logs and return the summary (the caller writes the reports; the decisions
    file, when asked for, is written here). `progress` is told the bytes read so far, `status`
    what the audit does once the logs are read."""
    stats = ParseStats()
    file_index = {str(p): i for i, p in enumerate(paths)}
    schema = {**COMPACT, **({"ip": pl.String()} if options.decisions else {})}
    tell = status or _quiet
    with KeptRows(schema, options.spill_dir) as kept:
        frames = read_logs(
            paths,
            options.fmt,
            log_format=options.log_format,
            csv_columns=options.csv_columns,
            stats=stats,
            progress=progress,
        )
        _validate(read_ahead(frames), options, validator, file_index, kept)
        validator.forget_cached()
        give_back_memory()
        windows = retro_windows(kept.first, kept.last, timedelta(days=options.retro_days))
        found = retro_reasons(kept, windows, status=tell)
        decided = with_retro(kept.scan(), found)
        if options.decisions is not None:
            tell("writing the decisions file")
            write_decisions(decided, [str(p) for p in paths], options.decisions)
        tell("summarising")
        summary = summarise(summary_input(decided))
    applied = validator.applied_rules(ValidationContext.audit())
    summary.rules_applied = [rule for rule, ok in applied.items() if ok]
    summary.rules_not_applied = {
        rule: NOT_APPLIED_WHY.get(rule, "needs platform data")
        for rule, ok in applied.items()
        if not ok
    }
    summary.retro_windows = {"days": options.retro_days, "windows": len(windows)}
    summary.parse = {
        "lines": stats.lines,
        "parsed": stats.parsed,
        "malformed": stats.malformed,
        "examples": stats.examples,
    }
    return summary


def _validate(
    frames: Iterable[pl.DataFrame],
    options: AuditOptions,
    validator: Validator,
    file_index: Mapping[str, int],
    kept: KeptRows,
) -> None:
    """Validate the selected requests of `frames` batch by batch and keep their compact rows."""
    policy = CampaignPolicy(dedupe_window=timedelta(hours=options.dedupe_hours))
    headers_seen = False
    for frame in frames:
        frame = _select(frame, options)
        headers_seen = headers_seen or bool(frame["headers"].is_not_null().any())
        context = ValidationContext.audit(headers_recorded=headers_seen, policy=policy)
        for start in range(0, frame.height, BATCH):
            chunk = frame.slice(start, BATCH)
            decisions = validator.validate_columns(frame_columns(chunk, file_index), context)
            kept.append(compact(chunk, decisions, file_index, keep_ip=bool(options.decisions)))


def _quiet(_: str) -> None:
    """A `status` that tells no one."""


def retro_windows(
    first: datetime | None, last: datetime | None, span: timedelta
) -> list[tuple[datetime, datetime]]:
    """The time windows `[since, until)` the retro-analysis looks at, from the first to the last
    request: one when the log spans no more than `span`, else windows of `span` every half
    `span` (a pattern no longer than half a window is seen whole in one of them), the last one
    ending after the last request. As on the platform, which analyses the clicks of the hold
    period, never more."""
    if first is None or last is None:
        return []
    end = last + timedelta(microseconds=1)
    if end - first <= span:
        return [(first, end)]
    windows = []
    since = first
    while since + span < end:
        windows.append((since, since + span))
        since += span / 2
    windows.append((since, end))
    return windows


def retro_reasons(
    kept: KeptRows,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    status: Callable[[str], None] = _quiet,
) -> pl.DataFrame:
    """The reasons the retro-analysis adds, per request (`file_no`, `line_no`, `retro`: a list
    in the `Reason` order), over `windows` (`retro_windows`): each window's rows are read back
    from disk and analysed alone, and a request found in several windows gets every reason
    found."""
    found: dict[tuple[int, int], set[Reason]] = {}
    for k, (since, until) in enumerate(windows, 1):
        status(f"retro-analysis, window {k} of {len(windows)}")
        window = kept.between(since, until)
        for click_id, reasons in _retro_found(window):
            found.setdefault(click_id, set()).update(reasons)
        del window
    order = {reason: i for i, reason in enumerate(Reason)}
    ordered = sorted(found.items())
    return pl.DataFrame(
        {
            "file_no": [key[0] for key, _ in ordered],
            "line_no": [key[1] for key, _ in ordered],
            "retro": [
                [r.value for r in sorted(reasons, key=order.__getitem__)] for _, reasons in ordered
            ],
        },
        schema={"file_no": pl.Int32, "line_no": pl.Int64, "retro": pl.List(pl.String)},
    )


def with_retro(decided: pl.LazyFrame, found: pl.DataFrame) -> pl.LazyFrame:
    """`decided` with a `retro` column (the reasons the retro-analysis added, null when none)
    and `invalid` updated, in the same order."""
    return decided.join(
        found.lazy(), on=["file_no", "line_no"], how="left", maintain_order="left"
    ).with_columns(pl.col("invalid") | pl.col("retro").is_not_null())


def summary_input(decided: pl.LazyFrame) -> pl.LazyFrame:
    """The `summarise` frame of the decided rows: the kept columns as they are (categorical:
    the summary turns into strings only what it reports), the reasons listed for the invalid
    rows only (null for the valid ones, which have none to count). One pass over the rows:
    the summary reads them once per figure from disk."""
    columns = ["ts", "path", "ip_prefix", "asn", "as_org", "user_agent", "referer"]
    return decided.select(
        *columns,
        verdict().alias("verdict"),
        pl.when(pl.col("invalid")).then(reason_list()).alias("reasons"),
    )


def _scopes(paths: pl.Series) -> pl.Expr:
    """The engine's scope of each request without a platform (`enrich.batch.scope_of`:
    "path:" and the path without its query), categorical, worked out once per distinct path."""
    distinct = paths.drop_nulls().unique()
    scopes = pl.lit("path:") + distinct.cast(pl.String).str.split("?").list.first()
    return pl.col("path").replace_strict(
        distinct,
        pl.select(scopes.cast(pl.Categorical)).to_series(),
        default=None,
        return_dtype=pl.Categorical,
    )


def _retro_found(decided: pl.DataFrame) -> list[tuple[tuple[int, int], tuple[Reason, ...]]]:
    """What the retro-analysis finds among kept rows: ((file_no, line_no), reasons) per
    request it re-verdicts."""
    if decided.is_empty():
        return []
    ids = click_ids(pl.col("file_no"))
    # The repeated strings stay categorical through the detectors (they compare, group, join
    # and sort them as the strings: Polars orders categoricals by their strings); only the
    # rows found are turned back into strings. As strings, the whole log's paths, devices,
    # subnets and visitors were 138 MiB at 1,000,000 lines, copied by each detector.
    retro_input = decided.select(
        ids.alias("click_id"),
        "ts",
        _scopes(decided.get_column("path")).alias("link"),
        pl.lit(None, pl.Int64).alias("campaign_id"),
        pl.lit(None, pl.Int64).alias("influencer_id"),
        "visitor_key",
        "ip_prefix",
        "asn",
        "device",
        verdict().alias("verdict"),
        pl.lit(None, pl.Int64).alias("reach"),
    )
    # back to the line's numbers (`click_ids`: the file's, then 12 digits of the line's)
    return [
        ((int(f.click_id[:-12]), int(f.click_id[-12:])), f.new_reasons)
        for f in analyse(retro_input, platform=False)
    ]
