"""When people click: a diurnal and weekly activity curve in the campaign's time zone, applied
by thinning (draw a time, keep it with the curve's probability), vectorised."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

if TYPE_CHECKING:
    from fairclick.simulate.scenario import Campaign

HOUR_US = 3_600_000_000
# Share of daily web activity by local hour (people sleep 2-6, read at lunch and evening).
DIURNAL = np.array(
    [
        0.35,
        0.2,
        0.12,
        0.08,
        0.07,
        0.1,
        0.25,
        0.5,
        0.7,
        0.8,
        0.85,
        0.9,
        1.0,
        0.95,
        0.85,
        0.85,
        0.9,
        0.95,
        1.0,
        1.0,
        1.0,
        0.95,
        0.8,
        0.55,
    ]
)


@dataclass(frozen=True, slots=True)
class Clock:
    """The campaign's window (µs since the epoch, UTC) and its activity curve by UTC hour."""

    start_us: int
    end_us: int
    activity: np.ndarray  # acceptance probability for each hour since start

    @classmethod
    def for_campaign(cls, campaign: Campaign, weekend_factor: float) -> Clock:
        zone = ZoneInfo(campaign.timezone)
        start = campaign.start
        hours = campaign.days * 24
        activity = np.empty(hours)
        for h in range(hours):
            local = (start + timedelta(hours=h)).astimezone(zone)
            factor = weekend_factor if local.weekday() >= 5 else 1.0
            activity[h] = DIURNAL[local.hour] * factor
        activity /= activity.max()
        start_us = int(start.timestamp() * 1_000_000)
        return cls(start_us, start_us + hours * HOUR_US, activity)

    @property
    def start_dt(self) -> datetime:
        return datetime.fromtimestamp(self.start_us / 1e6, tz=UTC)

    @property
    def end_dt(self) -> datetime:
        return datetime.fromtimestamp(self.end_us / 1e6, tz=UTC)

    def keep(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """Mask of times kept by thinning; times outside the window are never kept."""
        inside = (t >= self.start_us) & (t < self.end_us)
        hour = np.clip((t - self.start_us) // HOUR_US, 0, len(self.activity) - 1)
        return inside & (rng.random(t.shape[0]) < self.activity[hour])

    def thinned(
        self,
        rng: np.random.Generator,
        base: np.ndarray,
        delay: Callable[[int], np.ndarray],
        rounds: int = 60,
    ) -> np.ndarray:
        """`base + delay` for each base, redrawn until the activity curve keeps it. After
        `rounds` the leftovers (posts at the very end of the window) are clamped inside."""
        out = np.empty(base.shape[0], dtype=np.int64)
        todo = np.arange(base.shape[0])
        for _ in range(rounds):
            if todo.size == 0:
                return out
            t = base[todo] + delay(todo.size).astype(np.int64)
            ok = self.keep(rng, t)
            out[todo[ok]] = t[ok]
            todo = todo[~ok]
        out[todo] = np.clip(base[todo], self.start_us, self.end_us - 1)
        return out

    def uniform(self, rng: np.random.Generator, n: int, diurnal: bool = True) -> np.ndarray:
        """`n` times spread over the window, following the activity curve if `diurnal`."""
        span = self.end_us - self.start_us
        base = np.full(n, self.start_us, dtype=np.int64)
        if not diurnal:
            return base + (rng.random(n) * span).astype(np.int64)
        return self.thinned(rng, base, lambda k: rng.random(k) * span)

    def post_times(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Publication times of posts: over the first 85 % of the window, in waking hours."""
        span = int((self.end_us - self.start_us) * 0.85)
        base = np.full(n, self.start_us, dtype=np.int64)
        out = self.thinned(rng, base, lambda k: rng.random(k) * span)
        # Posts are published on the minute.
        return out - out % 60_000_000

    def after(
        self, rng: np.random.Generator, base: np.ndarray, half_life_hours: np.ndarray | float
    ) -> np.ndarray:
        """Times after `base` with an exponential decay of the given half-life, and a tail of
        late readers (a fifth of them, lognormal around ten half-lives)."""
        scale = np.broadcast_to(np.asarray(half_life_hours, dtype=float), base.shape).copy()
        mean = scale * HOUR_US / np.log(2)

        out = np.empty(base.shape[0], dtype=np.int64)
        todo = np.arange(base.shape[0])
        for _ in range(60):
            if todo.size == 0:
                return out
            m = mean[todo]
            late = rng.random(todo.size) < 0.2
            d = np.where(
                late,
                m * 10 * rng.lognormal(0.0, 0.8, todo.size),
                rng.exponential(1.0, todo.size) * m,
            )
            t = base[todo] + 1_000_000 + d.astype(np.int64)
            ok = self.keep(rng, t)
            out[todo[ok]] = t[ok]
            todo = todo[~ok]
        out[todo] = np.clip(base[todo] + 60_000_000, self.start_us, self.end_us - 1)
        return out
