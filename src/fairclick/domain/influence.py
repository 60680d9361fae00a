"""Social networks and influencer tiers derived from reach."""

from __future__ import annotations

from enum import StrEnum


class Network(StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    TWITCH = "twitch"
    SNAPCHAT = "snapchat"
    MASTODON = "mastodon"
    OTHER = "other"

    @classmethod
    def parse(cls, value: str) -> Network:
        """Accept the usual aliases (`twitter` → `x`); raise ValueError for anything else."""
        key = value.strip().lower()
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(n.value for n in cls)
            raise ValueError(f"unknown network {value!r} (one of: {allowed})") from None


_ALIASES = {"twitter": "x", "fb": "facebook", "ig": "instagram", "yt": "youtube"}


class Tier(StrEnum):
    NANO = "nano"
    MICRO = "micro"
    MACRO = "macro"
    MEGA = "mega"


# Lower bounds of total followers for each tier (industry convention).
TIER_THRESHOLDS: tuple[tuple[int, Tier], ...] = (
    (1_000_000, Tier.MEGA),
    (100_000, Tier.MACRO),
    (10_000, Tier.MICRO),
    (0, Tier.NANO),
)


def tier_for_reach(followers: int) -> Tier:
    """The tier for a total follower count: nano < 10k ≤ micro < 100k ≤ macro < 1M ≤ mega."""
    for floor, tier in TIER_THRESHOLDS:
        if followers >= floor:
            return tier
    return Tier.NANO
