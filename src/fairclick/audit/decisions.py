"""The audit's decisions file: one row per audited request, for the auditor to check or join.

Columns: `file`, `line` (1-based, as in the file), `ts` (RFC 3339 UTC with µs; a timestamp in
Parquet), `ip` (the address as the log wrote it: the file is for the auditor, who holds the
log already, and adds no personal data to it), `path`, `verdict`, `reasons` (the engine's, then
the retro-analysis's), `retro_reasons` (those the retro-analysis added), `ivt_class` (`SIVT` when
one reason is sophisticated, else `GIVT`; empty for a valid request). CSV joins reason lists
with `;` like `fairclick export clicks`.

The file is written by Polars' streaming engine from the frame the audit keeps anyway, so it
costs no second copy of the log in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from fairclick.domain.reasons import IvtClass, Reason

DECISION_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
DECISION_COLUMNS = (
    "file",
    "line",
    "ts",
    "ip",
    "path",
    "verdict",
    "reasons",
    "retro_reasons",
    "ivt_class",
)
_SIVT = [r.value for r in Reason if r.ivt_class == IvtClass.SIVT]


class DecisionsFileError(ValueError):
    """The decisions file cannot be written as asked; the message says why."""


def decisions_format(path: Path) -> str:
    """The format for `path`, from its extension (jsonl, csv or parquet)."""
    fmt = DECISION_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DecisionsFileError(
            f"{path}: the decisions file must end in .jsonl, .ndjson, .csv or .parquet"
        )
    return fmt


_NONE = pl.lit([], pl.List(pl.String))


VERDICT = pl.Enum(["invalid", "valid"])


def verdict() -> pl.Expr:
    """A decided row's verdict, "valid" or "invalid" (an enum: one byte a row, not a string)."""
    return (
        pl.when(pl.col("invalid")).then(pl.lit("invalid")).otherwise(pl.lit("valid")).cast(VERDICT)
    )


def reason_list() -> pl.Expr:
    """Every reason of a decided row as a list: the engine's (`realtime`, codes joined by
    commas, "" for none), then the retro-analysis's (`retro`, a list or null)."""
    realtime = pl.col("realtime").cast(pl.String)
    engine = pl.when(realtime == "").then(_NONE).otherwise(realtime.str.split(","))
    return pl.concat_list(engine, pl.col("retro").fill_null(_NONE))


def decisions_frame(decided: pl.LazyFrame, files: Sequence[str]) -> pl.LazyFrame:
    """DECISION_COLUMNS from the audit's decided rows (`file_no`, `line_no`, `ts`, `ip`,
    `path`, `invalid`, `realtime` comma-joined codes, `retro` list or null)."""
    retro = pl.col("retro").fill_null(_NONE)
    return decided.select(
        pl.col("file_no")
        .replace_strict(dict(enumerate(files)), return_dtype=pl.String)
        .alias("file"),
        pl.col("line_no").alias("line"),
        "ts",
        pl.col("ip").cast(pl.String),
        pl.col("path").cast(pl.String),
        verdict().cast(pl.String).alias("verdict"),
        reason_list().alias("reasons"),
        retro.alias("retro_reasons"),
    ).with_columns(
        pl.when(pl.col("verdict") == "valid")
        .then(pl.lit(None, pl.String))
        .when(pl.col("reasons").list.eval(pl.element().is_in(_SIVT)).list.any())
        .then(pl.lit("SIVT"))
        .otherwise(pl.lit("GIVT"))
        .alias("ivt_class")
    )


def write_decisions(decided: pl.LazyFrame, files: Sequence[str], path: Path) -> None:
    """Write the decisions file (format from the extension), streaming `decided`."""
    fmt = decisions_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = decisions_frame(decided, files)
    if fmt == "parquet":
        frame.sink_parquet(path)
        return
    text_ts = pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
    if fmt == "csv":
        frame.with_columns(
            text_ts,
            pl.col("reasons").list.join(";"),
            pl.col("retro_reasons").list.join(";"),
        ).sink_csv(path)
    else:
        frame.with_columns(text_ts).sink_ndjson(path)
