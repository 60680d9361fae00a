"""Read click and web-server logs in chunks, as normalised Polars frames, in constant memory.

Formats: nginx/Apache `combined` and `common`, custom nginx `log_format` strings, JSONL and CSV
(with a column mapping); plain or gzip; several files. Lines that do not parse are counted and
kept as examples, never silently dropped.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import polars as pl

from fairclick.audit.formats import COMBINED, COMMON, apache_to_nginx, log_format_regex

T = TypeVar("T")
FORMATS = ("auto", "combined", "common", "jsonl", "csv")
CHUNK_BYTES = 32 * 1024 * 1024
MAX_EXAMPLES = 5

# The columns every reader produces (the "audit frame").
FRAME_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "line_no": pl.Int64(),
    "ts": pl.Datetime("us", "UTC"),
    "ip": pl.String(),
    "method": pl.String(),
    "path": pl.String(),
    "status": pl.Int32(),
    "referer": pl.String(),
    "user_agent": pl.String(),
    "accept_language": pl.String(),
    "visitor_id": pl.String(),
    "headers": pl.String(),
}
DEFAULT_CSV_COLUMNS = {
    "ts": "ts",
    "ip": "ip",
    "method": "method",
    "path": "path",
    "status": "status",
    "referer": "referer",
    "user_agent": "user_agent",
    "accept_language": "accept_language",
    "visitor_id": "visitor_id",
}


class LogReadError(ValueError):
    """A file cannot be read as the chosen format; the message names it."""


@dataclass
class ParseStats:
    """Lines read, parsed and refused, with a few refused examples per file."""

    lines: int = 0
    parsed: int = 0
    malformed: int = 0
    examples: list[tuple[str, int, str]] = field(default_factory=list)

    def refuse(self, file: str, frame: pl.DataFrame) -> None:
        self.malformed += frame.height
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            for row in frame.head(room).iter_rows(named=True):
                self.examples.append((file, int(row["line_no"]), str(row["line"])[:300]))


def open_text(path: Path) -> tuple[IO[str], IO[bytes]]:
    """Open a plain or gzip file as UTF-8 text (undecodable bytes replaced, never fatal);
    also return the underlying file, whose position tells the progress in bytes on disk."""
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    else:
        stream = raw
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=""), raw


def detect_format(path: Path) -> str:
    """Guess the format from the first non-empty lines."""
    handle, _ = open_text(path)
    with handle:
        lines = [line for line in (handle.readline() for _ in range(20)) if line.strip()]
    if not lines:
        return "combined"
    first = lines[0].lstrip()
    if first.startswith("{"):
        return "jsonl"
    import re

    if re.match(log_format_regex(COMBINED), first):
        return "combined"
    if re.match(log_format_regex(COMMON), first):
        return "common"
    if "," in first and any(k in first.lower() for k in ("ts", "time", "ip", "user_agent")):
        return "csv"
    return "combined"


def _line_chunks(handle: IO[str], start_line: int) -> Iterator[tuple[int, list[str]]]:
    line_no = start_line
    while True:
        lines = handle.readlines(CHUNK_BYTES)
        if not lines:
            return
        yield line_no, lines
        line_no += len(lines)


def _unescape(expr: pl.Expr) -> pl.Expr:
    # nginx writes \x22 for a quote and \xHH for other bytes; Apache writes \" and \\.
    return (
        expr.str.replace_all("\\x22", '"', literal=True)
        .str.replace_all('\\"', '"', literal=True)
        .str.replace_all("\\\\", "\\", literal=True)
    )


def _finish(frame: pl.DataFrame) -> pl.DataFrame:
    for name, dtype in FRAME_SCHEMA.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    frame = frame.with_columns(
        pl.col(name).fill_null("") for name in ("referer", "user_agent", "accept_language")
    )
    return frame.select([pl.col(n).cast(t) for n, t in FRAME_SCHEMA.items()])


def parse_log_lines(
    lines: Sequence[str], regex: str, file: str, first_line: int, stats: ParseStats
) -> pl.DataFrame:
    """Parse web-server log lines with `regex` (named groups); refuse what does not parse."""
    raw = pl.DataFrame(
        {"line": pl.Series(lines, dtype=pl.String).str.strip_chars_end("\r\n")}
    ).with_row_index("line_no", offset=first_line)
    raw = raw.with_columns(pl.col("line_no").cast(pl.Int64))
    raw = raw.filter(pl.col("line").str.len_bytes() > 0)
    stats.lines += raw.height
    groups = raw.with_columns(parsed=pl.col("line").str.extract_groups(regex)).unnest("parsed")
    cols = set(groups.columns)
    exprs: list[pl.Expr] = [pl.lit(file).alias("file"), pl.col("line_no"), pl.col("line")]
    if "time_local" in cols:
        exprs.append(
            pl.col("time_local")
            .str.strptime(pl.Datetime("us", "UTC"), "%d/%b/%Y:%H:%M:%S %z", strict=False)
            .alias("ts")
        )
    elif "time_iso" in cols:
        exprs.append(pl.col("time_iso").str.to_datetime(time_zone="UTC", strict=False).alias("ts"))
    else:
        exprs.append(
            (pl.col("time_epoch").cast(pl.Float64, strict=False) * 1_000_000)
            .cast(pl.Int64)
            .cast(pl.Datetime("us", "UTC"))
            .alias("ts")
        )
    if "request" in cols:
        request = pl.col("request").str.split_exact(" ", 2)
        exprs += [
            request.struct.field("field_0").alias("method"),
            request.struct.field("field_1").alias("path"),
        ]
    else:
        exprs += [pl.col("method"), pl.col("path")]
    exprs.append(pl.col("status").cast(pl.Int32, strict=False).alias("status"))
    ip = pl.col("ip")
    exprs.append(ip)
    for name in ("referer", "user_agent", "accept_language"):
        if name in cols:
            value = _unescape(pl.col(name))
            exprs.append(pl.when(value == "-").then(pl.lit("")).otherwise(value).alias(name))
    frame = groups.select(exprs)
    ok = (
        pl.col("ts").is_not_null()
        & pl.col("ip").is_not_null()
        & pl.col("method").str.contains(r"^[A-Z]{3,10}$").fill_null(False)
        & pl.col("path").str.starts_with("/").fill_null(False)
    )
    stats.refuse(file, frame.filter(~ok))
    good = frame.filter(ok).drop("line")
    stats.parsed += good.height
    return _finish(good)


def parse_jsonl_lines(
    lines: Sequence[str], file: str, first_line: int, stats: ParseStats
) -> pl.DataFrame:
    """Parse JSONL click records (the ingest format: ts, ip, method, code or path, …)."""
    raw = pl.DataFrame(
        {"line": pl.Series(lines, dtype=pl.String).str.strip_chars()}
    ).with_row_index("line_no", offset=first_line)
    raw = raw.with_columns(pl.col("line_no").cast(pl.Int64)).filter(
        pl.col("line").str.len_bytes() > 0
    )
    stats.lines += raw.height

    def field(name: str) -> pl.Expr:
        return pl.col("line").str.json_path_match(f"$.{name}")

    ts_text = field("ts")
    epoch = ts_text.cast(pl.Float64, strict=False)
    ts = pl.coalesce(
        ts_text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us"),
        (epoch * 1_000_000).cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
    )
    path = pl.coalesce(field("path"), pl.lit("/c/") + field("code"))
    frame = raw.select(
        pl.lit(file).alias("file"),
        pl.col("line_no"),
        pl.col("line"),
        ts.alias("ts"),
        field("ip").alias("ip"),
        pl.coalesce(field("method"), pl.lit("GET")).str.to_uppercase().alias("method"),
        path.alias("path"),
        pl.coalesce(field("status").cast(pl.Int32, strict=False), pl.lit(302)).alias("status"),
        pl.coalesce(field("referer"), pl.lit("")).alias("referer"),
        pl.coalesce(field("user_agent"), pl.lit("")).alias("user_agent"),
        pl.coalesce(field("accept_language"), pl.lit("")).alias("accept_language"),
        field("visitor_id").alias("visitor_id"),
        field("headers").alias("headers"),
    )
    ok = pl.col("ts").is_not_null() & pl.col("ip").is_not_null() & pl.col("path").is_not_null()
    stats.refuse(file, frame.filter(~ok))
    good = frame.filter(ok).drop("line")
    stats.parsed += good.height
    return _finish(good)


def parse_csv_rows(
    handle: IO[str],
    file: str,
    columns: Mapping[str, str],
    stats: ParseStats,
    chunk_rows: int = 200_000,
) -> Iterator[pl.DataFrame]:
    """Parse CSV with a header; `columns` maps audit fields to the file's column names."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return
    index = {name: i for i, name in enumerate(header)}
    missing = [col for key, col in columns.items() if key in ("ts", "ip") and col not in index]
    if missing:
        raise LogReadError(f"{file}: CSV has no column {', '.join(missing)} (see --columns)")
    wanted = {key: index[col] for key, col in columns.items() if col in index}
    width = len(header)
    while True:
        block = []
        for row in reader:
            block.append(row)
            if len(block) >= chunk_rows:
                break
        if not block:
            return
        first = reader.line_num - len(block) + 1
        lines = ["\x1f".join(row) if len(row) == width else "\x00" + ",".join(row) for row in block]
        yield _csv_frame(lines, wanted, width, file, first, stats)


def _csv_frame(
    lines: list[str],
    wanted: Mapping[str, int],
    width: int,
    file: str,
    first: int,
    stats: ParseStats,
) -> pl.DataFrame:
    raw = pl.DataFrame({"line": lines}).with_row_index("line_no", offset=first)
    raw = raw.with_columns(pl.col("line_no").cast(pl.Int64))
    stats.lines += raw.height
    parts = pl.col("line").str.split("\x1f")
    exprs = [pl.lit(file).alias("file"), pl.col("line_no"), pl.col("line")]
    for key, position in wanted.items():
        exprs.append(parts.list.get(position, null_on_oob=True).alias(key))
    frame = raw.select(exprs)
    ts_text = pl.col("ts")
    epoch = ts_text.cast(pl.Float64, strict=False)
    frame = frame.with_columns(
        pl.coalesce(
            ts_text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us"),
            (epoch * 1_000_000).cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
        ).alias("ts"),
        pl.col("status").cast(pl.Int32, strict=False)
        if "status" in wanted
        else pl.lit(302).alias("status"),
        pl.col("method").str.to_uppercase()
        if "method" in wanted
        else pl.lit("GET").alias("method"),
    )
    ok = (
        ~pl.col("line").str.starts_with("\x00")
        & pl.col("ts").is_not_null()
        & pl.col("ip").is_not_null()
    )
    stats.refuse(file, frame.filter(~ok).with_columns(pl.col("line").str.replace_all("\x1f", ",")))
    good = frame.filter(ok).drop("line")
    stats.parsed += good.height
    for name in ("referer", "user_agent", "accept_language"):
        if name not in good.columns:
            good = good.with_columns(pl.lit("").alias(name))
    return _finish(good)


def read_logs(
    paths: Sequence[Path],
    fmt: str = "auto",
    *,
    log_format: str | None = None,
    csv_columns: Mapping[str, str] | None = None,
    stats: ParseStats,
    progress: Callable[[int], None] | None = None,
) -> Iterator[pl.DataFrame]:
    """Yield normalised frames (FRAME_SCHEMA) chunk by chunk over every file; `progress` is
    called with the bytes of the files (as stored, compressed or not) consumed so far."""
    if fmt not in FORMATS:
        raise LogReadError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise LogReadError(f"no such file: {', '.join(missing)}")
    done = 0
    for path in paths:
        kind = detect_format(path) if fmt == "auto" and not log_format else fmt
        handle, raw = open_text(path)
        with handle:
            for frame in _frames(handle, str(path), kind, log_format, csv_columns, stats):
                if progress is not None:
                    progress(done + raw.tell())
                yield frame
        done += path.stat().st_size
        if progress is not None:
            progress(done)


def _frames(
    handle: IO[str],
    name: str,
    kind: str,
    log_format: str | None,
    csv_columns: Mapping[str, str] | None,
    stats: ParseStats,
) -> Iterator[pl.DataFrame]:
    if kind == "csv":
        yield from parse_csv_rows(handle, name, csv_columns or DEFAULT_CSV_COLUMNS, stats)
    elif kind == "jsonl":
        for first, lines in _line_chunks(handle, 1):
            yield parse_jsonl_lines(lines, name, first, stats)
    else:
        if log_format:
            regex = log_format_regex(apache_to_nginx(log_format))
        else:
            regex = log_format_regex(COMMON if kind == "common" else COMBINED)
        for first, lines in _line_chunks(handle, 1):
            yield parse_log_lines(lines, regex, name, first, stats)


_DONE = object()


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """`items`, produced one ahead on a thread: the next chunk is read and parsed (Polars,
    which releases the GIL) while the caller validates the current one. An error raised by
    `items` is raised here, in the caller's thread; a caller that stops early stops the thread
    at its next item."""
    ready: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                ready.put(item)
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # handed to the caller, raised in its thread
            ready.put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:  # a generator: its files are closed in this thread
                close()

    thread = threading.Thread(target=produce, name="fairclick-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # let a producer blocked on a full queue see `stop`
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()
