"""Shared shape of the retro-analysis: input columns and the re-verdict record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from fairclick.domain.reasons import Reason

REQUIRED = {
    "click_id": pl.Utf8,
    "ts": pl.Datetime,
    "link": pl.Utf8,  # link id / code, or URL path in an audit
    "campaign_id": pl.Int64,
    "influencer_id": pl.Int64,
    "visitor_key": pl.Utf8,
    "ip_prefix": pl.Utf8,
    "asn": pl.Int64,
    "device": pl.Utf8,  # UA family + device class: a coarse device fingerprint
    "verdict": pl.Utf8,
}


@dataclass(frozen=True, slots=True)
class ReVerdict:
    """A click judged again: the reasons to add and the evidence per reason (JSON-able)."""

    click_id: str
    new_reasons: tuple[Reason, ...]
    evidence: dict[str, dict[str, Any]]


class RetroInputError(ValueError):
    """The frame lacks a required column."""


def valid_only(clicks: pl.DataFrame) -> pl.DataFrame:
    """The valid clicks, checked for the required columns."""
    missing = [c for c in REQUIRED if c not in clicks.columns]
    if missing:
        raise RetroInputError(f"retro-analysis needs columns {missing}")
    # "owner": whose link it is (the influencer), or the URL path itself without a platform,
    # as an integer (the detectors only compare owners and count them): the influencer's id,
    # or minus one minus the link's code. A string column per detector was 1M strings a copy
    # on the 1,000,000-line audit.
    valid = clicks.filter(pl.col("verdict") == "valid")
    return valid.with_columns(
        pl.coalesce(pl.col("influencer_id"), -1 - link_code(valid.schema["link"])).alias("owner")
    )


def link_code(dtype: pl.DataType) -> pl.Expr:
    """An integer per distinct link (equal links, equal codes): a categorical's own code, or
    the dense rank of the strings."""
    link = pl.col("link")
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        return link.to_physical().cast(pl.Int64)
    return link.rank("dense").cast(pl.Int64)


def to_reverdicts(
    frame: pl.DataFrame,
    reason: Reason,
    evidence_cols: list[str],
    labels: dict[str, str] | None = None,
) -> list[ReVerdict]:
    """One `ReVerdict` per row of `frame` (click_id + evidence columns)."""
    labels = labels or {}
    out = []
    for row in frame.select(["click_id", *evidence_cols]).iter_rows(named=True):
        evidence = {labels.get(c, c): _jsonable(row[c]) for c in evidence_cols}
        out.append(ReVerdict(row["click_id"], (reason,), {reason.value: evidence}))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


_ORDER = {r: i for i, r in enumerate(Reason)}


def merge(reverdicts: Iterable[ReVerdict]) -> list[ReVerdict]:
    """One re-verdict per click, reasons in the Reason order, evidence merged."""
    by_click: dict[str, tuple[set[Reason], dict[str, dict[str, Any]]]] = {}
    for rv in reverdicts:
        reasons, evidence = by_click.setdefault(rv.click_id, (set(), {}))
        reasons.update(rv.new_reasons)
        evidence.update(rv.evidence)
    return [
        ReVerdict(cid, tuple(sorted(reasons, key=_ORDER.__getitem__)), evidence)
        for cid, (reasons, evidence) in sorted(by_click.items())
    ]
