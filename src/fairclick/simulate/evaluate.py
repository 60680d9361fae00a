"""Compare the platform's verdicts (an export of clicks) with the simulator's labels: detection
quality overall, per reason and per MRC class, confusion between reasons, and money."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import yaml

from fairclick.domain.influence import Tier, tier_for_reach
from fairclick.domain.reasons import IvtClass, Reason
from fairclick.simulate.evaluate_io import (
    EvaluationError,
    export_frame,
    read_export,
    read_labels,
)
from fairclick.simulate.prices import Prices, prices_from_export, prices_from_world

# libyaml's parser when PyYAML was built with it (the world loader does the same): a
# 300-influencer world file parses about ten times faster than with the pure-Python one.
_YamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["EvaluationError", "EvaluationReport", "Metrics", "evaluate", "evaluate_frames"]


@dataclass(slots=True)
class Metrics:
    """Counts and scores of a binary detection (positive = invalid)."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
        }


@dataclass(slots=True)
class ReasonFigures:
    """For one reason: `labelled` clicks have it as primary label; `detected` of those were
    judged invalid (any reason), `matched` carried this very reason; `predicted` clicks carry
    it in the platform's verdict, `predicted_invalid` of those are labelled invalid."""

    labelled: int
    detected: int
    matched: int
    predicted: int
    predicted_invalid: int

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "recall": round(self.detected / self.labelled, 6) if self.labelled else None,
            "reason_recall": round(self.matched / self.labelled, 6) if self.labelled else None,
            "precision": round(self.predicted_invalid / self.predicted, 6)
            if self.predicted
            else None,
        }


@dataclass(slots=True)
class InfluencerMoney:
    influencer: str
    clicks: int
    labelled_invalid: int
    billed_clicks: int
    billed_minor: int
    paid_minor: int | None
    perfect_minor: int


@dataclass(slots=True)
class EvaluationReport:
    """Everything `fairclick evaluate` prints and saves."""

    clicks: int
    exported_only: int
    overall: Metrics
    false_rejection_rate: float
    per_reason: dict[str, ReasonFigures]
    per_class: dict[str, Metrics]
    confusion: dict[str, dict[str, int]]
    currency: str | None
    billed_minor: int
    perfect_minor: int
    count_everything_minor: int
    billed_on_invalid_minor: int
    cheaters: list[InfluencerMoney] = field(default_factory=list)
    prices_from: str = "export"

    def to_dict(self) -> dict[str, Any]:
        return {
            "clicks": self.clicks,
            "exported_only": self.exported_only,
            "invalid": self.overall.to_dict(),
            "false_rejection_rate": round(self.false_rejection_rate, 6),
            "per_reason": {k: v.to_dict() for k, v in self.per_reason.items()},
            "per_class": {k: v.to_dict() for k, v in self.per_class.items()},
            "confusion": self.confusion,
            "money": {
                "currency": self.currency,
                "billed_minor": self.billed_minor,
                "perfect_minor": self.perfect_minor,
                "count_everything_minor": self.count_everything_minor,
                "billed_on_invalid_minor": self.billed_on_invalid_minor,
                "prices_from": self.prices_from,
            },
            "cheaters": [asdict(c) for c in self.cheaters],
        }

    def to_json(self) -> str:
        """The report as indented JSON (what the command saves)."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2).decode()

    def render(self, console: Any) -> None:
        """Print the report's tables on a Rich console."""
        from fairclick.simulate.evaluate_render import render

        render(self, console)


def _metrics(truth: pl.Series, predicted: pl.Series) -> Metrics:
    t, p = truth.fill_null(False), predicted.fill_null(False)
    return Metrics(
        tp=int((t & p).sum()),
        fp=int((~t & p).sum()),
        fn=int((t & ~p).sum()),
        tn=int((~t & ~p).sum()),
    )


def evaluate(
    export_path: str | Path,
    labels_path: str | Path,
    world_path: str | Path | None = None,
    *,
    allow_missing: bool = False,
) -> EvaluationReport:
    """Join the platform's export with the labels on the external id and score the verdicts.

    Raises EvaluationError for unreadable files, missing columns, or labelled clicks absent
    from the export (unless `allow_missing`: then only the joined clicks are scored). Clicks in
    the export without a label are counted in `exported_only` and ignored. Prices for the
    "perfect validator" bill come from the world file when given (tier cards), else from what
    the export shows each influencer was billed."""
    export = read_export(Path(export_path))
    labels = read_labels(Path(labels_path))
    return _score(export, labels, world_path, allow_missing=allow_missing)


def evaluate_frames(
    export: pl.DataFrame,
    labels_path: str | Path,
    world_path: str | Path | None = None,
    *,
    allow_missing: bool = False,
) -> EvaluationReport:
    """`evaluate` of an export already in memory (with at least the columns of
    `EXPORT_COLUMNS`, as `fairclick.clicks.export.click_frames` gives them): the same report as
    `evaluate` of that export written to a file, without writing and reading it back."""
    return _score(
        export_frame(export),
        read_labels(Path(labels_path)),
        world_path,
        allow_missing=allow_missing,
    )


def _score(
    export: pl.DataFrame,
    labels: pl.DataFrame,
    world_path: str | Path | None,
    *,
    allow_missing: bool,
) -> EvaluationReport:
    # Ids are unique on both sides (checked on reading), so the exported clicks that have a
    # label are counted from this one join (the marker), not from a second one.
    joined = labels.join(
        export.with_columns(_labelled=pl.lit(True)), on="id", how="left", suffix="_export"
    )
    exported_only = export.height - int(joined["_labelled"].sum())
    joined = joined.drop("_labelled")
    missing = joined.filter(pl.col("verdict").is_null())
    if missing.height and not allow_missing:
        examples = ", ".join(missing["id"].head(5).to_list())
        raise EvaluationError(
            f"{missing.height} of {labels.height} labelled clicks are not in the export "
            f"(e.g. {examples}); was the click log fully ingested?"
        )
    joined = joined.filter(pl.col("verdict").is_not_null())
    if joined.height == 0:
        raise EvaluationError("no labelled click is in the export: are these the right files?")

    truth = joined["label"] == "invalid"
    predicted = joined["verdict"] == "invalid"
    overall = _metrics(truth, predicted)
    genuine = int((~truth).sum())
    frr = overall.fp / genuine if genuine else 0.0

    per_reason: dict[str, ReasonFigures] = {}
    predicted_reasons = joined["reasons"]
    for reason in Reason:
        has = predicted_reasons.list.contains(reason.value) & predicted
        primary = joined["reason"] == reason.value
        figures = ReasonFigures(
            labelled=int(primary.sum()),
            detected=int((primary & predicted).sum()),
            matched=int((primary & has).sum()),
            predicted=int(has.sum()),
            predicted_invalid=int((has & truth).sum()),
        )
        if figures.labelled or figures.predicted:
            per_reason[reason.value] = figures

    per_class: dict[str, Metrics] = {}
    for ivt in IvtClass:
        members = [r.value for r in Reason if r.ivt_class is ivt]
        labelled = joined["reason"].is_in(members)
        flagged = predicted & predicted_reasons.list.eval(pl.element().is_in(members)).list.any()
        per_class[ivt.value] = _metrics(labelled, flagged)

    confusion = _confusion(joined)
    prices: Prices
    if world_path is not None:
        prices, source = prices_from_world(_read_world(Path(world_path))), "world"
    else:
        prices, source = prices_from_export(export), "export"
    money = joined.join(prices.frame(), on=["campaign", "influencer_label"], how="left")
    money = money.with_columns(
        pl.col("price").fill_null(prices.default_price),
        billed=pl.when(pl.col("billing") == "billed").then(pl.col("amount_minor")).otherwise(0),
    )
    valid = pl.col("label") == "valid"
    perfect = int(money.select(pl.when(valid).then(pl.col("price")).otherwise(0).sum()).item())
    everything = int(money["price"].sum())
    billed = int(money["billed"].sum())
    billed_invalid = int(money.filter(~valid)["billed"].sum())
    cheaters = _cheaters(money, prices)
    currency = export["currency"].drop_nulls().head(1).to_list()
    return EvaluationReport(
        clicks=joined.height,
        exported_only=exported_only,
        overall=overall,
        false_rejection_rate=frr,
        per_reason=per_reason,
        per_class=per_class,
        confusion=confusion,
        currency=currency[0] if currency else None,
        billed_minor=billed,
        perfect_minor=perfect,
        count_everything_minor=everything,
        billed_on_invalid_minor=billed_invalid,
        cheaters=cheaters,
        prices_from=source,
    )


def _confusion(joined: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Labelled primary reason (or valid) × each predicted reason (or valid)."""
    exploded = joined.select(
        labelled=pl.col("reason"),
        predicted=pl.when((pl.col("verdict") == "valid") | (pl.col("reasons").list.len() == 0))
        .then(pl.lit(["valid"]))
        .otherwise(pl.col("reasons")),
    ).explode("predicted")
    counts = exploded.group_by("labelled", "predicted").len().sort("labelled", "predicted")
    table: dict[str, dict[str, int]] = {}
    for row in counts.iter_rows(named=True):
        table.setdefault(row["labelled"], {})[row["predicted"]] = int(row["len"])
    return table


def _cheaters(money: pl.DataFrame, prices: Prices) -> list[InfluencerMoney]:
    rows = (
        money.filter(pl.col("cheater"))
        .group_by("influencer_label", "campaign")
        .agg(
            clicks=pl.len(),
            labelled_invalid=(pl.col("label") == "invalid").sum(),
            billed_clicks=(pl.col("billing") == "billed").sum(),
            billed_minor=pl.col("billed").sum(),
            perfect_minor=pl.when(pl.col("label") == "valid")
            .then(pl.col("price"))
            .otherwise(0)
            .sum(),
        )
        # Ties in a fixed order (group_by's own order is not): the report is reproducible.
        .sort(
            ["billed_minor", "influencer_label", "campaign"],
            descending=[True, False, False],
            nulls_last=True,
        )
    )
    out = []
    for r in rows.iter_rows(named=True):
        payout = prices.payout(r["campaign"], r["influencer_label"])
        out.append(
            InfluencerMoney(
                influencer=r["influencer_label"],
                clicks=int(r["clicks"]),
                labelled_invalid=int(r["labelled_invalid"]),
                billed_clicks=int(r["billed_clicks"]),
                billed_minor=int(r["billed_minor"]),
                paid_minor=None if payout is None else payout * int(r["billed_clicks"]),
                perfect_minor=int(r["perfect_minor"]),
            )
        )
    return out


def _read_world(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise EvaluationError(f"{path}: no such world file")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except yaml.YAMLError as error:
        raise EvaluationError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise EvaluationError(f"{path}: a world file is a mapping")
    return data


def tier_of(accounts: list[dict[str, Any]]) -> Tier:
    """An influencer's tier from the followers of all their accounts."""
    return tier_for_reach(sum(int(a.get("followers", 0)) for a in accounts))
