"""What the engine validates of an audit frame: columns (`frame_columns`, what the audit uses),
or click events built column by column (`build_events`).

The engine validates `ClickEvent`s; a frozen dataclass's `__init__` sets each of its eighteen
fields through `object.__setattr__`, about 6 µs per event, more than the whole audit may spend
on a line. The events are built here with the slots' own descriptors instead, one field at a
time over the whole chunk (C-level `map`), which gives equal objects for about a third of that.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from typing import Any

import orjson
import polars as pl

from fairclick.domain.click import ClickEvent
from fairclick.validation.columns import ClickColumns

_FIELDS = dataclasses.fields(ClickEvent)
# Each slot's descriptor sets the value without going through the frozen `__setattr__`.
_SETTERS: dict[str, Callable[[ClickEvent, Any], None]] = {
    f.name: ClickEvent.__dict__[f.name].__set__ for f in _FIELDS
}
_REQUIRED = frozenset(
    f.name
    for f in _FIELDS
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
)


def _default(f: dataclasses.Field[Any]) -> Any:
    # Defaults are immutable (None, numbers, strings, an empty read-only mapping): one value
    # can be shared by every event, as `__init__` itself shares `_EMPTY`.
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[operator]


_DEFAULTS = {f.name: _default(f) for f in _FIELDS if f.name not in _REQUIRED}


def build_events(columns: Mapping[str, Iterable[Any]], n: int) -> list[ClickEvent]:
    """`n` events from columns named like `ClickEvent`'s fields (each of length `n`); fields
    without a column get their default. Equal to `ClickEvent(**row)` for each row."""
    missing = _REQUIRED - set(columns)
    if missing:
        raise ValueError(f"events need the columns {sorted(missing)}")
    events: list[ClickEvent] = list(map(ClickEvent.__new__, repeat(ClickEvent, n)))
    for f in _FIELDS:
        values = columns.get(f.name)
        setter = _SETTERS[f.name]
        deque(map(setter, events, repeat(_DEFAULTS[f.name]) if values is None else values), 0)
    return events


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
