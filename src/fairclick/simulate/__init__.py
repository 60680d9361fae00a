"""Traffic simulator and evaluator: seeded scenarios → a world file, a labelled click log, and
the comparison of the platform's verdicts with the labels (docs/simulate.md).

The public entry points, for the commands `fairclick simulate`, `evaluate` and `demo`:
`load_scenario`, `run`, `generate`, `iter_events`, `drive_live`, `evaluate`."""

from fairclick.simulate.evaluate import EvaluationReport, evaluate
from fairclick.simulate.evaluate_io import EvaluationError
from fairclick.simulate.generate import Generated, generate
from fairclick.simulate.live import LiveDriveError, LiveSummary, drive_live
from fairclick.simulate.output import RunSummary, iter_events, run
from fairclick.simulate.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario

__all__ = [
    "EvaluationError",
    "EvaluationReport",
    "Generated",
    "LiveDriveError",
    "LiveSummary",
    "RunSummary",
    "Scenario",
    "ScenarioError",
    "builtin_scenarios",
    "drive_live",
    "evaluate",
    "generate",
    "iter_events",
    "load_scenario",
    "run",
]
