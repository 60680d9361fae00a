"""Reading the evaluator's inputs: the platform's click export (JSONL, CSV or Parquet, as
`fairclick export clicks` writes them) and the simulator's labels (JSONL)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

EXPORT_COLUMNS = ("id", "campaign", "influencer", "verdict", "reasons", "billing", "amount_minor")
LABEL_COLUMNS = ("id", "label", "reason", "reasons", "kind", "influencer", "cheater")


class EvaluationError(ValueError):
    """Inputs the evaluator cannot score: missing, unreadable or not matching each other."""


def _check(frame: pl.DataFrame, needed: tuple[str, ...], source: str | Path, what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise EvaluationError(f"{source}: not a {what} (missing field(s): {', '.join(missing)})")


def _read(path: Path, what: str) -> pl.DataFrame:
    if not path.is_file():
        raise EvaluationError(f"{path}: no such {what} file")
    try:
        if path.suffix == ".parquet":
            return pl.read_parquet(path)
        if path.suffix == ".csv":
            return pl.read_csv(path, infer_schema_length=0)
        return pl.read_ndjson(path, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise EvaluationError(f"{path}: cannot read the {what} ({first})") from None


def read_export(path: Path) -> pl.DataFrame:
    """The export with `id`, `campaign`, `influencer`, `verdict`, `reasons` (list),
    `billing`, `amount_minor` (int) and `currency`; ids must be unique."""
    return export_frame(_read(path, "export"), path)


def export_frame(frame: pl.DataFrame, source: str | Path = "export") -> pl.DataFrame:
    """`read_export` for an export already in memory (as `fairclick.clicks.export.click_frames`
    gives it, or read from a file); `source` names it in errors."""
    _check(frame, EXPORT_COLUMNS, source, "click export")
    if frame.schema["reasons"] == pl.String:  # CSV: reasons joined with ';'
        frame = frame.with_columns(
            pl.col("reasons")
            .fill_null("")
            .str.split(";")
            .list.eval(pl.element().filter(pl.element() != ""))
        )
    if "currency" not in frame.columns:
        frame = frame.with_columns(currency=pl.lit(None, dtype=pl.String))
    frame = frame.with_columns(
        pl.col("id").cast(pl.String),
        pl.col("campaign").cast(pl.String),
        pl.col("influencer").cast(pl.String),
        pl.col("verdict").cast(pl.String),
        pl.col("billing").cast(pl.String),
        pl.col("amount_minor").cast(pl.Int64).fill_null(0),
        pl.col("reasons").cast(pl.List(pl.String)).fill_null([]),
    ).filter(pl.col("id").is_not_null())
    dupes = frame.height - frame["id"].n_unique()
    if dupes:
        raise EvaluationError(f"{source}: {dupes} external ids appear more than once in the export")
    return frame.select(
        "id", "campaign", "influencer", "verdict", "reasons", "billing", "amount_minor", "currency"
    )


def read_labels(path: Path) -> pl.DataFrame:
    """The labels; `influencer` is renamed `influencer_label` beside the export's."""
    frame = _read(path, "labels")
    _check(frame, LABEL_COLUMNS, path, "labels file")
    dupes = frame.height - frame["id"].n_unique()
    if dupes:
        raise EvaluationError(f"{path}: {dupes} ids appear more than once in the labels")
    bad = frame.filter(~pl.col("label").is_in(["valid", "invalid"]))
    if bad.height:
        raise EvaluationError(
            f"{path}: label must be valid or invalid (e.g. id {bad['id'][0]}: {bad['label'][0]!r})"
        )
    return frame.select(
        pl.col("id").cast(pl.String),
        pl.col("label").cast(pl.String),
        pl.col("reason").cast(pl.String),
        pl.col("kind").cast(pl.String),
        pl.col("influencer").cast(pl.String).alias("influencer_label"),
        pl.col("cheater").cast(pl.Boolean),
    )
