"""Query results straight into Polars frames, without SQLAlchemy's per-value conversions.

Batch readers (retro-analysis, export, reports over every click) read hundreds of thousands of
rows, and SQLAlchemy's result processing (a Python call per datetime and per JSON value) cost
them more than the query itself. Columns selected with `raw` come back as the driver gives them;
`frames` then converts each column once, in Polars, to the dtype asked for: SQLite's naive UTC
text and JSON text are parsed, PostgreSQL's aware datetimes and decoded JSONB are taken as they
are, so both engines give the same frame.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Executable, type_coerce
from sqlalchemy.sql.elements import ColumnElement, Label
from sqlalchemy.types import NullType

Schema = Mapping[str, pl.DataType | type[pl.DataType]]

CHUNK = 50_000
"""Rows fetched and converted at a time: memory stays bounded by it when streaming."""

# How SQLAlchemy (and `fairclick.journal.rows.sqlite_ts`) store an aware UTC datetime in SQLite.
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S%.f"


def raw(column: ColumnElement[Any], name: str | None = None) -> Label[Any]:
    """`column` selected as the driver returns it (no result processing), labelled `name`
    (default: the column's own key)."""
    label = name if name is not None else getattr(column, "key", None)
    if label is None:
        raise ValueError("a raw expression needs a name")
    return type_coerce(column, NullType()).label(label)


def frames(
    conn: Connection, query: Executable, schema: Schema, *, chunk: int = CHUNK
) -> Iterator[pl.DataFrame]:
    """The rows of `query` (its columns selected with `raw`, in `schema`'s order) as frames of
    at most `chunk` rows with exactly `schema`, streamed (a server-side cursor on PostgreSQL)."""
    as_text = conn.dialect.name == "sqlite"
    if conn.dialect.supports_server_side_cursors:
        # Options for this statement only: `Connection.execution_options` would keep them on
        # the connection (a session's, maybe) for every later statement.
        options = {"stream_results": True, "yield_per": chunk}
        with conn.execute(query, execution_options=options) as result:
            for rows in result.partitions():
                yield to_frame(rows, schema, as_text=as_text)
        return
    # Without streaming options SQLAlchemy buffers nothing (`yield_per` would read a row
    # ahead): the driver's own cursor gives plain tuples, without a Row object per row.
    with conn.execute(query) as result:
        while rows := result.cursor.fetchmany(chunk):
            yield to_frame(rows, schema, as_text=as_text)


def frame(conn: Connection, query: Executable, schema: Schema) -> pl.DataFrame:
    """All the rows of `query` as one frame with exactly `schema` (see `frames`)."""
    parts = list(frames(conn, query, schema))
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def to_frame(
    rows: Sequence[Sequence[Any]], schema: Schema, *, as_text: bool = False
) -> pl.DataFrame:
    """Driver rows (values in `schema`'s order) as a frame with exactly `schema`. With
    `as_text` (SQLite's driver), times and JSON come as text and every other value already has
    its column's type, so nothing is inferred; otherwise each column's type is inferred from
    all its values before conversion."""
    names = list(schema)
    if as_text:
        loaded = pl.DataFrame(
            rows, schema={name: _as_text(dtype) for name, dtype in schema.items()}, orient="row"
        )
    else:
        loaded = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    return loaded.select(_convert(loaded.schema[name], name, schema[name]) for name in names)


def _as_text(wanted: pl.DataType | type[pl.DataType]) -> pl.DataType | type[pl.DataType]:
    converted = isinstance(wanted, pl.Datetime | pl.List | pl.Struct) or wanted in (
        pl.Datetime,
        pl.List,
        pl.Struct,
    )
    return pl.String if converted else wanted


def _convert(found: pl.DataType, name: str, wanted: pl.DataType | type[pl.DataType]) -> pl.Expr:
    column = pl.col(name)
    if isinstance(wanted, pl.Datetime) and wanted.time_zone is not None:
        unit = wanted.time_unit or "us"
        if found == pl.String:
            return column.str.to_datetime(_SQLITE_TIME, time_unit=unit, time_zone=wanted.time_zone)
        if isinstance(found, pl.Datetime):
            aware = (
                column.dt.convert_time_zone(wanted.time_zone)
                if found.time_zone is not None
                else column.dt.replace_time_zone(wanted.time_zone)
            )
            return aware.dt.cast_time_unit(unit)
    if isinstance(wanted, pl.List | pl.Struct) and found == pl.String:
        return column.str.json_decode(wanted)
    return column.cast(wanted)
