"""What the validator may know besides the clicks: campaign policies and platform evidence.

Event time is always the clicks' own `ts`; nothing here holds a wall clock. The live worker and
`fairclick ingest` build a platform context (`platform=True`) from the database; `fairclick
audit` uses `ValidationContext.audit()`, where rules that need platform data are not applied and
dedupe uses (visitor, URL path) instead of (visitor, link).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType


class Strictness(StrEnum):
    """What a campaign counts as invalid versus only flagged for review.

    Every rule hit has a strength (certain, strong, weak). strict: all hits invalidate;
    standard: certain and strong invalidate, weak ones are flagged; lenient: only certain hits
    invalidate, strong and weak ones are flagged."""

    STRICT = "strict"
    STANDARD = "standard"
    LENIENT = "lenient"

    def invalidates(self, strength: str) -> bool:
        """Whether a hit of `strength` makes the click invalid under this strictness."""
        if self is Strictness.STRICT:
            return True
        if self is Strictness.STANDARD:
            return strength != "weak"
        return strength == "certain"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class CampaignPolicy:
    """Per-campaign validation settings. `allow_cidrs` / `allow_ua_substrings`: traffic that is
    never invalid (e.g. the advertiser's own monitoring); the rules' hits are still shown."""

    dedupe_window: timedelta = timedelta(hours=24)
    strictness: Strictness = Strictness.STANDARD
    allow_cidrs: tuple[str, ...] = ()
    allow_ua_substrings: tuple[str, ...] = ()
    target_countries: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.dedupe_window <= timedelta(0):
            raise ValueError("dedupe_window must be positive")
        nets = tuple(ipaddress.ip_network(c, strict=False) for c in self.allow_cidrs)
        object.__setattr__(self, "networks", nets)

    def allows(
        self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None, ua: str
    ) -> str | None:
        """The allow-list entry that covers this request, if any."""
        if ip is not None:
            for net in self.networks:
                if ip.version == net.version and ip in net:
                    return f"ip {net}"
        lowered = ua.lower()
        for sub in self.allow_ua_substrings:
            if sub and sub.lower() in lowered:
                return f"user agent contains {sub!r}"
        return None


@dataclass(frozen=True, slots=True)
class SelfClickEvidence:
    """What identifies an influencer's own devices: visitor ids of their logged-in sessions,
    keyed hashes of their session IPs, and (IP prefix, user agent) pairs of declared devices."""

    visitor_ids: frozenset[str] = frozenset()
    ip_hashes: frozenset[str] = frozenset()
    prefix_user_agents: frozenset[tuple[str, str]] = frozenset()


_NO_POLICIES: Mapping[int, CampaignPolicy] = MappingProxyType({})
_NO_SELF: Mapping[int, SelfClickEvidence] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ValidationContext:
    """The read-only view of the platform a batch is validated against.

    `headers_recorded=False` says the source did not record request headers (a combined log):
    header-based signals (missing Sec-Fetch / Accept-Language) are then not used.
    `batch_seq`: this batch's number in journal order, for shared-state ordering (RedisState)."""

    platform: bool = True
    policies: Mapping[int, CampaignPolicy] = field(default_factory=lambda: _NO_POLICIES)
    default_policy: CampaignPolicy = field(default_factory=CampaignPolicy)
    self_clicks: Mapping[int, SelfClickEvidence] = field(default_factory=lambda: _NO_SELF)
    incited_posts: frozenset[int] = frozenset()
    headers_recorded: bool = True
    batch_seq: int | None = None

    @classmethod
    def audit(
        cls, *, headers_recorded: bool = False, policy: CampaignPolicy | None = None
    ) -> ValidationContext:
        """A context with no platform around it (`fairclick audit`)."""
        return cls(
            platform=False,
            default_policy=policy or CampaignPolicy(),
            headers_recorded=headers_recorded,
        )

    def policy_for(self, campaign_id: int | None) -> CampaignPolicy:
        """The campaign's policy, else the default."""
        if campaign_id is None:
            return self.default_policy
        return self.policies.get(campaign_id, self.default_policy)

    def with_seq(self, seq: int | None) -> ValidationContext:
        """The same context for batch number `seq`."""
        return ValidationContext(
            self.platform,
            self.policies,
            self.default_policy,
            self.self_clicks,
            self.incited_posts,
            self.headers_recorded,
            seq,
        )
