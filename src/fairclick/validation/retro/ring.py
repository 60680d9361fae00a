"""`click_ring`: visitors who click many different influencers' links of one campaign, in
lockstep with each other (a click exchange).

The bipartite graph visitors × influencers of a campaign over the whole analysed span (the
hold period), in the sense of CopyCatch / SynchroTrap:
- candidates: visitors who reached `min_influencers` or more different influencers;
- two candidates co-click an influencer when they clicked the same link of that influencer
  less than `lockstep` apart (an exchange answers each post within the hour; two fans who
  follow the same people click days apart as often as minutes apart);
- a co-click is evidence only where it is unlikely by chance: a link's 2 h bucket with more
  than `busy_link` candidate clicks (a viral post, the home page of an audited site) is left
  out, since hundreds of strangers open it within any two hours and two of them meet again on
  the next busy link (on the audit bench's Zipf-popular log, counting those made "rings" of
  37,428 independent requests); an exchange is seen on its members' own links, where the
  members are the crowd. The pair join stays linear (never all pairs of a busy bucket);
- two candidates co-clicking `min_common` or more influencers are linked; the graph is
  pruned until every member is linked to `min_members` - 1 others and co-clicked
  `member_influencers` influencers with them in all (a k-core: one fan who clicks everything
  promptly is a hub, not a ring of the ordinary fans around them); a connected group of
  `min_members` or more that co-clicked `ring_influencers` influencers in all is a ring, and
  its members' clicks on those influencers are re-verdicted (their other clicks stay valid);
- a visitor reaching `solo_influencers` or more influencers inside one `solo_window` is an
  exchange member on their own (nobody organically follows that many promoters of one
  campaign within a day). On the platform only first-party visitor ids count here: an
  address + user agent key may be a whole campus behind one NAT.
Friends who click two friends' links co-click two influencers, not three: no ring. Visitors on
one network (their usual /24-/48) are never linked: students behind a campus NAT reading the
same posts after a lecture, or a family, click together for a reason that is not an exchange;
and a cookie-less key on a network with `crowded_network` visitors or more is many people.
Without a platform (audit) the URL paths of the site stand in for influencers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from fairclick.domain.reasons import Reason
from fairclick.validation.retro.base import ReVerdict, to_reverdicts, valid_only


@dataclass(frozen=True, slots=True)
class RingSettings:
    """Thresholds of `click_ring` (documented in docs/validation.md)."""

    lockstep: timedelta = timedelta(hours=2)
    min_influencers: int = 3
    min_common: int = 2  # influencers two visitors co-clicked: an edge
    member_influencers: int = 3  # influencers a member co-clicked with the others in all
    ring_influencers: int = 4  # influencers the ring co-clicked in all
    min_members: int = 3
    crowded_network: int = 20  # distinct visitors on one /24-/48: a shared address
    busy_link: int = 40  # candidate clicks on one link in one lockstep bucket: a busy link
    solo_window: str = "24h"
    solo_influencers: int = 10


def _components(edges: pl.DataFrame) -> dict[int, int]:
    """Union-find over candidate pairs of visitor codes: visitor → component id (components
    numbered in the order of their least visitor)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for a, b in edges.iter_rows():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots: dict[int, int] = {}
    out = {}
    for node in sorted({n for pair in edges.iter_rows() for n in pair}):
        out[node] = roots.setdefault(find(node), len(roots))
    return out


def _lockstep_pairs(valid: pl.DataFrame, settings: RingSettings) -> pl.DataFrame:
    """(group, visitor_key, visitor_key_b, owner) for each influencer two candidates on
    different networks co-clicked less than `lockstep` apart."""
    pairs, visitors, owners = _coded_pairs(valid, settings)
    return pairs.select(
        "group",
        _decode("visitor_key", visitors),
        _decode("visitor_key_b", visitors),
        _decode("owner", owners),
    )


def _coded_pairs(
    valid: pl.DataFrame, settings: RingSettings
) -> tuple[pl.DataFrame, pl.Series, pl.Series]:
    """`_lockstep_pairs` with visitors and owners as codes (`_code`), and the visitors' and
    the owners' names of those codes (`_names`)."""
    reach = valid.group_by(["group", "visitor_key"]).agg(pl.col("owner").n_unique().alias("n"))
    candidates = reach.filter(pl.col("n") >= settings.min_influencers).select(
        ["group", "visitor_key"]
    )
    if candidates.is_empty():
        code = pl.UInt32
        schema = {"group": pl.Int64, "visitor_key": code, "visitor_key_b": code, "owner": code}
        return (
            pl.DataFrame(schema=schema),
            pl.Series(dtype=valid.schema["visitor_key"]),
            pl.Series(dtype=valid.schema["owner"]),
        )
    step = int(settings.lockstep.total_seconds() * 1_000_000)
    # Only what the pairs are made of is carried through the joins below.
    valid = valid.select("group", "visitor_key", "ip_prefix", "link", "owner", "ts")
    mine = valid.join(candidates, on=["group", "visitor_key"])
    # The candidate's usual /24-/48: the one most of their clicks came from.
    network = (
        mine.group_by(["group", "visitor_key", "ip_prefix"])
        .agg(pl.len().alias("k"))
        .sort(["k", "ip_prefix"], descending=[True, False])
        .unique(["group", "visitor_key"], keep="first")
        .select("group", "visitor_key", pl.col("ip_prefix").alias("network"))
    )
    # A cookie-less key (address + user agent) on a crowded network is many people behind one
    # address (a campus, an office, a carrier NAT), not one visitor: it cannot be a member.
    crowded = (
        valid.join(
            network.select("group", pl.col("network").alias("ip_prefix")).unique(),
            on=["group", "ip_prefix"],
            how="semi",
        )
        .group_by(["group", "ip_prefix"])
        .agg(pl.col("visitor_key").n_unique().alias("visitors"))
        .filter(pl.col("visitors") >= settings.crowded_network)
        .select("group", pl.col("ip_prefix").alias("network"))
    )
    first_party = _first_party(pl.col("visitor_key"))
    network = network.filter(first_party).vstack(
        network.filter(~first_party).join(crowded, on=["group", "network"], how="anti")
    )
    clicks = (
        mine.join(network, on=["group", "visitor_key"])
        .select(
            "group",
            "link",
            "owner",
            "visitor_key",
            "network",
            pl.col("ts").dt.epoch("us").alias("us"),
        )
        .with_columns((pl.col("us") // step).alias("bucket"))
    )
    # A link's bucket with more than `busy_link` candidate clicks (a viral post, the home page
    # of an audited site) holds co-clicks by chance: hundreds of strangers open it within any
    # two hours, and two of them meet again on the next busy link. Its co-clicks are no
    # evidence and are never joined (the join stays linear: at most 3 x `busy_link` rows per
    # click). A ring is seen on its own links, where its members are the crowd.
    keys = ["group", "link", "bucket"]
    busy = (
        clicks.group_by(keys)
        .agg(pl.len().alias("crowd"))
        .filter(pl.col("crowd") > settings.busy_link)
    )
    clicks = clicks.join(busy, on=keys, how="anti")
    # The join below holds every pair of clicks of a link less than two buckets apart (3.3 M
    # rows for 117,000 clicks on the audit bench's log): strings there cost 486 MiB. It joins
    # integer codes instead, numbered in the strings' order (same `<`, same `!=`, null kept);
    # the pairs found (1.1 M there) stay coded until the rings are known.
    coded = clicks.select(
        "group",
        *(_code(name) for name in ("link", "owner", "visitor_key", "network")),
        "us",
        "bucket",
    )
    # Clicks less than `lockstep` apart are in the same bucket or in neighbouring ones: join
    # each click with the clicks of its own and both neighbouring buckets (never a link's
    # whole history with itself).
    right = pl.concat(
        [coded.with_columns(pl.col("bucket") + shift) for shift in (-1, 0, 1)]
    ).rename({"visitor_key": "visitor_key_b", "us": "us_b", "network": "network_b"})
    pairs = (
        coded.join(right.drop("owner"), on=keys)
        .filter(
            (pl.col("visitor_key") < pl.col("visitor_key_b"))
            & ((pl.col("us") - pl.col("us_b")).abs() < step)
            # People on one network clicking together are explained by the network (students
            # behind a campus NAT after a lecture, a family on the sofa); an exchange spans homes.
            & (pl.col("network") != pl.col("network_b"))
        )
        .select(["group", "visitor_key", "visitor_key_b", "owner"])
        .unique()
    )
    return pairs, _names(clicks, "visitor_key"), _names(clicks, "owner")


def _first_party(visitor_key: pl.Expr) -> pl.Expr:
    """A first-party visitor id ("v:"), whether the keys are strings or categorical."""
    return visitor_key.cast(pl.Utf8).str.starts_with("v:")


def _code(name: str) -> pl.Expr:
    """The column as integers numbered in the order of its values (1 the least, null kept)."""
    return pl.col(name).rank("dense")


def _names(frame: pl.DataFrame, name: str) -> pl.Series:
    """The distinct non-null values of a column in order: code k (`_code`) is item k - 1."""
    return frame.get_column(name).drop_nulls().unique().sort()


def _decode(name: str, names: pl.Series) -> pl.Expr:
    return pl.lit(names).gather(pl.col(name) - 1).alias(name)


def _prune(pairs: pl.DataFrame, settings: RingSettings) -> pl.DataFrame:
    """The lockstep pairs left once every visitor is linked (`min_common` co-clicked
    influencers) to at least `min_members - 1` others and has co-clicked `member_influencers`
    influencers with them in all, pruned until stable (a k-core): one fan who clicks
    everything promptly is a hub, not a ring, and the fans linked to nobody else fall away."""
    keys = ["group", "visitor_key", "visitor_key_b"]
    edges = (
        pairs.group_by(keys)
        .agg(pl.len().alias("common"))
        .filter(pl.col("common") >= settings.min_common)
        .select(keys)
    )
    while not edges.is_empty():
        kept = pairs.join(edges, on=keys, how="semi")
        ends = pl.concat(
            [
                kept.select("group", "visitor_key", "owner", pl.col("visitor_key_b").alias("peer")),
                kept.select(
                    "group",
                    pl.col("visitor_key_b").alias("visitor_key"),
                    "owner",
                    pl.col("visitor_key").alias("peer"),
                ),
            ]
        )
        per = ends.group_by(["group", "visitor_key"]).agg(
            pl.col("peer").n_unique().alias("peers"), pl.col("owner").n_unique().alias("owners")
        )
        weak = per.filter(
            (pl.col("peers") < settings.min_members - 1)
            | (pl.col("owners") < settings.member_influencers)
        ).select("group", "visitor_key")
        if weak.is_empty():
            return kept
        edges = edges.join(weak, on=["group", "visitor_key"], how="anti").join(
            weak.rename({"visitor_key": "visitor_key_b"}),
            on=["group", "visitor_key_b"],
            how="anti",
        )
    return pairs.clear()


def _rings(
    pairs: pl.DataFrame, visitors: pl.Series, owners: pl.Series, settings: RingSettings
) -> pl.DataFrame:
    """(group, visitor_key, ring_id, ring_size, owner) for each member of a ring and each
    influencer the ring co-clicked, from the coded pairs of `_coded_pairs` (visitors and
    owners of the dtypes of `visitors` and `owners`)."""
    kept = _prune(pairs, settings)
    links = kept.select(["group", "visitor_key", "visitor_key_b"]).unique()
    members: list[dict[str, object]] = []
    for (grp,), edges in links.group_by(["group"], maintain_order=True):
        comp = _components(edges.select(["visitor_key", "visitor_key_b"]))
        sizes: dict[int, int] = {}
        for c in comp.values():
            sizes[c] = sizes.get(c, 0) + 1
        for visitor, c in comp.items():
            if sizes[c] >= settings.min_members:
                members.append(
                    {
                        "group": grp,
                        "visitor_key": visitor,
                        "ring_id": f"{grp}:{c}",
                        "ring_size": sizes[c],
                    }
                )
    ring = pl.DataFrame(
        members,
        schema={
            "group": pl.Int64,
            "visitor_key": pl.UInt32,
            "ring_id": pl.Utf8,
            "ring_size": pl.Int64,
        },
    )
    if ring.is_empty():
        return ring.with_columns(
            pl.col("visitor_key").cast(visitors.dtype), pl.lit(None, owners.dtype).alias("owner")
        )
    # The ring's influencers: those its members co-clicked in lockstep; a group that shares
    # fewer than `ring_influencers` is friends of a few influencers, not an exchange.
    shared = (
        kept.join(ring.select(["group", "visitor_key", "ring_id"]), on=["group", "visitor_key"])
        .select(["ring_id", "owner"])
        .unique()
    )
    wide = (
        shared.group_by("ring_id")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= settings.ring_influencers)
    )
    found = ring.join(wide.select("ring_id"), on="ring_id").join(shared, on="ring_id")
    return found.with_columns(_decode("visitor_key", visitors), _decode("owner", owners))


def click_ring(
    clicks: pl.DataFrame, settings: RingSettings = RingSettings(), platform: bool = True
) -> list[ReVerdict]:
    """Re-verdicts for the valid clicks of ring members on the ring's influencers, and of
    lone exchange members inside the day they clicked too many influencers."""
    valid = valid_only(clicks)
    if valid.is_empty():
        return []
    group = pl.col("campaign_id").fill_null(-1) if platform else pl.lit(-1, pl.Int64)
    valid = valid.with_columns(group.alias("group"))
    rings = _rings(*_coded_pairs(valid, settings), settings)
    per_member = valid.group_by(["group", "visitor_key"]).agg(
        pl.col("owner").n_unique().alias("owners")
    )
    ring_hits = valid.join(rings, on=["group", "visitor_key", "owner"]).join(
        per_member, on=["group", "visitor_key"]
    )
    solo_hits = _solo(valid, settings, platform).join(
        ring_hits.select("click_id"), on="click_id", how="anti"
    )
    hits = pl.concat(
        [
            ring_hits.select("click_id", "ring_id", "ring_size", "owners", "campaign_id", "ts"),
            solo_hits.select("click_id", "ring_id", "ring_size", "owners", "campaign_id", "ts"),
        ]
    )
    if hits.is_empty():
        return []
    label = "influencers_clicked" if platform else "paths_clicked"
    return to_reverdicts(
        hits.sort("click_id"),
        Reason.CLICK_RING,
        ["ring_id", "ring_size", "owners", "campaign_id"],
        {"owners": label, "ring_size": "ring_members"},
    )


def _solo(valid: pl.DataFrame, settings: RingSettings, platform: bool) -> pl.DataFrame:
    """Clicks of visitors who reached `solo_influencers` in one `solo_window`: first-party
    visitor ids only on the platform (an address + user agent key may be a whole campus);
    in an audit, where logs carry no cookie, every key."""
    if platform:
        valid = valid.filter(_first_party(pl.col("visitor_key")))
    keyed = valid.with_columns(pl.col("ts").dt.truncate(settings.solo_window).alias("window"))
    keys = ["group", "window", "visitor_key"]
    lone = (
        keyed.group_by(keys)
        .agg(pl.col("owner").n_unique().alias("owners"))
        .filter(pl.col("owners") >= settings.solo_influencers)
    )
    return keyed.join(lone, on=keys).with_columns(
        (pl.lit("solo:") + pl.col("visitor_key").cast(pl.Utf8)).alias("ring_id"),
        pl.lit(1, pl.Int64).alias("ring_size"),
    )
