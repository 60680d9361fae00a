"""Time spent per named step of the click path (wall and CPU seconds), for the demo's and the
benches' breakdowns. Each step is timed once per batch, never per click, so timing costs
nothing measurable."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class StageTimes:
    """Wall and CPU seconds (`time.process_time`: every thread of the process) per step, in
    the order the steps first ran."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the time the block takes to step `name`."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, time.process_time() - cpu)

    def add(self, name: str, wall: float, cpu: float) -> None:
        """Add measured seconds to step `name`."""
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def rows(self) -> list[tuple[str, float, float]]:
        """(step, wall seconds, CPU seconds) in the order the steps first ran."""
        return [(name, self.wall[name], self.cpu[name]) for name in self.wall]
