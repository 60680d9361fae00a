"""Build the retro-analysis input from validated clicks (what ingest and audit hold in memory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from fairclick.domain.click import ClickEvent
from fairclick.validation.decisions import ClickDecision
from fairclick.validation.enrich.batch import scope_of


def decisions_frame(
    clicks: Sequence[ClickEvent],
    decisions: Sequence[ClickDecision],
    *,
    platform: bool = True,
    reach: Mapping[int, int] | None = None,
) -> pl.DataFrame:
    """One row per click with the columns `REQUIRED` by the detectors; `reach` maps a link id
    to the followers of the account that posted it."""
    reach = reach or {}
    return pl.DataFrame(
        {
            "click_id": [c.click_id for c in clicks],
            "ts": [c.ts for c in clicks],
            "link": [scope_of(c, platform) for c in clicks],
            "campaign_id": [c.campaign_id for c in clicks],
            "influencer_id": [c.influencer_id for c in clicks],
            "visitor_key": [d.enrichment.visitor_key for d in decisions],
            "ip_prefix": [d.enrichment.ip_prefix for d in decisions],
            "asn": [d.enrichment.asn for d in decisions],
            "device": [
                f"{d.enrichment.browser}/{d.enrichment.os}/{d.enrichment.device}" for d in decisions
            ],
            "verdict": [d.verdict.value for d in decisions],
            "reach": [reach.get(c.link_id) if c.link_id is not None else None for c in clicks],
        },
        schema_overrides={
            "campaign_id": pl.Int64,
            "influencer_id": pl.Int64,
            "asn": pl.Int64,
            "reach": pl.Int64,
        },
    )
