"""Log readers: every format, malformed lines counted with examples, IPv6, escapes, gzip."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from fairclick.audit.formats import LogFormatError, log_format_regex
from fairclick.audit.readers import LogReadError, ParseStats, detect_format, read_logs

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
COMBINED_LINES = [
    f'90.12.4.7 - - [17/Nov/2025:06:08:01 +0100] "GET /c/bviabRurGt?utm=1 HTTP/1.1" 302 0 "https://t.co/x" "{IPHONE}"',
    '2a01:e0a:1f:2::5 - - [17/Nov/2025:06:08:02 +0100] "HEAD /c/bviabRurGt HTTP/1.1" 302 0 "-" "Twitterbot/1.0"',
    "this line is garbage",
    '88.198.1.2 - alice [17/Nov/2025:06:08:03 +0100] "GET /c/x HTTP/1.1" 302 0 "-" "curl/8.0 \\x22odd\\x22 \\"esc\\""',
    '1.2.3.4 - - [17/Nov/2025:06:08:03 +0100] "-" 400 0 "-" "-"',
    '5.6.7.8 - - [31/Feb/2025:06:08:03 +0100] "GET / HTTP/1.1" 200 5 "-" "x"',
    "",
]


def _read(paths: list[Path], **kwargs: object) -> tuple[pl.DataFrame, ParseStats]:
    stats = ParseStats()
    frames = list(read_logs(paths, stats=stats, **kwargs))  # type: ignore[arg-type]
    return pl.concat(frames) if frames else pl.DataFrame(), stats


def test_combined_log_with_malformed_lines_ipv6_and_escapes(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text("\n".join(COMBINED_LINES) + "\n")
    assert detect_format(path) == "combined"
    frame, stats = _read([path])
    assert frame["line_no"].to_list() == [1, 2, 4]
    assert frame["ip"].to_list() == ["90.12.4.7", "2a01:e0a:1f:2::5", "88.198.1.2"]
    assert frame["method"].to_list() == ["GET", "HEAD", "GET"]
    assert frame["path"][0] == "/c/bviabRurGt?utm=1"
    assert frame["user_agent"][2] == 'curl/8.0 "odd" "esc"'
    assert frame["referer"].to_list() == ["https://t.co/x", "", ""]
    assert str(frame["ts"][0]) == "2025-11-17 05:08:01+00:00"
    # garbage, a request-less 400 and an impossible date: counted, shown, never dropped silently
    assert (stats.lines, stats.parsed, stats.malformed) == (6, 3, 3)
    assert [line for _, line, _ in stats.examples] == [3, 5, 6]


def test_gzip_and_several_files(tmp_path: Path) -> None:
    plain = tmp_path / "a.log"
    plain.write_text("\n".join(COMBINED_LINES[:2]) + "\n")
    packed = tmp_path / "b.log.gz"
    with gzip.open(packed, "wt") as handle:
        handle.write("\n".join(COMBINED_LINES[:2]) + "\n")
    seen: list[int] = []
    frame, _ = _read([plain, packed], progress=seen.append)
    assert frame.height == 4
    assert frame["file"].unique().len() == 2
    assert seen[-1] == plain.stat().st_size + packed.stat().st_size


def test_common_format(tmp_path: Path) -> None:
    path = tmp_path / "common.log"
    path.write_text('10.0.0.1 - - [17/Nov/2025:06:08:01 +0000] "GET /c/abc HTTP/1.0" 302 -\n')
    assert detect_format(path) == "common"
    frame, _ = _read([path])
    assert frame["user_agent"].to_list() == [""]
    assert frame["status"].to_list() == [302]


def test_custom_nginx_log_format(tmp_path: Path) -> None:
    fmt = '$time_iso8601 $remote_addr "$request" $status "$http_user_agent" "$http_accept_language"'
    path = tmp_path / "custom.log"
    path.write_text('2025-11-17T05:08:01+00:00 90.12.4.7 "GET /c/abc HTTP/2.0" 302 "UA" "fr-FR"\n')
    frame, stats = _read([path], fmt="combined", log_format=fmt)
    assert stats.malformed == 0
    assert frame["accept_language"].to_list() == ["fr-FR"]
    with pytest.raises(LogFormatError, match="no time"):
        log_format_regex('$remote_addr "$request"')


def test_jsonl_with_epoch_and_rfc3339(tmp_path: Path) -> None:
    path = tmp_path / "clicks.jsonl"
    path.write_text(
        '{"ts": "2025-11-17T05:08:01.123456Z", "code": "abc", "ip": "90.12.4.7", "user_agent": "UA"}\n'
        '{"ts": 1763356081, "code": "abc", "ip": "2a01:e0a::1", "method": "head"}\n'
        "{not json\n"
        '{"code": "abc", "ip": "1.1.1.1"}\n'
    )
    assert detect_format(path) == "jsonl"
    frame, stats = _read([path])
    assert frame["path"].to_list() == ["/c/abc", "/c/abc"]
    assert frame["method"].to_list() == ["GET", "HEAD"]
    assert frame["ts"][0].microsecond == 123456
    assert (stats.parsed, stats.malformed) == (2, 2)


def test_csv_with_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "clicks.csv"
    path.write_text(
        "time,client,ua,url\n"
        '2025-11-17T05:08:01Z,90.12.4.7,"Mozilla/5.0 (X11, Linux)",/c/abc\n'
        "2025-11-17T05:08:02Z,90.12.4.8\n"
        "not-a-time,90.12.4.9,UA,/c/abc\n"
    )
    mapping = {"ts": "time", "ip": "client", "user_agent": "ua", "path": "url"}
    frame, stats = _read([path], fmt="csv", csv_columns=mapping)
    assert frame["user_agent"].to_list() == ["Mozilla/5.0 (X11, Linux)"]
    assert (stats.parsed, stats.malformed) == (1, 2)
    with pytest.raises(LogReadError, match="no column"):
        _read([path], fmt="csv", csv_columns={"ts": "nope", "ip": "client"})


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(LogReadError, match="no such file"):
        _read([tmp_path / "nope.log"])
    with pytest.raises(LogReadError, match="unknown format"):
        _read([tmp_path / "nope.log"], fmt="xml")
