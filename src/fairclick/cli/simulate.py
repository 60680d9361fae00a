"""`fairclick simulate` and `fairclick evaluate`: labelled traffic, and how well it was judged."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from fairclick.cli.common import console, fail, say
from fairclick.simulate import EvaluationError, ScenarioError, evaluate, load_scenario, run
from fairclick.simulate.output import RunSummary
from fairclick.simulate.scenario import Scenario


def scenario_or_fail(path: str | None) -> Scenario:
    """The scenario (a file or a built-in name), or one error line."""
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise fail(str(exc)) from None


def simulate_to(scenario: Scenario, out: Path, clicks: int | None) -> RunSummary:
    """Generate the scenario into `out` with a progress bar."""
    bar = Progress(
        TextColumn("simulate"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task("simulate", total=clicks)
        try:
            return run(
                scenario,
                out,
                clicks=clicks,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except (ScenarioError, OSError) as exc:
            raise fail(str(exc)) from None


def simulate_command(
    scenario: str | None = typer.Option(
        None, "--scenario", help="Scenario file or built-in name (default: primaire-2017)."
    ),
    out: Path = typer.Option(Path("var/simulation"), "--out", help="Folder for the three files."),
    clicks: int | None = typer.Option(
        None, "--clicks", min=1, max=50_000_000, help="Number of clicks (default: the scenario's)."
    ),
) -> None:
    """Build a world and labelled traffic from a scenario, deterministic for its seed.

    Writes world.yaml (for `fairclick load`), clicks.jsonl (for `fairclick ingest`) and
    labels.jsonl (the ground truth, for `fairclick evaluate`).
    """
    summary = simulate_to(scenario_or_fail(scenario), out, clicks)
    say(
        f"{summary.scenario} (seed {summary.seed}): {summary.clicks:,} clicks, "
        f"{summary.invalid:,} labelled invalid, in {summary.seconds:.1f} s"
    )
    say(
        f"world: {summary.world_path}\nclicks: {summary.clicks_path}\nlabels: {summary.labels_path}"
    )


def evaluate_command(
    labels: Path = typer.Argument(..., help="labels.jsonl written by `fairclick simulate`."),
    export: Path = typer.Option(
        ..., "--export", help="The platform's verdicts: `fairclick export clicks` output (JSONL)."
    ),
    world: Path | None = typer.Option(
        None, "--world", help="The simulated world.yaml (exact prices for the money figures)."
    ),
    out: Path = typer.Option(
        Path("evaluation.json"), "--out", help="Where to save the figures as JSON."
    ),
) -> None:
    """Compare the platform's verdicts with the labels: precision, recall and F1 of "invalid"
    overall, per reason and per MRC class, confusions, and money (billed versus perfect)."""
    try:
        report = evaluate(export, labels, world)
    except EvaluationError as exc:
        raise fail(str(exc)) from None
    report.render(console)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.to_json(), encoding="utf-8")
    say(f"saved {out}")
