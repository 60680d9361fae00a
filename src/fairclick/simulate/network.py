"""Where simulated clients connect from: real prefixes of residential ISPs, mobile carriers,
hosting providers and the networks of crawlers and social platforms (data/ip_ranges.csv)."""

from __future__ import annotations

import csv
import ipaddress
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import polars as pl


@dataclass(frozen=True, slots=True)
class Prefix:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    asn: int
    owner: str
    country: str
    kind: str
    weight: float


@cache
def prefixes() -> dict[str, tuple[Prefix, ...]]:
    """The shipped ranges grouped by pool name."""
    text = (resources.files("fairclick.simulate") / "data" / "ip_ranges.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    pools: dict[str, list[Prefix]] = {}
    for row in rows:
        pools.setdefault(row["pool"], []).append(
            Prefix(
                ipaddress.ip_network(row["cidr"]),
                int(row["asn"]),
                row["owner"],
                row["country"],
                row["kind"],
                float(row["weight"]),
            )
        )
    return {name: tuple(items) for name, items in pools.items()}


def pool(name: str) -> tuple[Prefix, ...]:
    """The prefixes of one pool; ValueError naming the known pools when it does not exist."""
    known = prefixes()
    if name not in known:
        raise ValueError(f"unknown IP pool {name!r} (known: {', '.join(sorted(known))})")
    return known[name]


def is_hosting(name: str) -> bool:
    """Whether a pool is a hosting/cloud network (a perfect validator says `datacenter`)."""
    return all(p.kind == "hosting" for p in pool(name))


def sample_ipv4(rng: np.random.Generator, names: dict[str, float], n: int) -> np.ndarray:
    """`n` IPv4 addresses as uint32, pools chosen by share, prefixes by weight, hosts uniform
    (never the network or broadcast address of a /24, which people's devices do not get)."""
    starts, sizes, weights = [], [], []
    total = sum(names.values())
    for name, share in names.items():
        items = [p for p in pool(name) if p.network.version == 4]
        pool_weight = sum(p.weight for p in items)
        for p in items:
            starts.append(int(p.network.network_address))
            sizes.append(p.network.num_addresses)
            weights.append(share / total * p.weight / pool_weight)
    probs = np.asarray(weights) / np.sum(weights)
    which = rng.choice(len(starts), size=n, p=probs)
    offset = (rng.random(n) * np.asarray(sizes)[which]).astype(np.uint64)
    ips = np.asarray(starts, dtype=np.uint64)[which] + offset
    last = ips & 0xFF
    ips = np.where(last == 0, ips + 1, ips)
    ips = np.where(last == 255, ips - 1, ips)
    return ips.astype(np.uint32)


def sample_ipv6(rng: np.random.Generator, names: dict[str, float], n: int) -> list[str]:
    """`n` IPv6 addresses (strings) from the pools' IPv6 prefixes, random interface ids."""
    items = [p for name in names for p in pool(name) if p.network.version == 6]
    if not items or n == 0:
        return []
    which = rng.integers(0, len(items), size=n)
    high = rng.integers(0, 2**62, size=n, dtype=np.int64)
    low = rng.integers(0, 2**62, size=n, dtype=np.int64)
    out = []
    for w, h, lo in zip(which.tolist(), high.tolist(), low.tolist(), strict=True):
        net = items[w].network
        span = net.num_addresses
        host = ((h << 62) | lo) % span
        out.append(str(net.network_address + host))
    return out


def subnets(rng: np.random.Generator, names: dict[str, float], n: int) -> np.ndarray:
    """`n` distinct-ish /24 networks (uint32 base addresses) drawn from the pools."""
    return sample_ipv4(rng, names, n) & np.uint32(0xFFFFFF00)


def ipv4_strings(ips: np.ndarray) -> np.ndarray:
    """Dotted-quad strings for uint32 addresses, vectorised."""
    s = pl.Series(ips.astype(np.int64))
    frame = pl.DataFrame({"a": s // 16777216, "b": (s // 65536) % 256, "c": (s // 256) % 256})
    frame = frame.with_columns(d=s % 256)
    out = frame.select(
        pl.concat_str([pl.col(c).cast(pl.Utf8) for c in "abcd"], separator=".").alias("ip")
    )
    return np.array(out["ip"].to_list(), dtype=object)
