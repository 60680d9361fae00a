"""`click_ring`: visitors who click many different influencers' links of one campaign.

The bipartite graph visitors × influencers of a campaign, per time window (default 24 h):
- a visitor reaching `solo_influencers` or more different influencers is a click-exchange
  member on their own (nobody organically follows that many promoters of one campaign);
- visitors reaching `min_influencers` or more are candidates; two candidates sharing
  `min_common` influencers are linked; a connected group of `min_members` or more is a ring
  (lockstep in the sense of CopyCatch / SynchroTrap: the same pages, the same window).
Without a platform (audit) the URL paths of the site stand in for influencers.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fairclick.domain.reasons import Reason
from fairclick.validation.retro.base import ReVerdict, to_reverdicts, valid_only


@dataclass(frozen=True, slots=True)
class RingSettings:
    """Thresholds of `click_ring` (documented in docs/validation.md)."""

    window: str = "24h"
    min_influencers: int = 4
    min_common: int = 3
    min_members: int = 3
    solo_influencers: int = 10


def _components(edges: pl.DataFrame) -> dict[str, int]:
    """Union-find over candidate pairs: visitor → component id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for a, b in edges.iter_rows():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots: dict[str, int] = {}
    out = {}
    for node in sorted({n for pair in edges.iter_rows() for n in pair}):
        out[node] = roots.setdefault(find(node), len(roots))
    return out


def click_ring(
    clicks: pl.DataFrame, settings: RingSettings = RingSettings(), platform: bool = True
) -> list[ReVerdict]:
    """Re-verdicts for the valid clicks of ring members inside the window they ringed in."""
    valid = valid_only(clicks)
    if valid.is_empty():
        return []
    group = pl.col("campaign_id").fill_null(-1) if platform else pl.lit(-1, pl.Int64)
    valid = valid.with_columns(
        group.alias("group"), pl.col("ts").dt.truncate(settings.window).alias("window")
    )
    keys = ["group", "window"]
    reach = valid.group_by([*keys, "visitor_key"]).agg(pl.col("owner").n_unique().alias("owners"))
    candidates = reach.filter(pl.col("owners") >= settings.min_influencers)
    if candidates.is_empty():
        return []
    pairs_in = (
        valid.join(candidates.select([*keys, "visitor_key"]), on=[*keys, "visitor_key"])
        .select([*keys, "owner", "visitor_key"])
        .unique()
    )
    pairs = (
        pairs_in.join(pairs_in, on=[*keys, "owner"], suffix="_b")
        .filter(pl.col("visitor_key") < pl.col("visitor_key_b"))
        .group_by([*keys, "visitor_key", "visitor_key_b"])
        .agg(pl.len().alias("common"))
        .filter(pl.col("common") >= settings.min_common)
    )
    members: list[dict[str, object]] = []
    for (grp, win), edges in pairs.group_by(keys, maintain_order=True):
        comp = _components(edges.select(["visitor_key", "visitor_key_b"]))
        sizes: dict[int, int] = {}
        for c in comp.values():
            sizes[c] = sizes.get(c, 0) + 1
        for visitor, c in comp.items():
            if sizes[c] >= settings.min_members:
                members.append(
                    {
                        "group": grp,
                        "window": win,
                        "visitor_key": visitor,
                        "ring_id": f"{grp}:{win}:{c}",
                        "ring_size": sizes[c],
                    }
                )
    solo = candidates.filter(pl.col("owners") >= settings.solo_influencers).select(
        [*keys, "visitor_key"]
    )
    ring_frame = pl.DataFrame(
        members,
        schema={
            "group": pl.Int64,
            "window": valid.schema["window"],
            "visitor_key": pl.Utf8,
            "ring_id": pl.Utf8,
            "ring_size": pl.Int64,
        },
    )
    solo_frame = solo.join(
        ring_frame.select([*keys, "visitor_key"]), on=[*keys, "visitor_key"], how="anti"
    ).with_columns(
        (pl.lit("solo:") + pl.col("visitor_key")).alias("ring_id"),
        pl.lit(1, pl.Int64).alias("ring_size"),
    )
    flagged = pl.concat([ring_frame, solo_frame.select(ring_frame.columns)])
    if flagged.is_empty():
        return []
    hits = valid.join(flagged, on=[*keys, "visitor_key"]).join(reach, on=[*keys, "visitor_key"])
    label = "influencers_clicked" if platform else "paths_clicked"
    return to_reverdicts(
        hits,
        Reason.CLICK_RING,
        ["ring_id", "ring_size", "owners", "window", "campaign_id"],
        {"owners": label, "ring_size": "ring_members"},
    )
