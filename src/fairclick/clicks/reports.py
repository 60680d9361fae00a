"""Report aggregations over the `clicks` table: what advertisers, influencers and operators read.

Loading is one column-restricted SELECT; every aggregation is a pure, vectorised Polars
function over the loaded frame (no Python loop per click), so the same functions serve the web
pages, the CSV exports and any later API report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import Text, case, func, select, type_coerce
from sqlalchemy.orm import Session

from fairclick.clicks.models import Click
from fairclick.domain.reasons import IvtClass, Reason

COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "click_id": pl.Utf8,
    "ts": pl.Datetime("us", "UTC"),
    "campaign_id": pl.Int64,
    "influencer_id": pl.Int64,
    "link_id": pl.Int64,
    "post_id": pl.Int64,
    "verdict": pl.Utf8,
    "reasons": pl.List(pl.Utf8),
    "flags": pl.List(pl.Utf8),
    "billing": pl.Utf8,
    "unbilled_cause": pl.Utf8,
    "amount_minor": pl.Int64,
    "payout_minor": pl.Int64,
    "country": pl.Utf8,
    "referer": pl.Utf8,
    "device": pl.Utf8,
    "browser": pl.Utf8,
    "os": pl.Utf8,
}
_REASON_CLASS = {reason.value: reason.ivt_class.value for reason in Reason}


_RAW = ("ts", "reasons", "flags")  # read as stored, parsed column-wise below


def load_clicks(
    session: Session,
    *,
    campaign_ids: Sequence[int] | None = None,
    influencer_id: int | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> pl.DataFrame:
    """The clicks matching every given filter, newest first, as a frame with `COLUMNS`.

    Times and JSON lists are read as the engine returns them (text on SQLite) and parsed by
    Polars for the whole column at once: per-row conversion costs several times more."""
    table = Click.__table__
    query = select(
        *(type_coerce(table.c[name], Text) if name in _RAW else table.c[name] for name in COLUMNS)
    )
    if campaign_ids is not None:
        query = query.where(table.c.campaign_id.in_(list(campaign_ids)))
    if influencer_id is not None:
        query = query.where(table.c.influencer_id == influencer_id)
    if since is not None:
        query = query.where(Click.ts >= since)
    query = query.order_by(table.c.ts.desc())
    if limit is not None:
        query = query.limit(limit)
    rows = session.connection().execute(query).all()
    names = list(COLUMNS)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    series = []
    for name, values in zip(names, columns, strict=True):
        dtype = COLUMNS[name]
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, str) and name == "ts":
            series.append(
                pl.Series(name, values, pl.Utf8).str.to_datetime(time_unit="us", time_zone="UTC")
            )
        elif isinstance(sample, str) and name in ("reasons", "flags"):
            series.append(pl.Series(name, values, pl.Utf8).str.json_decode(dtype))
        else:
            series.append(pl.Series(name, list(values), dtype))
    return pl.DataFrame(series)


@dataclass(frozen=True, slots=True)
class Summary:
    """Headline counters of a set of clicks (amounts in minor units)."""

    raw: int
    valid: int
    invalid: int
    billed: int
    billed_minor: int
    payout_minor: int

    @property
    def valid_rate(self) -> float | None:
        """Share of valid clicks (None when there is no click: no rate, not zero)."""
        return self.valid / self.raw if self.raw else None


EMPTY = Summary(0, 0, 0, 0, 0, 0)


def summary(df: pl.DataFrame) -> Summary:
    """Raw, valid, invalid and billed counts, and billed amounts."""
    if df.is_empty():
        return EMPTY
    row = df.select(
        pl.len().alias("raw"),
        (pl.col("verdict") == "valid").sum().alias("valid"),
        (pl.col("verdict") == "invalid").sum().alias("invalid"),
        (pl.col("billing") == "billed").sum().alias("billed"),
        pl.col("amount_minor").sum().alias("billed_minor"),
        pl.col("payout_minor").sum().alias("payout_minor"),
    ).row(0, named=True)
    return Summary(**{key: int(value or 0) for key, value in row.items()})


def totals(
    session: Session,
    *,
    campaign_ids: Sequence[int] | None = None,
    influencer_id: int | None = None,
) -> dict[int, Summary]:
    """`Summary` per campaign, aggregated in SQL (no click leaves the database): what lists
    and live counters read. Campaigns without clicks are absent."""
    query = select(
        Click.campaign_id,
        func.count(),
        func.sum(case((Click.verdict == "valid", 1), else_=0)),
        func.sum(case((Click.verdict == "invalid", 1), else_=0)),
        func.sum(case((Click.billing == "billed", 1), else_=0)),
        func.coalesce(func.sum(Click.amount_minor), 0),
        func.coalesce(func.sum(Click.payout_minor), 0),
    ).group_by(Click.campaign_id)
    if campaign_ids is not None:
        query = query.where(Click.campaign_id.in_(list(campaign_ids)))
    if influencer_id is not None:
        query = query.where(Click.influencer_id == influencer_id)
    out = {}
    for campaign_id, *values in session.execute(query):
        if campaign_id is not None:
            out[int(campaign_id)] = Summary(*(int(v or 0) for v in values))
    return out


def bucket_for(df: pl.DataFrame) -> str:
    """A readable time bucket for the span of `df`: hours up to three days, else days."""
    if df.is_empty():
        return "1h"
    first, last = df["ts"].min(), df["ts"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    return "1h" if last - first <= timedelta(days=3) else "1d"


def timeseries(df: pl.DataFrame, every: str | None = None) -> pl.DataFrame:
    """Raw, valid and invalid clicks per time bucket (`bucket`, `raw`, `valid`, `invalid`)."""
    every = every or bucket_for(df)
    return (
        df.group_by(pl.col("ts").dt.truncate(every).alias("bucket"))
        .agg(
            pl.len().alias("raw"),
            (pl.col("verdict") == "valid").sum().alias("valid"),
            (pl.col("verdict") == "invalid").sum().alias("invalid"),
        )
        .sort("bucket")
    )


def by_reason(df: pl.DataFrame) -> pl.DataFrame:
    """Invalid clicks per reason code, with its MRC class (`reason`, `ivt_class`, `clicks`).
    A click with several reasons counts once under each."""
    return (
        df.filter(pl.col("verdict") == "invalid")
        .select(pl.col("reasons").explode().alias("reason"))
        .drop_nulls()
        .group_by("reason")
        .agg(pl.len().alias("clicks"))
        .with_columns(
            pl.col("reason").replace_strict(_REASON_CLASS, default="SIVT").alias("ivt_class")
        )
        .sort(["clicks", "reason"], descending=[True, False])
        .select("reason", "ivt_class", "clicks")
    )


def by_class(df: pl.DataFrame) -> dict[str, int]:
    """Invalid clicks per MRC class: a click counts under each class one of its reasons has."""
    invalid = df.filter(pl.col("verdict") == "invalid")
    out = {}
    for ivt in IvtClass:
        codes = [code for code, cls in _REASON_CLASS.items() if cls == ivt.value]
        out[ivt.value] = int(
            invalid.select(pl.col("reasons").list.eval(pl.element().is_in(codes)).list.any().sum())
            .to_series()
            .item()
            or 0
        )
    return out


def by_influencer(df: pl.DataFrame) -> pl.DataFrame:
    """Per influencer: raw, valid, invalid clicks, valid rate, billed cost, payout and flagged
    clicks (`influencer_id`, `raw`, `valid`, `invalid`, `valid_rate`, `cost_minor`,
    `payout_minor`, `flagged`, `incited`)."""
    return (
        df.group_by("influencer_id")
        .agg(
            pl.len().alias("raw"),
            (pl.col("verdict") == "valid").sum().alias("valid"),
            (pl.col("verdict") == "invalid").sum().alias("invalid"),
            pl.col("amount_minor").sum().alias("cost_minor"),
            pl.col("payout_minor").sum().alias("payout_minor"),
            (pl.col("flags").list.len() > 0).sum().alias("flagged"),
            pl.col("reasons").list.contains("incited").sum().alias("incited"),
        )
        .with_columns((pl.col("valid") / pl.col("raw")).alias("valid_rate"))
        .sort("raw", descending=True)
    )


def referrer_hosts(df: pl.DataFrame) -> pl.Series:
    """The host part of each click's referrer, `""` when there was none."""
    return (
        df["referer"]
        .fill_null("")
        .str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:]+)", 1)
        .fill_null("")
        .str.to_lowercase()
    )


def top_values(df: pl.DataFrame, column: str, n: int = 10) -> pl.DataFrame:
    """The `n` most frequent values of `column` (or `referrer_host`) with raw and valid counts
    (`value`, `raw`, `valid`); a missing value is `""`."""
    values = referrer_hosts(df) if column == "referrer_host" else df[column].fill_null("")
    return (
        df.select(pl.col("verdict"))
        .with_columns(values.alias("value"))
        .group_by("value")
        .agg(pl.len().alias("raw"), (pl.col("verdict") == "valid").sum().alias("valid"))
        .sort(["raw", "value"], descending=[True, False])
        .head(n)
    )


def invalid_share_by_day(df: pl.DataFrame) -> pl.DataFrame:
    """Per UTC day: raw clicks and the share that was invalid (`day`, `raw`, `invalid_share`)."""
    return (
        df.group_by(pl.col("ts").dt.truncate("1d").alias("day"))
        .agg(pl.len().alias("raw"), (pl.col("verdict") == "invalid").sum().alias("invalid"))
        .with_columns((pl.col("invalid") / pl.col("raw")).alias("invalid_share"))
        .sort("day")
    )


def by_month(df: pl.DataFrame) -> pl.DataFrame:
    """Per calendar month (UTC): raw, valid, billed clicks, billed amount and payout
    (`month` as YYYY-MM, `raw`, `valid`, `billed`, `amount_minor`, `payout_minor`)."""
    return (
        df.group_by(pl.col("ts").dt.strftime("%Y-%m").alias("month"))
        .agg(
            pl.len().alias("raw"),
            (pl.col("verdict") == "valid").sum().alias("valid"),
            (pl.col("billing") == "billed").sum().alias("billed"),
            pl.col("amount_minor").sum().alias("amount_minor"),
            pl.col("payout_minor").sum().alias("payout_minor"),
        )
        .sort("month", descending=True)
    )
