"""Recent state for the validator: `RecentState` with memory and Redis implementations."""

from __future__ import annotations

from fairclick.config import Settings
from fairclick.validation.state.base import RecentState, StateUnavailable, event_seconds, state_key
from fairclick.validation.state.memory import MemoryState

__all__ = [
    "MemoryState",
    "RecentState",
    "StateUnavailable",
    "event_seconds",
    "make_state",
    "state_key",
]


def make_state(settings: Settings, prefix: str = "fairclick:v:") -> RecentState:
    """Redis when `settings.redis_url` is set (shared between workers), else in-process."""
    if settings.redis_url:
        from fairclick.validation.state.redis import RedisState

        return RedisState(settings.redis_url, prefix)
    return MemoryState()
