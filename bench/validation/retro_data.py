"""A synthetic frame of validated clicks for the retro-analysis benchmark (numpy, seeded).

Organic traffic over 24 h on 5,000 links of 50 campaigns, plus one burst, one farm subnet and
one ring of 20 visitors clicking 8 influencers' posts in lockstep, so that every detector has
work to do.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl


def validated_frame(n: int, seed: int = 11) -> pl.DataFrame:
    """`n` rows with the retro-analysis columns."""
    rng = np.random.default_rng(seed)
    start = int(datetime(2025, 11, 17, tzinfo=UTC).timestamp() * 1e6)
    ts = np.sort(start + rng.integers(0, 86_400 * 10**6, n))
    links = rng.zipf(1.3, n) % 5000
    visitors = rng.integers(0, n // 2, n)
    prefixes = rng.integers(0, 200_000, n)
    frame = pl.DataFrame(
        {
            "click_id": [f"c{i:09d}" for i in range(n)],
            "ts": pl.Series(ts).cast(pl.Datetime("us", "UTC")),
            "link": np.char.add("link:", links.astype(str)),
            "campaign_id": (links % 50).astype(np.int64),
            "influencer_id": links.astype(np.int64),
            "visitor_key": np.char.add("v:", visitors.astype(str)),
            "ip_prefix": np.char.add(np.char.add("p", prefixes.astype(str)), "/24"),
            "asn": rng.choice([3215, 12322, 15557, 5410], n).astype(np.int64),
            "device": rng.choice(
                ["Safari/iOS/mobile", "Chrome/Android/mobile", "Chrome/Windows/desktop"], n
            ),
            "verdict": np.where(rng.random(n) < 0.85, "valid", "invalid"),
            "reach": rng.integers(500, 200_000, n).astype(np.int64),
        }
    )
    # Inject: a ring of 20 visitors each clicking the posts of 8 influencers of campaign 3,
    # each post within the hour after it went out (lockstep).
    ring_rows = min(160, n // 100)
    idx = rng.choice(n, ring_rows, replace=False)
    pos = np.arange(ring_rows)
    ring = pl.DataFrame(
        {
            "row": idx.astype(np.uint32),
            "ring_visitor": np.char.add("v:ring", (pos % 20).astype(str)),
            "ring_influencer": (900_000 + pos // 20).astype(np.int64),
            "ring_ts": start
            + (pos // 20) * 3_600 * 10**6
            + rng.integers(0, 3_600 * 10**6, pos.size),
        }
    )
    frame = (
        frame.with_row_index("row")
        .join(ring, on="row", how="left")
        .with_columns(
            pl.coalesce("ring_visitor", "visitor_key").alias("visitor_key"),
            pl.when(pl.col("ring_visitor").is_not_null())
            .then(pl.lit(3, pl.Int64))
            .otherwise(pl.col("campaign_id"))
            .alias("campaign_id"),
            pl.coalesce("ring_influencer", "influencer_id").alias("influencer_id"),
            pl.when(pl.col("ring_visitor").is_not_null())
            .then(pl.lit("link:") + pl.col("ring_influencer").cast(pl.Utf8))
            .otherwise(pl.col("link"))
            .alias("link"),
            pl.when(pl.col("ring_visitor").is_not_null())
            .then(pl.col("ring_ts").cast(pl.Datetime("us", "UTC")))
            .otherwise(pl.col("ts"))
            .alias("ts"),
        )
        .drop("ring_visitor", "ring_influencer", "ring_ts")
    )
    # A farm subnet: 200 clicks of hour 5 moved to one /24; a burst: 300 clicks on one link
    # inside minute 12:00.
    hour5 = frame.filter(pl.col("ts").dt.hour() == 5)["row"].head(200).to_list()
    minute = pl.lit(datetime(2025, 11, 17, 12, 0, tzinfo=UTC)).dt.cast_time_unit("us")
    burst_rows = list(range(n // 2, n // 2 + min(300, n // 100)))
    frame = frame.with_columns(
        pl.when(pl.col("row").is_in(hour5))
        .then(pl.lit("p-farm/24"))
        .otherwise(pl.col("ip_prefix"))
        .alias("ip_prefix"),
        pl.when(pl.col("row").is_in(burst_rows))
        .then(pl.lit("link:burst"))
        .otherwise(pl.col("link"))
        .alias("link"),
        pl.when(pl.col("row").is_in(burst_rows))
        .then(minute + pl.duration(milliseconds=pl.col("row") % 59_000))
        .otherwise(pl.col("ts"))
        .alias("ts"),
        pl.when(pl.col("row").is_in(burst_rows))
        .then(pl.lit(2000, pl.Int64))
        .otherwise(pl.col("reach"))
        .alias("reach"),
    )
    return frame.drop("row")
