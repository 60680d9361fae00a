"""State keys computed as columns equal the per-click keys, whatever the strings look like."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.validation.enrich.ip import parse_ip
from fairclick.validation.rules.windows import KeyMemo, click_keys

from . import reference_windows as reference


@dataclass
class Columns:
    """The columns `click_keys` reads (an `EnrichedBatch` stand-in with arbitrary strings)."""

    ts_us: list[int]
    parsed_ip: list[Any]
    ip_hash: list[str]
    visitor_key: list[str]
    alt_key: list[str]
    scope: list[str]

    by_row: bool = False  # spread address and pair keys by row, as the engine's batch does

    def __len__(self) -> int:
        return len(self.ts_us)

    def _rows(self, by: str) -> tuple[list[Any], np.ndarray]:
        """`EnrichedBatch`'s rows: of equal (address prefix, hash) or equal cookie-less key
        (what the keys are functions of), or one per click; the clicks of each row."""
        if by == "ip":
            values = [
                (p and p.prefix, h) for p, h in zip(self.parsed_ip, self.ip_hash, strict=True)
            ]
        else:
            values = list(self.alt_key)
        if not self.by_row:
            return list(range(len(self))), np.arange(len(self))
        row_of = {v: j for j, v in enumerate(dict.fromkeys(values))}
        return [values.index(v) for v in row_of], np.array([row_of[v] for v in values], np.intp)

    @property
    def addresses(self) -> list[Any]:
        return [self.parsed_ip[i] for i in self._rows("ip")[0]]

    @property
    def address_hashes(self) -> list[str]:
        return [self.ip_hash[i] for i in self._rows("ip")[0]]

    @property
    def pair_alts(self) -> list[str]:
        return [self.alt_key[i] for i in self._rows("pair")[0]]

    def spread(self, by: str, values: np.ndarray) -> np.ndarray:
        """`EnrichedBatch.spread`: a value per row, spread over the clicks."""
        return values[self._rows(by)[1]]

    def parsed(self, i: int) -> Any:
        """`EnrichedBatch.parsed`: click i's parsed address."""
        return self.parsed_ip[i]

    def hashed(self, i: int) -> str:
        """`EnrichedBatch.hashed`: click i's address hash."""
        return self.ip_hash[i]


hex16 = st.text("0123456789abcdefABCDEF", min_size=16, max_size=16)
digest = st.builds(lambda a, b: a + b, hex16, st.text("0123456789abcdef", max_size=16))
near_digest = st.one_of(
    st.builds(lambda d: "h:" + d, digest),  # the real shape when 32 long
    st.builds(lambda d: "h:" + d + "\x00", digest),
    st.builds(lambda d, x: "h:" + d[:15] + x + d[16:], digest, st.sampled_from("g _+- é")),
    st.builds(lambda d: "H:" + d, digest),
    st.just("h:" + "0" * 32),  # a zero digest: key 1
    st.builds(lambda t: "v:" + t, st.text(max_size=12)),
    st.text(max_size=40),
)
ip_text = st.one_of(
    st.just(""),
    digest,
    st.builds(lambda d: d + "é", digest),
    st.builds(lambda d: " " + d, digest),  # int(…, 16) takes surrounding blanks
    st.text("0123456789abcdef", min_size=1, max_size=15),
)
prefix = st.one_of(st.none(), st.sampled_from(["90.12.4.7", "2a01:e0a:1d4:5e10::9", "8.8.8.8"]))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            near_digest, near_digest, ip_text, prefix, st.sampled_from(["link:1", "path:/x"])
        ),
        min_size=1,
        max_size=12,
    ),
    ts=st.integers(946_684_800_000_000, 4_000_000_000_000_000),
    by_row=st.booleans(),
    cookieless=st.booleans(),
)
def test_key_columns_equal_per_click_keys(
    rows: list[tuple[Any, ...]], ts: int, by_row: bool, cookieless: bool
) -> None:
    alt_key = [a for _, a, _, _, _ in rows]
    batch = Columns(
        ts_us=[ts + i for i in range(len(rows))],
        parsed_ip=[parse_ip(p) if p else None for _, _, _, p, _ in rows],
        ip_hash=[ip for _, _, ip, _, _ in rows],
        # No click with a cookie: the engine's batch holds one list for both keys.
        visitor_key=alt_key if cookieless else [v for v, _, _, _, _ in rows],
        alt_key=alt_key,
        scope=[s for *_, s in rows],
        by_row=by_row,
    )
    try:
        expected = reference.click_keys(batch)  # type: ignore[arg-type]
    except ValueError:  # `h:` + 32 characters that are not hex: both refuse it
        with pytest.raises(ValueError):
            click_keys(batch, KeyMemo())  # type: ignore[arg-type]
        return
    memo = KeyMemo()
    for _ in range(2):  # a cold then a warm memo
        got = click_keys(batch, memo)  # type: ignore[arg-type]
        columns = zip(
            got.preview.tolist(),
            got.fanout.tolist(),
            got.dedupe_visitor.tolist(),
            got.dedupe_alt.tolist(),
            got.rate_visitor.tolist(),
            got.rate_ip.tolist(),
            got.rate_subnet.tolist(),
            strict=True,
        )
        assert [reference.ClickKeys(*c) for c in columns] == expected
        every = {key for keys in expected for key in dataclasses.astuple(keys) if key}
        assert got.distinct().tolist() == sorted(every)
        assert got.has_ip.tolist() == [bool(ip) for ip in batch.ip_hash]
        assert got.ts_us.tolist() == batch.ts_us
