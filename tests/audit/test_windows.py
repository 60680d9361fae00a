"""The audit's memory: kept rows on disk, the retro-analysis in windows of the hold period,
and the reader one chunk ahead on a thread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from fairclick.audit.kept import KeptRows, SpillError
from fairclick.audit.readers import read_ahead
from fairclick.audit.report import write_reports
from fairclick.audit.service import COMPACT, AuditOptions, retro_windows, run_audit
from fairclick.cli.main import app
from fairclick.validation.engine import Validator
from tests.audit.test_decisions import FIREFOX, _read_decisions

T0 = datetime(2025, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)


def test_a_log_within_the_span_is_one_window() -> None:
    assert retro_windows(None, None, 14 * DAY) == []
    assert retro_windows(T0, T0, 14 * DAY) == [(T0, T0 + US)]
    last = T0 + 14 * DAY - US
    assert retro_windows(T0, last, 14 * DAY) == [(T0, T0 + 14 * DAY)]


def test_a_longer_log_is_windows_of_the_span_every_half_span() -> None:
    last = T0 + 42 * DAY - timedelta(hours=1)
    windows = retro_windows(T0, last, 14 * DAY)
    assert windows == [
        (T0, T0 + 14 * DAY),
        (T0 + 7 * DAY, T0 + 21 * DAY),
        (T0 + 14 * DAY, T0 + 28 * DAY),
        (T0 + 21 * DAY, T0 + 35 * DAY),
        (T0 + 28 * DAY, last + US),
    ]
    # every stretch of half a window lies whole inside one window
    for start in (T0 + k * timedelta(hours=5) for k in range(200)):
        end = min(start + 7 * DAY, last)
        assert any(since <= start and end < until for since, until in windows), start
    # a last request on a window's end opens one more
    assert retro_windows(T0, T0 + 42 * DAY, 14 * DAY)[-1] == (T0 + 35 * DAY, T0 + 42 * DAY + US)


def _rows(start: datetime, n: int, line0: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "file_no": [0] * n,
            "line_no": list(range(line0, line0 + n)),
            "ts": [start + k * timedelta(hours=1) for k in range(n)],
            "path": [f"/c/{k % 3}" for k in range(n)],
            "user_agent": ["ua"] * n,
            "referer": [""] * n,
            "visitor_key": [f"h:{k}" for k in range(n)],
            "ip_prefix": ["90.1.2.0/24"] * n,
            "asn": [3215] * n,
            "as_org": ["Orange"] * n,
            "device": ["Firefox/Linux/desktop"] * n,
            "invalid": [False] * n,
            "realtime": [""] * n,
        }
    ).cast(COMPACT)  # type: ignore[arg-type]


def test_kept_rows_read_back_by_time_from_the_overlapping_batches_only(tmp_path: Path) -> None:
    with KeptRows(COMPACT, tmp_path) as kept:
        for day in range(3):
            kept.append(_rows(T0 + day * DAY, 24, line0=100 * day))
        assert kept.rows == 72
        assert (kept.first, kept.last) == (T0, T0 + 3 * DAY - timedelta(hours=1))
        # the third batch's file is gone: a read of the first two days does not open it
        kept.parts[2].path.unlink()
        got = kept.between(T0 + timedelta(hours=20), T0 + timedelta(hours=30))
        assert got["line_no"].to_list() == [20, 21, 22, 23, 100, 101, 102, 103, 104, 105]
        assert got.schema == pl.Schema(COMPACT)
        folder = kept.folder
        assert folder.parent == tmp_path
    assert not folder.exists()


def test_kept_rows_are_removed_when_the_audit_fails(tmp_path: Path) -> None:
    def audit() -> None:
        with KeptRows(COMPACT, tmp_path) as kept:
            kept.append(_rows(T0, 5, 0))
            raise RuntimeError("the engine failed")

    with pytest.raises(RuntimeError, match="the engine failed"):
        audit()
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_spill_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SpillError, match="cannot make a folder for the audited rows"):
        KeptRows(COMPACT, blocker).__enter__()
    log = tmp_path / "access.log"
    log.write_text(_exchanger(T0, "90.55.1.1"))
    result = CliRunner().invoke(
        app, ["audit", str(log), "--out", str(tmp_path / "o"), "--spill-dir", str(blocker)]
    )
    assert result.exit_code == 1
    assert "cannot make a folder for the audited rows" in result.output
    assert "Traceback" not in result.output


def _exchanger(start: datetime, ip: str) -> str:
    """One person visiting twelve paths in an hour: a lone click exchanger (valid for the
    engine, `click_ring` for the retro-analysis)."""
    return "".join(
        f"{ip} - - [{(start + timedelta(minutes=5 * k)).strftime('%d/%b/%Y:%H:%M:%S +0000')}]"
        f' "GET /c/p{k:02d} HTTP/1.1" 302 0 "-" "{FIREFOX}"\n'
        for k in range(12)
    )


def test_a_long_log_is_analysed_in_windows_and_the_spill_is_removed(tmp_path: Path) -> None:
    # Two exchangers forty days apart, with a quiet reader in between: three windows of 14
    # days at least; each exchanger is found in its own window.
    quiet = "".join(
        f"90.12.9.9 - - [{(T0 + k * DAY).strftime('%d/%b/%Y:%H:%M:%S +0000')}]"
        f' "GET /c/home HTTP/1.1" 302 0 "-" "{FIREFOX}"\n'
        for k in range(0, 41, 5)
    )
    log = tmp_path / "long.log"
    log.write_text(_exchanger(T0, "90.55.1.1") + quiet + _exchanger(T0 + 40 * DAY, "90.66.1.1"))
    spill = tmp_path / "spill"
    out = tmp_path / "d.jsonl"
    options = AuditOptions(retro_days=14, spill_dir=spill, decisions=out)
    summary = run_audit([log], options, Validator(secret_key="k" * 20))
    assert len(retro_windows(T0, T0 + 40 * DAY, 14 * DAY)) > 2
    rows = _read_decisions(out)
    ring = rows.filter(pl.col("path").str.starts_with("/c/p"))
    assert ring.height == 24
    assert ring["retro_reasons"].to_list() == [["click_ring"]] * 24
    assert rows.filter(pl.col("path") == "/c/home")["verdict"].unique().to_list() == ["valid"]
    assert {r.reason: r.count for r in summary.by_reason} == {"click_ring": 24}
    assert summary.retro_windows == {"days": 14, "windows": 5}
    html, _ = write_reports(summary, [str(log)], tmp_path / "report")
    assert "sought in 5 windows of 14 days, one every 7 days" in html.read_text()
    assert list(spill.iterdir()) == []


def test_the_reader_runs_ahead_and_hands_its_errors_over() -> None:
    def numbers() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("line 3 is broken")

    got: list[int] = []
    with pytest.raises(ValueError, match="line 3 is broken"):
        got.extend(read_ahead(numbers()))
    assert got == [1, 2]


def test_a_reader_left_early_is_closed() -> None:
    closed = []

    def numbers() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    ahead = read_ahead(numbers())
    assert next(ahead) == 0
    ahead.close()
    assert closed == [True]
