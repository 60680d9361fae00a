"""Retro-analysis of stored clicks: the windowed SIVT detectors (burst, click farm, click ring)
over the clicks still inside their campaign's hold period, applied as re-verdicts.

The worker runs it every few minutes and `fairclick ingest` at its end. Detectors are pure and
vectorised (`fairclick.validation.retro`); this module loads their input with one query per
chunk of time, records each re-verdict as an event and hands billed clicks to the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session

from fairclick.campaigns.models import Campaign
from fairclick.clicks.models import Click
from fairclick.clicks.reverdict import Reverser, invalidate
from fairclick.domain.reasons import Reason
from fairclick.influencers.models import SocialAccount
from fairclick.store import frames
from fairclick.store.frames import raw
from fairclick.validation.retro import REQUIRED, analyse


@dataclass
class RetroResult:
    """What one retro-analysis run looked at and changed."""

    clicks_examined: int = 0
    reverdicted: int = 0
    reversed_billed: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "click_id": pl.String,
    "ts": pl.Datetime("us", "UTC"),
    "link_id": pl.Int64,
    "code": pl.String,
    "campaign_id": pl.Int64,
    "influencer_id": pl.Int64,
    "visitor_key": pl.String,
    "ip_prefix": pl.String,
    "asn": pl.Int64,
    "browser": pl.String,
    "os": pl.String,
    "device": pl.String,
    "verdict": pl.String,
}


def window_query(since: datetime, until: datetime) -> Select[Any]:
    """The answered clicks with `since <= ts < until`. Every answered click (302) has a
    campaign: naming them lets both engines range-scan (campaign_id, ts) per campaign instead
    of reading the whole table for a recent window."""
    clicks: Table = Click.__table__  # type: ignore[assignment]
    return select(*(raw(clicks.c[name]) for name in _SCHEMA)).where(
        clicks.c.campaign_id.in_(select(Campaign.id)),
        clicks.c.ts >= since,
        clicks.c.ts < until,
        clicks.c.status == 302,
    )


def _frame(session: Session, since: datetime, until: datetime) -> pl.DataFrame:
    query = window_query(since, until)
    # Each influencer's reach joined here rather than in SQL: a few hundred rows, where
    # SQLite would probe a temporary index once per click.
    accounts: Table = SocialAccount.__table__  # type: ignore[assignment]
    reach = frames.frame(
        session.connection(),
        select(
            raw(accounts.c.influencer_id), raw(func.max(accounts.c.followers), "reach")
        ).group_by(accounts.c.influencer_id),
        {"influencer_id": pl.Int64, "reach": pl.Int64},
    )
    frame = frames.frame(session.connection(), query, _SCHEMA).join(
        reach, on="influencer_id", how="left", maintain_order="left"
    )
    return detector_input(frame)


def detector_input(stored: pl.DataFrame) -> pl.DataFrame:
    """The detectors' columns (`REQUIRED` and `reach`) from stored click columns (`_SCHEMA`
    and `reach`): the link as the engine scopes it, and one device string."""
    return stored.with_columns(
        pl.when(pl.col("link_id").is_not_null())
        .then(pl.lit("link:") + pl.col("link_id").cast(pl.String))
        .otherwise(pl.lit("code:") + pl.col("code"))
        .alias("link"),
        pl.concat_str(
            [pl.col(c).fill_null("None") for c in ("browser", "os", "device")], separator="/"
        ).alias("device"),
    ).select([*REQUIRED, "reach"])


def hold_window(session: Session, now: datetime) -> datetime:
    """The oldest time a re-verdict can still change billing: now minus the longest hold."""
    longest = session.scalar(select(func.max(Campaign.hold_days))) or 14
    return now - timedelta(days=int(longest))


def run_retro(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    at: datetime,
    reverser: Reverser | None,
) -> RetroResult:
    """Analyse the stored clicks with `since <= ts < until` and apply what the detectors find."""
    frame = _frame(session, since, until)
    result = RetroResult(clicks_examined=frame.height)
    if frame.is_empty():
        return result
    by_reason: dict[Reason, dict[str, dict[str, object]]] = defaultdict(dict)
    for found in analyse(frame, platform=True):
        for reason in found.new_reasons:
            by_reason[reason][found.click_id] = found.evidence.get(reason.value, {})
    for reason, evidence in by_reason.items():
        done = invalidate(
            session,
            list(evidence),
            reason,
            by=f"retro:{reason.value}",
            at=at,
            reverser=reverser,
            evidence_by_click=evidence,
        )
        result.reverdicted += done.changed
        result.reversed_billed += done.reversed_billed
        result.by_reason[reason.value] = done.changed
    return result
