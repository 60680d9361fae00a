"""Traffic simulator and evaluator: seeded scenarios → a world file, a labelled click log, and
the comparison of the platform's verdicts with the labels (docs/simulate.md)."""
