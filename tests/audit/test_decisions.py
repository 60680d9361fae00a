"""The audit's decisions file (`--decisions`) and the column-wise events it is built from."""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fairclick.audit.decisions import DECISION_COLUMNS, DecisionsFileError, decisions_format
from fairclick.audit.events import frame_columns, frame_events
from fairclick.audit.readers import ParseStats, read_logs
from fairclick.audit.service import AuditOptions, run_audit
from fairclick.cli.main import app
from fairclick.domain.click import ClickEvent, build_events
from fairclick.validation.columns import ClickColumns
from fairclick.validation.engine import Validator
from tests.audit.test_audit import _log

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

_text = st.text(max_size=12)
_rows = st.fixed_dictionaries(
    {
        "click_id": _text,
        "ts": st.datetimes(timezones=st.just(UTC)),
        "code": _text,
    },
    optional={
        "method": _text,
        "ip": _text,
        "user_agent": _text,
        "headers": st.dictionaries(_text, _text, max_size=2),
        "visitor_id": st.none() | _text,
        "status": st.integers(0, 999),
        "path": _text,
        "link_id": st.none() | st.integers(0, 10**9),
    },
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_rows, max_size=6), keys=st.sets(st.sampled_from(["method", "ip", "path"])))
def test_events_built_by_column_equal_the_dataclass(rows: list[dict], keys: set[str]) -> None:
    # Columns present in some rows only are given for every row (with the row's value or the
    # field's default), absent columns are left to the default: both must equal __init__.
    defaults = {f.name: f.default for f in dataclasses.fields(ClickEvent)}
    names = {"click_id", "ts", "code", *keys, *(k for row in rows for k in row)}
    columns = {
        name: [row.get(name, defaults.get(name)) for row in rows]
        for name in names
        if name != "headers"
    }
    if any("headers" in row for row in rows):
        columns["headers"] = [row.get("headers", {}) for row in rows]
    built = build_events(columns, len(rows))
    expected = [ClickEvent(**{k: v[i] for k, v in columns.items()}) for i in range(len(rows))]
    assert built == expected
    assert [hash(e.click_id) for e in built] == [hash(e.click_id) for e in expected]


def test_events_skip_nothing_that_init_does() -> None:
    # build_events bypasses __init__: a check added to ClickEvent must be added there too.
    assert not hasattr(ClickEvent, "__post_init__"), "build_events must run __post_init__"


def test_events_need_the_required_columns() -> None:
    with pytest.raises(ValueError, match="code"):
        build_events({"click_id": ["a"], "ts": [datetime.now(UTC)]}, 1)


def test_frame_events_read_headers_and_the_code(tmp_path: Path) -> None:
    path = tmp_path / "clicks.jsonl"
    path.write_text(
        '{"ts": "2025-11-17T05:08:01Z", "path": "/c/abc?utm=1", "ip": "90.12.4.7", '
        '"headers": {"Sec-Fetch-Mode": "navigate"}, "visitor_id": "v1"}\n'
        '{"ts": "2025-11-17T05:08:02Z", "code": "xyz", "ip": "90.12.4.8"}\n'
    )
    frame = pl.concat(list(read_logs([path], stats=ParseStats())))
    first, second = frame_events(frame, {str(path): 3})
    assert first.click_id == "03000000000001"
    assert first.code == "abc"
    assert dict(first.headers) == {"sec-fetch-mode": "navigate"}
    assert first.visitor_id == "v1"
    assert second.code == "xyz"
    assert dict(second.headers) == {}
    assert second.visitor_id is None


def test_frame_columns_equal_the_events_columns(tmp_path: Path) -> None:
    """What the audit hands the engine (columns straight from the frame) is what the events of
    the same frame would give it, on a combined log and on JSONL with headers and cookies."""
    jsonl = tmp_path / "clicks.jsonl"
    jsonl.write_text(
        '{"ts": "2025-11-17T05:08:01.250Z", "path": "/c/abc?utm=1", "ip": "90.12.4.7", '
        '"headers": {"Sec-Fetch-Mode": "navigate"}, "visitor_id": "v1", "method": "head"}\n'
        '{"ts": "2025-11-17T05:08:00Z", "code": "xyz", "ip": "not-an-ip", '
        '"accept_language": "fr", "headers": {"Sec-Fetch-Mode": "navigate"}}\n'
        '{"ts": 1763356081.5, "path": "/c/abc", "ip": "2a01:e0a::1", "user_agent": "curl/8"}\n'
    )
    for path in (jsonl, _log(tmp_path)):
        frame = pl.concat(list(read_logs([path], stats=ParseStats())))
        index = {str(path): 1}
        got = frame_columns(frame, index)
        want = ClickColumns.of_events(frame_events(frame, index))
        assert got.events is None and len(got) == frame.height
        assert dataclasses.replace(got, events=want.events) == want


def _ring_log(tmp_path: Path) -> Path:
    """The test log, then one person visiting twelve paths in an hour (a lone click exchanger:
    valid for the engine, re-verdicted `click_ring` by the retro-analysis)."""
    path = _log(tmp_path)
    start = datetime(2025, 11, 17, 9, tzinfo=UTC)
    lines = [
        f"90.55.1.1 - - [{(start + timedelta(minutes=5 * k)).strftime('%d/%b/%Y:%H:%M:%S +0000')}]"
        f' "GET /c/p{k:02d} HTTP/1.1" 302 0 "-" "{FIREFOX}"'
        for k in range(12)
    ]
    path.write_text(path.read_text() + "\n".join(lines) + "\n")
    return path


def _read_decisions(path: Path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".csv":
        return pl.read_csv(path, schema_overrides={"ivt_class": pl.String})
    return pl.read_ndjson(path)


@pytest.mark.parametrize("name", ["decisions.jsonl", "decisions.csv", "decisions.parquet"])
def test_decisions_file_one_row_per_request(tmp_path: Path, name: str) -> None:
    log = _ring_log(tmp_path)
    out = tmp_path / "d" / name
    validator = Validator(secret_key="k" * 20)
    summary = run_audit([log], AuditOptions(decisions=out), validator)
    rows = _read_decisions(out)
    assert rows.columns == list(DECISION_COLUMNS)
    assert rows.height == summary.total == 18
    assert set(rows["file"]) == {str(log)}
    # lines as numbered in the file (3, 5, 6 do not parse)
    assert rows["line"].to_list() == [1, 2, 4, *range(8, 23)]
    text = log.read_text().splitlines()
    for line, ip, path in rows.select("line", "ip", "path").iter_rows():
        assert text[line - 1].startswith(ip + " ")
        assert f" {path} HTTP/" in text[line - 1]
    if name.endswith(".csv"):
        rows = rows.with_columns(
            pl.col(c)
            .fill_null("")
            .str.split(";")
            .list.eval(pl.element().filter(pl.element() != ""))
            for c in ("reasons", "retro_reasons")
        )
    by_line = {r["line"]: r for r in rows.iter_rows(named=True)}
    assert by_line[2]["verdict"] == "invalid"
    assert by_line[2]["reasons"][0] == "link_preview"
    assert by_line[2]["ivt_class"] == "GIVT"
    assert by_line[1]["verdict"] == "valid"
    assert by_line[1]["reasons"] == []
    assert by_line[1]["ivt_class"] is None
    ts = by_line[1]["ts"]
    assert (ts if isinstance(ts, datetime) else datetime.fromisoformat(ts)) == datetime(
        2025, 11, 17, 5, 8, 1, tzinfo=UTC
    )
    ring = rows.filter(pl.col("path").str.starts_with("/c/p"))
    assert ring.height == 12
    assert ring["verdict"].unique().to_list() == ["invalid"]
    assert all(r == ["click_ring"] for r in ring["retro_reasons"].to_list())
    assert all(r == ["click_ring"] for r in ring["reasons"].to_list())
    assert ring["ivt_class"].unique().to_list() == ["SIVT"]
    # the file and the summary agree
    invalid = rows.filter(pl.col("verdict") == "invalid")
    assert invalid.height == summary.invalid
    counts = invalid["reasons"].explode().value_counts()
    assert dict(counts.iter_rows()) == {r.reason: r.count for r in summary.by_reason}


def test_decisions_do_not_change_the_summary(tmp_path: Path) -> None:
    log = _ring_log(tmp_path)
    plain = run_audit([log], AuditOptions(), Validator(secret_key="k" * 20))
    written = run_audit(
        [log], AuditOptions(decisions=tmp_path / "d.jsonl"), Validator(secret_key="k" * 20)
    )
    assert plain.to_dict() == written.to_dict()


def test_decisions_follow_the_selection(tmp_path: Path) -> None:
    log = _ring_log(tmp_path)
    out = tmp_path / "d.jsonl"
    options = AuditOptions(
        since=datetime(2025, 11, 17, 9, 10, tzinfo=UTC), path_prefix="/c/p", decisions=out
    )
    summary = run_audit([log], options, Validator(secret_key="k" * 20))
    rows = pl.read_ndjson(out)
    assert rows.height == summary.total == 10
    assert rows["path"].to_list() == [f"/c/p{k:02d}" for k in range(2, 12)]


def test_decisions_format_from_the_extension(tmp_path: Path) -> None:
    assert decisions_format(Path("a.JSONL")) == "jsonl"
    assert decisions_format(Path("a.ndjson")) == "jsonl"
    assert decisions_format(Path("a.csv")) == "csv"
    assert decisions_format(Path("a.parquet")) == "parquet"
    with pytest.raises(DecisionsFileError, match=r"\.jsonl, \.ndjson, \.csv or \.parquet"):
        decisions_format(Path("a.xlsx"))


def test_audit_command_writes_decisions(tmp_path: Path) -> None:
    log = _ring_log(tmp_path)
    out = tmp_path / "decisions.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        app, ["audit", str(log), "--out", str(tmp_path / "r"), "--decisions", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "decisions:" in result.output
    lines = out.read_text().splitlines()
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert len(lines) == summary["total"] == 18
    assert json.loads(lines[0])["line"] == 1
    bad = runner.invoke(app, ["audit", str(log), "--decisions", str(tmp_path / "d.txt")])
    assert bad.exit_code == 1
    assert ".parquet" in bad.output
    assert "Traceback" not in bad.output
    assert not (tmp_path / "d.txt").exists()


def test_decisions_name_each_file_and_its_lines(tmp_path: Path) -> None:
    first = _log(tmp_path)
    second = tmp_path / "more.log.gz"
    with gzip.open(second, "wt") as handle:
        handle.write(first.read_text())
    out = tmp_path / "d.parquet"
    summary = run_audit(
        [first, second], AuditOptions(decisions=out), Validator(secret_key="k" * 20)
    )
    rows = pl.read_parquet(out)
    assert rows.height == summary.total == 12
    assert rows.group_by("file", maintain_order=True).agg("line").rows() == [
        (str(first), [1, 2, 4, 8, 9, 10]),
        (str(second), [1, 2, 4, 8, 9, 10]),
    ]
