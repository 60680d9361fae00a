"""Aggregate decided requests into an audit summary (vectorised with Polars). Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from fairclick.domain.reasons import IvtClass, Reason

TOP = 10
FINEST = "5m"  # the shortest bucket of the time series (`_bucket`)

# The columns `summarise` reads from a decided frame.
DECIDED_COLUMNS = (
    "ts",
    "path",
    "ip_prefix",
    "asn",
    "as_org",
    "user_agent",
    "referer",
    "verdict",
    "reasons",
)


@dataclass
class ReasonCount:
    reason: str
    ivt_class: str
    count: int
    share: float
    meaning: str


@dataclass
class AuditSummary:
    """What `fairclick audit` reports; `to_dict()` is the JSON summary."""

    total: int
    valid: int
    invalid: int
    valid_share: float
    first_ts: str | None
    last_ts: str | None
    by_reason: list[ReasonCount]
    by_class: dict[str, int]
    series: list[dict[str, Any]]
    bucket: str
    top_sources: dict[str, list[dict[str, Any]]]
    busiest_paths: list[dict[str, Any]]
    rules_applied: list[str] = field(default_factory=list)
    rules_not_applied: dict[str, str] = field(default_factory=dict)
    # The retro-analysis's windows: {"days": span, "windows": how many} (one: the whole log).
    retro_windows: dict[str, int] = field(default_factory=dict)
    parse: dict[str, Any] = field(default_factory=dict)
    findings: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bucket(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return "1h"
    hours = (last - first).total_seconds() / 3600
    if hours <= 6:
        return FINEST
    if hours <= 72:
        return "1h"
    if hours <= 24 * 30:
        return "6h"
    return "1d"


def _top(invalid_rows: pl.LazyFrame, column: str) -> pl.LazyFrame:
    return (
        invalid_rows.filter(pl.col(column).is_not_null() & (pl.col(column).cast(pl.String) != ""))
        .group_by(column)
        .len()
        .sort(["len", column], descending=[True, False])
        .head(TOP)
    )


def _rows(frame: pl.DataFrame, label: str) -> list[dict[str, Any]]:
    column = frame.columns[0]
    return [{label: row[column], "invalid": row["len"]} for row in frame.iter_rows(named=True)]


def summarise(decided: pl.DataFrame | pl.LazyFrame) -> AuditSummary:
    """Summarise a frame with DECIDED_COLUMNS (`reasons` a list of reason codes). Lazy input
    is read as the figures are computed (Polars' streaming engine): each figure is a small
    aggregate, so the rows need not fit in memory."""
    lazy = decided.lazy()
    invalid = pl.col("verdict") == "invalid"
    invalid_rows = lazy.filter(invalid)
    sivt = [r.value for r in Reason if r.ivt_class == IvtClass.SIVT]
    # Counted per path as read (categorical in an audit: no string a row), then per path
    # without its query.
    paths = (
        lazy.group_by("path")
        .agg(pl.len().alias("total"), (pl.col("verdict") == "valid").sum().alias("valid"))
        .select(
            pl.col("path").cast(pl.String).str.split("?").list.first().alias("p"),
            "total",
            "valid",
        )
        .group_by("p")
        .agg(pl.col("total").sum(), pl.col("valid").sum())
        .sort(["total", "p"], descending=[True, False])
        .head(20)
    )
    head, counts_frame, networks, asns, agents, referers, busiest_paths, per_5m = pl.collect_all(
        [
            lazy.select(
                pl.len().alias("total"),
                invalid.sum().alias("invalid"),
                pl.col("ts").min().alias("first"),
                pl.col("ts").max().alias("last"),
                (
                    invalid
                    & pl.col("reasons")
                    .list.eval(pl.element().is_in(sivt))
                    .list.any()
                    .fill_null(False)
                )
                .sum()
                .alias("sivt"),
            ),
            invalid_rows.select("reasons")
            .explode("reasons")
            .drop_nulls()
            .group_by("reasons")
            .len(),
            _top(invalid_rows, "ip_prefix"),
            invalid_rows.filter(pl.col("asn").is_not_null())
            .group_by(["asn", "as_org"])
            .len()
            .sort(["len", "asn"], descending=[True, False])
            .head(TOP),
            _top(invalid_rows, "user_agent"),
            _top(invalid_rows, "referer"),
            paths,
            lazy.group_by(pl.col("ts").dt.truncate(FINEST)).agg(
                (pl.col("verdict") == "valid").sum().alias("valid"), invalid.sum().alias("invalid")
            ),
        ],
        engine="streaming",
    )
    total, n_invalid, first, last, n_sivt = head.row(0)
    valid = total - n_invalid
    counts = dict(counts_frame.iter_rows())
    by_reason = [
        ReasonCount(
            reason=reason.value,
            ivt_class=reason.ivt_class.value,
            count=int(counts[reason.value]),
            share=counts[reason.value] / total,
            meaning=reason.meaning,
        )
        for reason in Reason
        if counts.get(reason.value)
    ]
    by_reason.sort(key=lambda r: -r.count)
    bucket = _bucket(first, last)
    # The buckets of `group_by_dynamic` (the times truncated to the bucket), summed from the
    # five-minute counts: every bucket is a whole number of five minutes from the epoch.
    series_frame = (
        per_5m.group_by(pl.col("ts").dt.truncate(bucket))
        .agg(pl.col("valid").sum(), pl.col("invalid").sum())
        .sort("ts")
    )
    series = [
        {"ts": row["ts"].isoformat(), "valid": int(row["valid"]), "invalid": int(row["invalid"])}
        for row in series_frame.iter_rows(named=True)
    ]
    top_sources = {
        "networks": _rows(networks, "network"),
        "asns": [
            {"asn": r["asn"], "as_org": r["as_org"], "invalid": r["len"]}
            for r in asns.iter_rows(named=True)
        ],
        "user_agents": _rows(agents, "user_agent"),
        "referers": _rows(referers, "referer"),
    }
    busiest = [
        {
            "path": r["p"],
            "total": int(r["total"]),
            "valid": int(r["valid"]),
            "valid_share": r["valid"] / r["total"],
        }
        for r in busiest_paths.iter_rows(named=True)
    ]
    summary = AuditSummary(
        total=total,
        valid=valid,
        invalid=n_invalid,
        valid_share=valid / total if total else 0.0,
        first_ts=first.isoformat() if first else None,
        last_ts=last.isoformat() if last else None,
        by_reason=by_reason,
        by_class={"GIVT": n_invalid - n_sivt, "SIVT": n_sivt},
        series=series,
        bucket=bucket,
        top_sources=top_sources,
        busiest_paths=busiest,
    )
    summary.findings = findings(summary)
    return summary


def findings(summary: AuditSummary) -> str:
    """A plain-language paragraph a journalist can quote."""
    if summary.total == 0:
        return "The log holds no request that could be read."
    parts = [
        f"Of {summary.total:,} requests, {summary.valid:,} ({summary.valid_share:.1%}) look like "
        f"real people who chose to click; {summary.invalid:,} ({1 - summary.valid_share:.1%}) do not."
    ]
    if summary.by_reason:
        lead = summary.by_reason[0]
        parts.append(
            f"The largest share of invalid traffic is {lead.reason.replace('_', ' ')} "
            f"({lead.count:,} requests, {lead.share:.1%} of all): {lead.meaning[0].lower()}{lead.meaning[1:]}"
        )
        others = [f"{r.reason.replace('_', ' ')} ({r.share:.1%})" for r in summary.by_reason[1:4]]
        if others:
            parts.append("Next come " + ", ".join(others) + ".")
    if summary.by_class.get("SIVT"):
        parts.append(
            f"{summary.by_class['SIVT']:,} invalid requests are sophisticated (SIVT): they imitate "
            "people and are only visible in patterns across many requests."
        )
    if summary.busiest_paths:
        top = summary.busiest_paths[0]
        parts.append(
            f"The busiest path, {top['path']}, received {top['total']:,} requests, of which "
            f"{top['valid_share']:.0%} were real."
        )
    return " ".join(parts)
