"""`click_ring`'s lockstep pairs, joined on integer codes, equal the pairs of the string join
they replace (same `<` between visitors, same `!=` between networks, nulls kept)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from fairclick.validation.retro.base import valid_only
from fairclick.validation.retro.ring import RingSettings, _lockstep_pairs


def _string_pairs(clicks: pl.DataFrame, settings: RingSettings) -> pl.DataFrame:
    """The join on strings (before codes), over `clicks` as `_lockstep_pairs` builds them."""
    step = int(settings.lockstep.total_seconds() * 1_000_000)
    keys = ["group", "link", "bucket"]
    right = pl.concat(
        [clicks.with_columns(pl.col("bucket") + shift) for shift in (-1, 0, 1)]
    ).rename({"visitor_key": "visitor_key_b", "us": "us_b", "network": "network_b"})
    return (
        clicks.join(right.drop("owner"), on=keys)
        .filter(
            (pl.col("visitor_key") < pl.col("visitor_key_b"))
            & ((pl.col("us") - pl.col("us_b")).abs() < step)
            & (pl.col("network") != pl.col("network_b"))
        )
        .select(["group", "visitor_key", "visitor_key_b", "owner"])
        .unique()
    )


def _clicks(seed: int, n: int = 3000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = int(datetime(2025, 11, 17, tzinfo=UTC).timestamp() * 1_000_000)
    # visitors with non-ASCII and prefix-sharing keys (byte order), a few null networks
    visitors = np.array(["v:a", "v:ab", "v:b", "k:é", "k:z", "k:Z", "v:a\u00e9", "k:0"])
    prefixes = np.array(["10.0.0.0/24", "10.0.1.0/24", "2001:db8::/48", "", "10.0.2.0/24"])
    links = np.array([f"path:/c/{k}" for k in range(60)])
    ts = start + rng.integers(0, 6 * 3600, n) * 1_000_000
    network = pl.Series(prefixes[rng.integers(0, len(prefixes), n)])
    return pl.DataFrame(
        {
            "click_id": [f"{k:014d}" for k in range(n)],
            "ts": pl.Series(ts).cast(pl.Datetime("us", "UTC")),
            "link": links[rng.integers(0, len(links), n)],
            "campaign_id": pl.Series([None] * n, dtype=pl.Int64),
            "influencer_id": pl.Series([None] * n, dtype=pl.Int64),
            "visitor_key": visitors[rng.integers(0, len(visitors), n)],
            "ip_prefix": network.set(pl.Series(rng.random(n) < 0.02), None),
            "asn": pl.Series([1] * n, dtype=pl.Int64),
            "device": ["Chrome/Android/mobile"] * n,
            "verdict": ["valid"] * n,
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("busy_link", [40, 1000])
def test_coded_pairs_equal_string_pairs(seed: int, busy_link: int) -> None:
    settings = RingSettings(busy_link=busy_link)
    valid = valid_only(_clicks(seed)).with_columns(pl.lit(-1, pl.Int64).alias("group"))
    seen: list[pl.DataFrame] = []
    original = pl.DataFrame.join

    def spy(self: pl.DataFrame, other: pl.DataFrame, *args: object, **kwargs: object) -> object:
        # the clicks as `_lockstep_pairs` joins them, before their codes
        if kwargs.get("how") == "anti" and kwargs.get("on") == ["group", "link", "bucket"]:
            out = original(self, other, *args, **kwargs)  # type: ignore[arg-type]
            seen.append(out)
            return out
        return original(self, other, *args, **kwargs)  # type: ignore[arg-type]

    pl.DataFrame.join = spy  # type: ignore[method-assign]
    try:
        coded = _lockstep_pairs(valid, settings)
    finally:
        pl.DataFrame.join = original  # type: ignore[method-assign]
    expected = _string_pairs(seen[0], settings)
    assert expected.height > 0
    assert coded.schema == expected.schema
    assert coded.sort(pl.all()).equals(expected.sort(pl.all()))
