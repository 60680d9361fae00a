"""Export clicks, one row each, streamed from a server-side cursor: JSONL, CSV or Parquet.

Rows are read a chunk at a time straight into Polars frames (`fairclick.store.frames`): no
Python object per value on the way from the database to a JSONL or Parquet file."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import orjson
import polars as pl
from sqlalchemy import Connection, Select, Table, select

from fairclick.campaigns.models import Campaign
from fairclick.clicks.models import Click
from fairclick.domain.errors import NotFound
from fairclick.influencers.models import Influencer
from fairclick.store import Database
from fairclick.store.frames import frames, raw

FIELDS = (
    "click_id",
    "id",
    "ts",
    "code",
    "campaign",
    "influencer",
    "post",
    "verdict",
    "reasons",
    "billing",
    "amount_minor",
    "currency",
    "country",
    "asn",
)
CHUNK = 50_000

EXPORT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {  # the columns `FIELDS`
    "click_id": pl.String,
    "id": pl.String,
    "ts": pl.Datetime("us", "UTC"),
    "code": pl.String,
    "campaign": pl.String,
    "influencer": pl.String,
    "post": pl.Int64,
    "verdict": pl.String,
    "reasons": pl.List(pl.String),
    "billing": pl.String,
    "amount_minor": pl.Int64,
    "currency": pl.String,
    "country": pl.String,
    "asn": pl.Int64,
}


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


_RFC3339 = "%Y-%m-%dT%H:%M:%S%.6fZ"  # `rfc3339` in Polars' terms


def rfc3339(ts: datetime) -> str:
    """UTC with microseconds and a Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CLICKS: Table = Click.__table__  # type: ignore[assignment]
_CAMPAIGNS: Table = Campaign.__table__  # type: ignore[assignment]
_INFLUENCERS: Table = Influencer.__table__  # type: ignore[assignment]
# What is read per click: the export's columns with ids where it shows keys.
_READ = {
    **{
        name: dtype
        for name, dtype in EXPORT_SCHEMA.items()
        if name not in ("campaign", "influencer")
    },
    "campaign_id": pl.Int64,
    "influencer_id": pl.Int64,
}
_COLUMNS = {"id": "external_id", "post": "post_id"}


def _query(conn: Connection, campaign_key: str | None) -> Select[Any]:
    query = select(*(raw(_CLICKS.c[_COLUMNS.get(name, name)], name) for name in _READ))
    if campaign_key is not None:
        campaign_id = conn.scalar(select(_CAMPAIGNS.c.id).where(_CAMPAIGNS.c.key == campaign_key))
        if campaign_id is None:
            raise NotFound(f"no campaign with key {campaign_key!r}")
        query = query.where(_CLICKS.c.campaign_id == campaign_id)
    return query.order_by(_CLICKS.c.seq)


def _keys(conn: Connection, table: Table, name: str) -> pl.Expr:
    """`name`_id replaced by the key of that row of `table` (null when there is none)."""
    ids, keys = [], []
    for row_id, key in conn.execute(select(table.c.id, table.c.key)):
        ids.append(row_id)
        keys.append(key)
    return (
        pl.col(f"{name}_id")
        .replace_strict(ids, keys, default=None, return_dtype=pl.String)
        .alias(name)
    )


def click_frames(db: Database, campaign_key: str | None = None) -> Iterator[pl.DataFrame]:
    """Every click (of one campaign when given) in journal order, as frames of export rows
    (columns `FIELDS`, at most `CHUNK` rows each); an unknown campaign raises `NotFound` before
    the first frame. Campaign and influencer keys are looked up in Polars, not joined in SQL
    (a few hundred rows against every click)."""
    no_reasons = pl.lit([], dtype=pl.List(pl.String))
    with db.engine.connect() as conn:
        query = _query(conn, campaign_key)
        campaign = _keys(conn, _CAMPAIGNS, "campaign")
        influencer = _keys(conn, _INFLUENCERS, "influencer")
        for part in frames(conn, query, _READ, chunk=CHUNK):
            yield part.with_columns(
                campaign, influencer, pl.col("reasons").fill_null(no_reasons)
            ).select(FIELDS)


def iter_clicks(db: Database, campaign_key: str | None = None) -> Iterator[dict[str, Any]]:
    """Every click (of one campaign when given) in journal order, as export rows."""
    for frame in click_frames(db, campaign_key):
        yield from frame.iter_rows(named=True)


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    """One JSON object per line; returns the count."""
    count = 0
    for row in rows:
        row["ts"] = rfc3339(row["ts"])
        out.write(orjson.dumps(row) + b"\n")
        count += 1
    return count


def write_jsonl_frames(parts: Iterable[pl.DataFrame], out: IO[bytes]) -> int:
    """`write_jsonl` for frames of export rows (`click_frames`), the same bytes written by
    Polars a frame at a time; returns the count."""
    count = 0
    for part in parts:
        part.with_columns(pl.col("ts").dt.strftime(_RFC3339)).write_ndjson(out)
        count += part.height
    return count


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """A header line then one line per click; `reasons` joined with `;`."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for row in rows:
        row["ts"] = rfc3339(row["ts"])
        row["reasons"] = ";".join(row["reasons"])
        writer.writerow(["" if row[f] is None else row[f] for f in FIELDS])
        count += 1
    return count


def write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    """Chunks go to Arrow IPC files, then one streaming Polars sink writes the Parquet file:
    memory stays bounded by the chunk size whatever the number of clicks."""
    count = 0
    with tempfile.TemporaryDirectory(prefix="fairclick-export-") as tmp:
        parts: list[Path] = []
        chunk: list[dict[str, Any]] = []

        def flush() -> None:
            part = Path(tmp) / f"part-{len(parts):06d}.arrow"
            pl.DataFrame(chunk, schema=EXPORT_SCHEMA).write_ipc(part)
            parts.append(part)
            chunk.clear()

        for row in rows:
            chunk.append(row)
            count += 1
            if len(chunk) >= CHUNK:
                flush()
        if chunk or not parts:
            flush()
        pl.scan_ipc(parts).sink_parquet(path)
    return count
