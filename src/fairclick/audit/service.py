"""Run an audit: read logs in chunks, validate them with the platform's engine (the same rules
and reason codes), run the retro-analysis over the whole log, and summarise.

Rules that need platform data (self-click, incitement, landing-page beacon) are named as not
applied. Only a compact projection of each request is kept for the retro-analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import polars as pl

from fairclick.audit.readers import ParseStats, read_logs
from fairclick.audit.summary import AuditSummary, summarise
from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Reason
from fairclick.validation.context import CampaignPolicy, ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.retro import analyse, decisions_frame

BATCH = 50_000
NOT_APPLIED_WHY = {
    Reason.SELF_CLICK.value: "needs the influencers' own sessions",
    Reason.INCITED.value: "needs the posts that carried the links",
    Reason.LOW_ENGAGEMENT.value: "needs the landing-page beacon",
}


@dataclass
class AuditOptions:
    """What to read and how."""

    fmt: str = "auto"
    log_format: str | None = None
    csv_columns: Mapping[str, str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    path_prefix: str | None = None
    dedupe_hours: int = 24


def _events(frame: pl.DataFrame, file_index: Mapping[str, int]) -> list[ClickEvent]:
    # Ids and codes are computed column-wise; only the ClickEvent itself is built per line.
    cols = frame.select(
        (
            pl.col("file")
            .replace_strict(file_index, return_dtype=pl.Int64)
            .cast(pl.String)
            .str.zfill(2)
            + pl.col("line_no").cast(pl.String).str.zfill(12)
        ).alias("click_id"),
        "ts",
        pl.col("path").str.split("?").list.first().str.split("/").list.last().alias("code"),
        "method",
        "ip",
        "user_agent",
        "referer",
        "accept_language",
        "headers",
        "visitor_id",
        pl.col("status").fill_null(0),
        "path",
    )
    return [
        ClickEvent(
            click_id=click_id,
            ts=ts,
            code=code,
            method=method,
            ip=ip,
            user_agent=user_agent,
            referer=referer,
            accept_language=accept_language,
            headers=_headers(headers) if headers else {},
            visitor_id=visitor_id,
            status=status,
            path=path,
        )
        for (
            click_id,
            ts,
            code,
            method,
            ip,
            user_agent,
            referer,
            accept_language,
            headers,
            visitor_id,
            status,
            path,
        ) in cols.iter_rows()
    ]


def _headers(text: str) -> dict[str, str]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in value.items()}


def _select(frame: pl.DataFrame, options: AuditOptions) -> pl.DataFrame:
    if options.since is not None:
        frame = frame.filter(pl.col("ts") >= options.since)
    if options.until is not None:
        frame = frame.filter(pl.col("ts") < options.until)
    if options.path_prefix:
        frame = frame.filter(pl.col("path").str.starts_with(options.path_prefix))
    return frame


def run_audit(
    paths: Sequence[Path],
    options: AuditOptions,
    validator: Validator,
    *,
    progress: Callable[[int], None] | None = None,
) -> AuditSummary:
    """Audit the logs and return the summary (the caller writes the reports)."""
    stats = ParseStats()
    file_index = {str(p): i for i, p in enumerate(paths)}
    policy = CampaignPolicy(dedupe_window=timedelta(hours=options.dedupe_hours))
    kept: list[pl.DataFrame] = []
    headers_seen = False
    for frame in read_logs(
        paths,
        options.fmt,
        log_format=options.log_format,
        csv_columns=options.csv_columns,
        stats=stats,
        progress=progress,
    ):
        frame = _select(frame, options)
        headers_seen = headers_seen or bool(frame["headers"].is_not_null().any())
        context = ValidationContext.audit(headers_recorded=headers_seen, policy=policy)
        for start in range(0, frame.height, BATCH):
            chunk = frame.slice(start, BATCH)
            events = _events(chunk, file_index)
            decisions = validator.validate(events, context)
            compact = decisions_frame(events, decisions, platform=False).with_columns(
                pl.Series("path", chunk["path"]).cast(pl.Categorical),
                pl.Series("user_agent", chunk["user_agent"]).cast(pl.Categorical),
                pl.Series("referer", chunk["referer"]).cast(pl.Categorical),
                pl.Series("as_org", [d.enrichment.as_org for d in decisions], dtype=pl.String),
                pl.Series(
                    "reasons",
                    [[r.value for r in d.reasons] for d in decisions],
                    dtype=pl.List(pl.String),
                ),
            )
            kept.append(compact)
    decided = pl.concat(kept) if kept else _empty()
    decided = _apply_retro(decided)
    summary = summarise(
        decided.with_columns(
            pl.col("path").cast(pl.String),
            pl.col("user_agent").cast(pl.String),
            pl.col("referer").cast(pl.String),
        )
    )
    applied = validator.applied_rules(ValidationContext.audit())
    summary.rules_applied = [rule for rule, ok in applied.items() if ok]
    summary.rules_not_applied = {
        rule: NOT_APPLIED_WHY.get(rule, "needs platform data")
        for rule, ok in applied.items()
        if not ok
    }
    summary.parse = {
        "lines": stats.lines,
        "parsed": stats.parsed,
        "malformed": stats.malformed,
        "examples": stats.examples,
    }
    return summary


def _apply_retro(decided: pl.DataFrame) -> pl.DataFrame:
    if decided.is_empty():
        return decided
    found = analyse(decided, platform=False)
    if not found:
        return decided
    extra = pl.DataFrame(
        {
            "click_id": [f.click_id for f in found],
            "retro": [[r.value for r in f.new_reasons] for f in found],
        },
        schema={"click_id": pl.String, "retro": pl.List(pl.String)},
    )
    return (
        decided.join(extra, on="click_id", how="left")
        .with_columns(
            pl.when(pl.col("retro").is_not_null())
            .then(pl.concat_list("reasons", "retro"))
            .otherwise(pl.col("reasons"))
            .alias("reasons"),
            pl.when(pl.col("retro").is_not_null())
            .then(pl.lit("invalid"))
            .otherwise(pl.col("verdict"))
            .alias("verdict"),
        )
        .drop("retro")
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "click_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "link": pl.String,
            "campaign_id": pl.Int64,
            "influencer_id": pl.Int64,
            "visitor_key": pl.String,
            "ip_prefix": pl.String,
            "asn": pl.Int64,
            "device": pl.String,
            "verdict": pl.String,
            "reach": pl.Int64,
            "path": pl.Categorical,
            "user_agent": pl.Categorical,
            "referer": pl.Categorical,
            "as_org": pl.String,
            "reasons": pl.List(pl.String),
        }
    )
