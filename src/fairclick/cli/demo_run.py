"""The demo's main job: simulate the 2017 story, put every click through the real platform path
(load → ingest → validation → retro-analysis → ledger), then print the headline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fairclick.accounts.models import Role
from fairclick.accounts.schemas import UserIn
from fairclick.accounts.service import create_user, get_user_by_email
from fairclick.cli.common import console, say
from fairclick.clicks.export import EXPORT_SCHEMA, click_frames, write_jsonl_frames
from fairclick.clicks.ingest import IngestSummary, ingest
from fairclick.clicks.pipeline import default_biller, default_validator
from fairclick.clicks.timing import StageTimes
from fairclick.clicks.worker import ClickWorker
from fairclick.config import Settings
from fairclick.domain.money import Money
from fairclick.domain.reasons import Reason
from fairclick.simulate import EvaluationReport
from fairclick.simulate.evaluate import evaluate_frames
from fairclick.simulate.output import RunSummary
from fairclick.store import Database
from fairclick.world.loader import apply_world

ADMIN = ("admin@fairclick.example", "admin-demo-pass")
KEPT = ("id", "campaign", "influencer", "verdict", "reasons", "billing", "amount_minor", "currency")


@dataclass
class DemoResult:
    simulated: RunSummary
    ingested: IngestSummary
    report: EvaluationReport
    export_path: Path
    times: StageTimes
    """Wall and CPU seconds per step, from simulate to evaluate."""
    export: pl.DataFrame
    """The exported clicks' columns `KEPT` (what the headline counts)."""


def run_pipeline(
    config: Settings, db: Database, sim: RunSummary, folder: Path, times: StageTimes | None = None
) -> DemoResult:
    """Load the simulated world, ingest its click log through the worker, export and evaluate;
    each step's time is added to `times`."""
    times = times if times is not None else StageTimes()
    with (
        console.status("loading the world (and judging every post against the policy)…"),
        times.stage("load the world"),
        db.session() as session,
    ):
        apply_world(session, Path(sim.world_path).read_text(encoding="utf-8"),
                    secret_key=config.secret_key)  # fmt: skip
        if get_user_by_email(session, ADMIN[0]) is None:
            create_user(session, UserIn(email=ADMIN[0], role=Role.ADMIN, password=ADMIN[1]))
    worker = ClickWorker(db, default_validator(config), default_biller(), times=times,
                         secret_key=config.secret_key, clock=None, batch_size=5000)  # fmt: skip
    clicks_path = Path(sim.clicks_path)
    with (
        clicks_path.open("rb") as raw,
        Progress(
            TextColumn("clicks through validation and billing"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar,  # fmt: skip
    ):
        task = bar.add_task("ingest", total=clicks_path.stat().st_size)
        ingested = ingest(db, raw, worker,
                          progress=lambda _n: bar.update(task, completed=raw.tell()))  # fmt: skip
    return export_and_evaluate(db, sim, folder, ingested, times)


def export_and_evaluate(
    db: Database, sim: RunSummary, folder: Path, ingested: IngestSummary, times: StageTimes
) -> DemoResult:
    """Export the judged clicks to `folder`/export.jsonl and score them against the labels.
    The columns the evaluation and the headline need are kept from the frames written, so
    that neither reads the file back."""
    export_path = folder / "export.jsonl"
    kept: list[pl.DataFrame] = []

    def keeping(parts: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for part in parts:
            kept.append(part.select(KEPT))
            yield part

    with times.stage("export"), export_path.open("wb") as out:
        write_jsonl_frames(keeping(click_frames(db)), out)
        export = pl.concat(kept) if kept else pl.DataFrame(schema=EXPORT_SCHEMA).select(KEPT)
    with times.stage("evaluate"):
        report = evaluate_frames(export, sim.labels_path, sim.world_path)
    return DemoResult(sim, ingested, report, export_path, times, export)


def headline(result: DemoResult) -> None:
    """What fairclick is for, in one screen."""
    report, ingested = result.report, result.ingested
    total = ingested.valid + ingested.invalid
    say(
        f'\n{total:,} clicks received (the campaign boasted of "more than a million '
        f'connections"): {ingested.valid:,} valid ({ingested.valid / max(total, 1):.1%}), '
        f"{ingested.invalid:,} invalid."
    )
    reasons = Table(title="invalid clicks by reason")
    for column in ("reason", "class", "clicks", "share"):
        reasons.add_column(column, justify="right" if column in ("clicks", "share") else "left")
    counts = result.export.select(
        pl.col("reasons").explode().drop_nulls().value_counts(sort=True)
    ).unnest("reasons")
    for code, count in counts.iter_rows():
        reason = Reason(code)
        reasons.add_row(code, reason.ivt_class.value, f"{count:,}", f"{count / max(total, 1):.1%}")
    console.print(reasons)
    currency = report.currency or "EUR"
    billed = Money(report.billed_minor, currency).format()
    everything = Money(report.count_everything_minor, currency).format()
    perfect = Money(report.perfect_minor, currency).format()
    say(
        f"The advertiser is billed {billed}; a count-everything platform would bill {everything}; "
        f"a perfect validator would bill {perfect}."
    )
    worst = _worst(result.export)
    table = Table(title="the five worst influencers")
    for column in ("influencer", "clicks", "invalid", "mostly"):
        table.add_column(column)
    for row in worst.iter_rows(named=True):
        table.add_row(row["influencer"], f"{row['clicks']:,}", f"{row['invalid_share']:.0%}",
                      ", ".join(row["top"]))  # fmt: skip
    console.print(table)
    inv = report.overall
    say(
        f"Against the simulator's labels: precision {inv.precision:.3f}, recall {inv.recall:.3f}, "
        f"genuine clicks wrongly rejected {report.false_rejection_rate:.2%}."
    )
    console.print(time_table(result.times, total))


def time_table(times: StageTimes, clicks: int) -> Table:
    """Wall and CPU seconds per step, and clicks per CPU second (the machine may be shared:
    CPU time is the figure that does not depend on what else runs)."""
    table = Table(title=f"time per step ({clicks:,} clicks)")
    for column in ("step", "wall s", "CPU s", "clicks per CPU s"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, wall, cpu in times.rows():
        table.add_row(name, f"{wall:.1f}", f"{cpu:.1f}", f"{clicks / cpu:,.0f}" if cpu else "—")
    wall, cpu = sum(times.wall.values()), sum(times.cpu.values())
    table.add_row("total", f"{wall:.1f}", f"{cpu:.1f}", f"{clicks / cpu:,.0f}" if cpu else "—")
    return table


def _worst(export: pl.DataFrame) -> pl.DataFrame:
    frame = export.filter(pl.col("influencer").is_not_null())
    per = frame.group_by("influencer").agg(
        pl.len().alias("clicks"), (pl.col("verdict") == "invalid").mean().alias("invalid_share")
    )
    tops = (
        frame.filter(pl.col("verdict") == "invalid")
        .explode("reasons")
        .group_by("influencer", "reasons")
        .len()
        .sort(["influencer", "len"], descending=[False, True])
        .group_by("influencer", maintain_order=True)
        .agg(pl.col("reasons").head(2).alias("top"))
    )
    return (
        per.filter(pl.col("clicks") >= 20)
        .join(tops, on="influencer", how="left")
        .with_columns(pl.col("top").fill_null([]))
        .sort(["invalid_share", "clicks"], descending=True)
        .head(5)
    )
