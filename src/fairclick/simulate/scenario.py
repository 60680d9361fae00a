"""The scenario file: a seeded, documented description of a world and its traffic
(docs/simulate.md explains every field). Parsed into typed models; errors name the field."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Self

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from fairclick.domain.clock import ensure_utc
from fairclick.domain.influence import Network, Tier

Share = Annotated[float, Field(ge=0.0, le=1.0)]
UtcTime = Annotated[datetime, AfterValidator(ensure_utc)]
GENERATED_KINDS = (
    "returning",
    "duplicate",
    "preview",
    "crawler",
    "script",
    "datacenter_browser",
    "velocity",
    "click_farm",
    "incited",
    "click_ring",
    "self_click",
    "headless",
    "prefetch",
)


class ScenarioError(ValueError):
    """A scenario file that cannot be read or does not describe a valid scenario."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(_Model):
    key: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")


class Advertiser(_Model):
    email: str
    password: str = Field(min_length=8)


class Campaign(_Model):
    key: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str
    destination_url: str = Field(pattern=r"^https?://")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    payout_by_tier: dict[Tier, Annotated[int, Field(ge=0)]]
    commission_percent: int = Field(default=30, ge=0, le=500)
    budget: int = Field(gt=0)
    start: UtcTime
    days: int = Field(ge=1, le=90)
    timezone: str = "Europe/Paris"
    dedupe_window_hours: int = Field(default=24, ge=1, le=24 * 90)
    openness: str = "open"
    violation_limit: int | None = Field(default=None, ge=1, le=100)
    """Inciting posts before the platform suspends an enrolment (None: the platform's default)."""

    @model_validator(mode="after")
    def _full_card(self) -> Self:
        missing = [t.value for t in Tier if t not in self.payout_by_tier]
        if missing:
            raise ValueError(f"payout_by_tier misses {', '.join(missing)}")
        return self


class Influencers(_Model):
    count: int = Field(ge=1, le=100_000)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    tiers: dict[Tier, Share]
    networks: dict[Network, Share]
    posts: tuple[int, int] = (1, 4)
    """Per-post links per influencer: inclusive range."""
    password: str | None = Field(default=None, min_length=8)
    """When set, influencers get a login with this password (demo only)."""
    logins: int = Field(default=12, ge=0)
    """How many influencers get that login: half cheaters, half honest (password hashing is
    deliberately slow, so not all of them)."""


class Cheaters(_Model):
    inciting: int = Field(default=0, ge=0)
    """Influencers who publish inciting posts (pleading, pay per click, click-for-click)."""
    self_clickers: int = Field(default=0, ge=0)
    ring_groups: int = Field(default=0, ge=0)
    ring_size: int = Field(default=6, ge=2)
    farm_clients: int = Field(default=0, ge=0)
    """Influencers whose links a click farm is paid to hit."""
    farm_subnets: int = Field(default=6, ge=1)
    farm_user_agents: int = Field(default=20, ge=1)
    farm_interval_seconds: float = Field(default=20.0, gt=0)


class Traffic(_Model):
    clicks: int = Field(default=200_000, ge=1)
    """Default number of click records (`run(..., clicks=N)` overrides it)."""
    isps: dict[str, Share]
    """Residential/mobile pools of data/ip_ranges.csv and their shares of visitors."""
    mix: dict[str, Share]
    """Share of all records made by each invalid-traffic generator; organic is the rest."""
    virality_sigma: float = Field(default=1.3, gt=0, le=4)
    half_life_hours: dict[Network, Annotated[float, Field(gt=0)]]
    default_link_share: Share = 0.1
    """Share of organic clicks through the influencers' default (bio) links."""
    ipv6_share: Share = 0.0
    returning_delay_hours: float = Field(default=6.0, gt=0)
    weekend_factor: float = Field(default=0.85, gt=0)
    mastodon_share: Share = 0.05
    """Share of posts cross-posted to the fediverse (a fan-out of instance fetches)."""

    @model_validator(mode="after")
    def _mix(self) -> Self:
        unknown = sorted(set(self.mix) - set(GENERATED_KINDS))
        if unknown:
            raise ValueError(
                f"mix has unknown generator(s) {', '.join(unknown)} "
                f"(one of: {', '.join(GENERATED_KINDS)})"
            )
        if sum(self.mix.values()) >= 0.95:
            raise ValueError("mix shares add up to 0.95 or more: no room for organic traffic")
        return self


class Posts(_Model):
    link_base: str = "https://fclk.example/c/"
    legit: list[str] = Field(min_length=1)
    inciting: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)


class Scenario(_Model):
    name: str
    seed: int = Field(ge=0)
    organisation: Organisation
    advertiser: Advertiser
    campaign: Campaign
    influencers: Influencers
    cheaters: Cheaters = Cheaters()
    traffic: Traffic
    posts: Posts

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        c = self.cheaters
        needed = c.inciting + c.self_clickers + c.ring_groups * c.ring_size + c.farm_clients
        if needed > self.influencers.count:
            raise ValueError(
                f"cheaters need {needed} distinct influencers but influencers.count is "
                f"{self.influencers.count}"
            )
        if c.inciting and not self.posts.inciting:
            raise ValueError("cheaters.inciting > 0 needs posts.inciting texts")
        return self


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)


def parse_scenario(data: object, source: str = "scenario") -> Scenario:
    """Validate a decoded scenario document; raise ScenarioError naming the bad field(s)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level")
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(f"{source}: {_describe(error)}") from None


def builtin_scenarios() -> list[str]:
    """Names of the scenario files shipped in the package."""
    folder = resources.files("fairclick.simulate") / "scenarios"
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load a scenario from a file, or a built-in one by name (`primaire-2017`), or the default.

    Raises ScenarioError with the file and the field for anything that is wrong."""
    if path is None:
        path = "primaire-2017.yaml"
    candidate = Path(path)
    if candidate.is_file():
        text, source = candidate.read_text(encoding="utf-8"), str(candidate)
    else:
        name = candidate.name if candidate.name.endswith(".yaml") else f"{candidate.name}.yaml"
        if str(candidate) not in (candidate.name, name) or name not in builtin_scenarios():
            raise ScenarioError(
                f"{path}: no such file (built-in scenarios: {', '.join(builtin_scenarios())})"
            )
        resource = resources.files("fairclick.simulate") / "scenarios" / name
        text, source = resource.read_text(encoding="utf-8"), name
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(f"{source}: not valid YAML ({error})") from None
    return parse_scenario(data, source)
