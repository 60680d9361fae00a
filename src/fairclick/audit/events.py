"""What the engine validates of an audit frame: columns (`frame_columns`, what the audit uses),
or click events built column by column (`frame_events`, with `domain.click.build_events`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
import polars as pl

from fairclick.domain.click import ClickEvent, build_events
from fairclick.validation.columns import ClickColumns


def click_ids(file_no: pl.Expr) -> pl.Expr:
    """The click id of an audited line from its file's number: file and line numbers,
    zero-padded, so that ids sort like the lines (the engine breaks ties of equal timestamps on
    it, and the retro-analysis reports by it)."""
    return file_no.cast(pl.String).str.zfill(2) + pl.col("line_no").cast(pl.String).str.zfill(12)


def headers_of(text: str | None) -> Mapping[str, str]:
    """The request headers of a JSONL record (`headers` object), names lower-cased; {} when
    absent or not an object."""
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in value.items()}


def _code() -> pl.Expr:
    # the link code: the last path segment, query string removed
    return pl.col("path").str.split("?").list.first().str.split("/").list.last().alias("code")


def _click_id(file_index: Mapping[str, int]) -> pl.Expr:
    file_no = pl.col("file").replace_strict(file_index, return_dtype=pl.Int64)
    return click_ids(file_no).alias("click_id")


def _headers(frame: pl.DataFrame) -> list[Mapping[str, str]] | None:
    """Each row's headers (`headers_of`), parsed once per distinct text; None when no row has
    any."""
    headers = frame["headers"]
    if headers.null_count() == frame.height:
        return None
    texts = headers.to_list()
    parsed = {text: headers_of(text) for text in set(texts)}
    return list(map(parsed.__getitem__, texts))


def frame_columns(frame: pl.DataFrame, file_index: Mapping[str, int]) -> ClickColumns:
    """The engine's columns of an audit frame (readers.FRAME_SCHEMA), in row order: what
    `ClickColumns.of_events(frame_events(frame, file_index))` holds, without the events."""
    cols = frame.select(
        _click_id(file_index),
        pl.col("ts").dt.epoch("us").alias("ts_us"),
        _code(),
        "method",
        "ip",
        "user_agent",
        "accept_language",
        "visitor_id",
        "path",
    )
    columns: dict[str, list[Any]] = {name: cols[name].to_list() for name in cols.columns}
    headers = _headers(frame)
    if headers is not None:
        columns["headers"] = headers
    return ClickColumns.of_lists(**columns)


def frame_events(frame: pl.DataFrame, file_index: Mapping[str, int]) -> list[ClickEvent]:
    """One event per row of an audit frame (readers.FRAME_SCHEMA), in row order."""
    cols = frame.select(
        _click_id(file_index),
        "ts",
        _code(),
        "method",
        "ip",
        "user_agent",
        "referer",
        "accept_language",
        "visitor_id",
        pl.col("status").fill_null(0),
        "path",
    )
    columns: dict[str, Iterable[Any]] = {name: cols[name].to_list() for name in cols.columns}
    headers = _headers(frame)
    if headers is not None:
        columns["headers"] = headers
    return build_events(columns, frame.height)
