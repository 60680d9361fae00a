"""IP enrichment: /24-/48 prefix, keyed hash, and IP → (ASN, owner, country) by binary search.

Ranges are held as sorted integer arrays: IPv4 as uint32, IPv6 as (high, low) uint64 pairs
whose lexicographic order is that of the 128-bit address. A lookup is one `searchsorted` per
batch, never a scan. Data: `ip_ranges.npz` in the data directory (built by
`fairclick data update` from @ip-location-db) when present, else the small range file shipped
in the package (`data/fallback_ranges.csv`, a few real networks for tests and fresh machines).
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fairclick.validation.data import RANGES_FILE

_NO_ASN = 0
_V4_MAPPED = b"\x00" * 10 + b"\xff\xff"


@dataclass(frozen=True, slots=True)
class IpInfo:
    """What the range data says about one address (asn 0 / country "" when unknown)."""

    asn: int
    as_org: str
    country: str


class ParsedIp(NamedTuple):
    """An address split for lookups: version, integer value, prefix text. (A named tuple: one
    is built per new address of every batch, several times cheaper than a frozen dataclass.)"""

    version: int
    value: int
    prefix: str


_UNKNOWN = IpInfo(_NO_ASN, "", "")
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = re.compile(r"\.".join([_OCTET] * 4))  # decimal octets 0-255 without leading zeros
_V4_SHAPE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")


def parse_ip(ip: str) -> ParsedIp | None:
    """The address as integer and its /24 (IPv4) or /48 (IPv6) prefix; None if malformed.
    IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4."""
    if _V4.fullmatch(ip) is not None:
        # Octets without leading zeros: the text before the last dot is the prefix as written.
        return ParsedIp(
            4, int.from_bytes(socket.inet_aton(ip), "big"), ip[: ip.rindex(".")] + ".0/24"
        )
    if _V4_SHAPE.fullmatch(ip):  # dotted quad out of range or with leading zeros
        return None
    try:
        packed = socket.inet_pton(socket.AF_INET6, ip.strip())
    except (OSError, ValueError):
        return None
    if packed[:12] == _V4_MAPPED:
        a, b, c, d = packed[12:]
        return ParsedIp(4, (a << 24) | (b << 16) | (c << 8) | d, f"{a}.{b}.{c}.0/24")
    groups = [int.from_bytes(packed[i : i + 2], "big") for i in (0, 2, 4)]
    while groups and groups[-1] == 0:
        groups.pop()
    prefix = (":".join(f"{g:x}" for g in groups) + "::/48") if groups else "::/48"
    return ParsedIp(6, int.from_bytes(packed, "big"), prefix)


def ip_hash(ip: str, secret_key: str) -> str:
    """Keyed hash of the full address: HMAC-SHA256 with the platform secret, 32 hex chars.
    Same definition as `fairclick.influencers.service.ip_hash`, so session hashes match."""
    pads = _PADS.get(secret_key)
    if pads is None:
        pads = _PADS[secret_key] = _hmac_pads(secret_key.encode())
    # RFC 2104 by hand: the same bytes as `hmac.new(key, ip, sha256)`, without building an HMAC
    # object per address (this runs once per new address of every batch).
    inner = pads[0].copy()
    inner.update(ip.encode())
    outer = pads[1].copy()
    outer.update(inner.digest())
    return outer.hexdigest()[:32]


def _hmac_pads(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states after the key XOR ipad and the key XOR opad blocks (RFC 2104)."""
    block = 64  # SHA-256 block size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in key)),
        hashlib.sha256(bytes(b ^ 0x5C for b in key)),
    )


_PADS: dict[str, tuple[hashlib._Hash, hashlib._Hash]] = {}


class IpRanges:
    """Sorted, non-overlapping ranges with their ASN index; `lookup` answers a whole batch."""

    def __init__(
        self,
        v4_start: np.ndarray,
        v4_end: np.ndarray,
        v4_asn: np.ndarray,
        v4_country: np.ndarray,
        v6_start: np.ndarray,
        v6_end: np.ndarray,
        v6_asn: np.ndarray,
        v6_country: np.ndarray,
        org_asn: np.ndarray,
        org_name: Sequence[str],
        source: str,
    ) -> None:
        self.v4_start, self.v4_end = v4_start.astype(np.uint32), v4_end.astype(np.uint32)
        self.v4_asn, self.v4_country = v4_asn.astype(np.uint32), v4_country
        # IPv6 bounds as structured (hi, lo) keys: searchsorted on a void view keeps order.
        self.v6_start, self.v6_end = _pairs(v6_start), _pairs(v6_end)
        self.v6_asn, self.v6_country = v6_asn.astype(np.uint32), v6_country
        self.orgs = dict(zip(org_asn.tolist(), org_name, strict=True))
        self.source = source
        # One IpInfo per (asn, country) met so far: bounded by the ranges themselves.
        self._infos: dict[tuple[int, str], IpInfo] = {}

    @property
    def size(self) -> int:
        """Number of ranges held (both families)."""
        return int(self.v4_start.size + self.v6_start.shape[0])

    def lookup(self, parsed: Sequence[ParsedIp | None]) -> list[IpInfo]:
        """One `IpInfo` per address (unknown or malformed → asn 0, country ""). Equal answers
        are one shared (frozen) object."""
        out = [_UNKNOWN] * len(parsed)
        idx4: list[int] = []
        idx6: list[int] = []
        values4: list[int] = []
        values6: list[int] = []
        for i, p in enumerate(parsed):
            if p is None:
                continue
            if p.version == 4:
                idx4.append(i)
                values4.append(p.value)
            else:
                idx6.append(i)
                values6.append(p.value)
        if idx4 and self.v4_start.size:
            values = np.fromiter(values4, np.uint32, len(values4))
            pos = np.searchsorted(self.v4_start, values, side="right") - 1
            ok = (pos >= 0) & (values <= self.v4_end[np.maximum(pos, 0)])
            self._fill(out, idx4, pos, ok, self.v4_asn, self.v4_country)
        if idx6 and self.v6_start.shape[0]:
            # Big-endian 16-byte keys, ordered like the 128-bit integers (see `_pairs`).
            raw = b"".join(v.to_bytes(16, "big") for v in values6)
            keys = np.frombuffer(raw, dtype="S16")
            pos = np.searchsorted(self.v6_start, keys, side="right") - 1
            ends = self.v6_end[np.maximum(pos, 0)]
            ok = (pos >= 0) & (keys <= ends)
            self._fill(out, idx6, pos, ok, self.v6_asn, self.v6_country)
        return out

    def _fill(
        self,
        out: list[IpInfo],
        idx: list[int],
        pos: np.ndarray,
        ok: np.ndarray,
        asns: np.ndarray,
        countries: np.ndarray,
    ) -> None:
        found = np.flatnonzero(ok)
        if not found.size:
            return
        rows = pos[found]
        asn_list = asns[rows].tolist()
        country_list = countries[rows].tolist() if countries.size else [""] * found.size
        infos = self._infos
        for j, asn, country in zip(found.tolist(), asn_list, country_list, strict=True):
            info = infos.get((asn, country))
            if info is None:
                info = infos[(asn, country)] = IpInfo(asn, self.orgs.get(asn, ""), country)
            out[idx[j]] = info


def _pairs(array: np.ndarray) -> np.ndarray:
    """(n, 2) uint64 → a 1-D array of big-endian 16-byte keys ordered like the 128-bit ints."""
    if array.size == 0:
        return np.zeros(0, dtype="S16")
    big = np.ascontiguousarray(array.astype(">u8").reshape(-1, 2))
    return big.view("S16").reshape(-1)


def ranges_from_rows(rows: Sequence[tuple[int, int, int, str, str]], source: str) -> IpRanges:
    """Build the arrays from (start, end, asn, as_org, country) rows with integer bounds."""
    v4 = sorted(r for r in rows if r[1] <= 0xFFFFFFFF)
    v6 = sorted(r for r in rows if r[1] > 0xFFFFFFFF)
    orgs: dict[int, str] = {}
    for r in rows:
        orgs.setdefault(r[2], r[3])
    split = [[r[0] >> 64, r[0] & 0xFFFFFFFFFFFFFFFF] for r in v6]
    split_end = [[r[1] >> 64, r[1] & 0xFFFFFFFFFFFFFFFF] for r in v6]
    return IpRanges(
        np.array([r[0] for r in v4], np.uint32),
        np.array([r[1] for r in v4], np.uint32),
        np.array([r[2] for r in v4], np.uint32),
        np.array([r[4] for r in v4], "U2"),
        np.array(split, np.uint64).reshape(-1, 2),
        np.array(split_end, np.uint64).reshape(-1, 2),
        np.array([r[2] for r in v6], np.uint32),
        np.array([r[4] for r in v6], "U2"),
        np.array(list(orgs), np.uint32),
        list(orgs.values()),
        source,
    )


def load_fallback_ranges() -> IpRanges:
    """The small range file shipped with the package (real networks, see NOTICE)."""
    text = resources.files("fairclick.validation.data").joinpath("fallback_ranges.csv")
    rows = []
    with text.open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            start = int(ipaddress.ip_address(rec["start"]))
            end = int(ipaddress.ip_address(rec["end"]))
            rows.append((start, end, int(rec["asn"]), rec["as_org"], rec["country"]))
    return ranges_from_rows(rows, "fairclick-fallback")


def save_ranges(ranges: IpRanges, path: Path) -> None:
    """Write the arrays as one compressed .npz (what `data update` produces)."""
    v6s = ranges.v6_start.view(">u8").reshape(-1, 2).astype(np.uint64)
    v6e = ranges.v6_end.view(">u8").reshape(-1, 2).astype(np.uint64)
    np.savez_compressed(
        path,
        v4_start=ranges.v4_start,
        v4_end=ranges.v4_end,
        v4_asn=ranges.v4_asn,
        v4_country=ranges.v4_country,
        v6_start=v6s,
        v6_end=v6e,
        v6_asn=ranges.v6_asn,
        v6_country=ranges.v6_country,
        org_asn=np.array(list(ranges.orgs), np.uint32),
        org_name=np.array(list(ranges.orgs.values()), dtype=object).astype("U"),
        source=np.array(ranges.source),
    )


def load_ranges(data_dir: Path | None) -> IpRanges:
    """The downloaded ranges from `data_dir` when installed, else the shipped fallback."""
    if data_dir is not None and (data_dir / RANGES_FILE).exists():
        with np.load(data_dir / RANGES_FILE, allow_pickle=False) as z:
            return IpRanges(
                z["v4_start"],
                z["v4_end"],
                z["v4_asn"],
                z["v4_country"],
                z["v6_start"],
                z["v6_end"],
                z["v6_asn"],
                z["v6_country"],
                z["org_asn"],
                [str(s) for s in z["org_name"]],
                str(z["source"]),
            )
    return load_fallback_ranges()
