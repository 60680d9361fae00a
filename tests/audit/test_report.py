"""Audit summary and report from a decided frame."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from rich.console import Console

from fairclick.audit.report import print_summary, write_reports
from fairclick.audit.summary import summarise

T0 = datetime(2025, 11, 17, 5, tzinfo=UTC)


def _decided() -> pl.DataFrame:
    rows = []
    for i in range(60):
        invalid = i % 3 == 0
        reasons = (
            ["link_preview"] if i % 6 == 0 else (["click_ring", "duplicate"] if invalid else [])
        )
        rows.append(
            {
                "ts": T0 + timedelta(minutes=i),
                "path": "/c/abc?x=1" if i % 2 else "/c/def",
                "ip_prefix": "88.198.1.0/24" if invalid else "90.12.4.0/24",
                "asn": 24940 if invalid else 3215,
                "as_org": "Hetzner Online GmbH" if invalid else "Orange",
                "user_agent": "Twitterbot/1.0" if i % 6 == 0 else "Mozilla/5.0 <script>",
                "referer": "",
                "verdict": "invalid" if invalid else "valid",
                "reasons": reasons,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"ts": pl.Datetime("us", "UTC")})


def test_summary_counts_reasons_classes_and_paths() -> None:
    s = summarise(_decided())
    assert (s.total, s.valid, s.invalid) == (60, 40, 20)
    assert {r.reason: r.count for r in s.by_reason} == {
        "link_preview": 10,
        "duplicate": 10,
        "click_ring": 10,
    }
    assert s.by_class == {"GIVT": 10, "SIVT": 10}
    assert sum(p["valid"] + p["invalid"] for p in s.series) == 60
    assert s.busiest_paths[0]["path"] in {"/c/abc", "/c/def"}
    assert s.top_sources["asns"][0] == {
        "asn": 24940,
        "as_org": "Hetzner Online GmbH",
        "invalid": 20,
    }
    assert "Of 60 requests, 40 (66.7%)" in s.findings


def test_reports_are_self_contained_and_escaped(tmp_path: Path) -> None:
    s = summarise(_decided())
    s.parse = {"lines": 61, "parsed": 60, "malformed": 1, "examples": [("a.log", 7, "<b>x</b>")]}
    html_path, json_path = write_reports(s, ["a.log"], tmp_path / "out")
    html = html_path.read_text()
    assert "<svg" in html
    assert "<script" not in html  # the hostile user agent is escaped
    assert "&lt;script&gt;" in html
    assert "src=" not in html
    assert "href=" not in html  # no external request of any kind
    data = json.loads(json_path.read_text())
    assert data["invalid"] == 20
    assert data["files"] == ["a.log"]
    console = Console(record=True, width=100)
    print_summary(s, console)
    assert "click_ring" in console.export_text()


def test_empty_log() -> None:
    empty = _decided().head(0)
    s = summarise(empty)
    assert s.total == 0
    assert s.findings == "The log holds no request that could be read."


@pytest.mark.parametrize(
    ("span", "bucket"),
    [
        (timedelta(hours=5), "5m"),
        (timedelta(days=2), "1h"),
        (timedelta(days=20), "6h"),
        (timedelta(days=90), "1d"),
    ],
)
def test_series_buckets_are_those_of_group_by_dynamic(span: timedelta, bucket: str) -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    start = datetime(2025, 11, 16, 23, 7, 13, tzinfo=UTC)
    offsets = np.sort(rng.integers(0, int(span.total_seconds() * 1e6), n))
    decided = pl.DataFrame(
        {
            "ts": [start + timedelta(microseconds=int(us)) for us in offsets],
            "path": ["/c/a"] * n,
            "ip_prefix": ["90.1.2.0/24"] * n,
            "asn": [3215] * n,
            "as_org": ["Orange"] * n,
            "user_agent": ["ua"] * n,
            "referer": [""] * n,
            "verdict": rng.choice(["valid", "invalid"], n).tolist(),
            "reasons": [["duplicate"]] * n,
        }
    ).with_columns(pl.when(pl.col("verdict") == "invalid").then(pl.col("reasons")).alias("reasons"))
    summary = summarise(decided.lazy())
    assert summary.bucket == bucket
    reference = decided.group_by_dynamic("ts", every=bucket).agg(
        (pl.col("verdict") == "valid").sum().alias("valid"),
        (pl.col("verdict") == "invalid").sum().alias("invalid"),
    )
    assert summary.series == [
        {"ts": ts.isoformat(), "valid": valid, "invalid": invalid}
        for ts, valid, invalid in reference.iter_rows()
    ]
    assert summary.to_dict() == summarise(decided).to_dict()
