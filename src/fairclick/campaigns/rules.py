"""Pure campaign rules: lifecycle transitions, prices, eligibility of influencers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fairclick.campaigns.models import CampaignStatus
from fairclick.domain.errors import IllegalTransition
from fairclick.domain.influence import Tier
from fairclick.domain.money import Money

# draft → active ⇄ paused → ended; ended is final.
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.ACTIVE}),
    CampaignStatus.ACTIVE: frozenset({CampaignStatus.PAUSED, CampaignStatus.ENDED}),
    CampaignStatus.PAUSED: frozenset({CampaignStatus.ACTIVE, CampaignStatus.ENDED}),
    CampaignStatus.ENDED: frozenset(),
}


def check_transition(current: str, target: str) -> CampaignStatus:
    """Return the target status if the lifecycle allows it, else raise `IllegalTransition`."""
    source, goal = CampaignStatus(current), CampaignStatus(target)
    if goal not in TRANSITIONS[source]:
        allowed = ", ".join(sorted(TRANSITIONS[source])) or "nothing (ended is final)"
        raise IllegalTransition(f"a {source} campaign cannot become {goal}; allowed: {allowed}")
    return goal


def payout_for(payout_by_tier: Mapping[str, int], tier: Tier, currency: str) -> Money:
    """The influencer's payout per valid click for `tier`."""
    return Money(int(payout_by_tier[tier.value]), currency)


def price_for(
    payout_by_tier: Mapping[str, int],
    advertiser_price_by_tier: Mapping[str, int] | None,
    commission_percent: int | None,
    tier: Tier,
    currency: str,
) -> Money:
    """The advertiser's price per valid click for `tier`.

    An explicit advertiser price wins; otherwise the platform's commission is added on top of
    the payout (price = payout + payout × commission %, rounded half-even to the minor unit).
    """
    if advertiser_price_by_tier:
        return Money(int(advertiser_price_by_tier[tier.value]), currency)
    payout = payout_for(payout_by_tier, tier, currency)
    return payout + payout.percent(commission_percent or 0)


def eligibility_problems(
    *,
    followers: int,
    networks: Iterable[str],
    country: str,
    min_followers: int,
    allowed_networks: Iterable[str],
    target_countries: Iterable[str],
) -> list[str]:
    """Why an influencer does not meet a campaign's criteria (empty list: eligible)."""
    problems = []
    if followers < min_followers:
        problems.append(f"needs at least {min_followers} followers (has {followers})")
    allowed = set(allowed_networks)
    if allowed and not allowed & set(networks):
        problems.append(f"needs an account on one of: {', '.join(sorted(allowed))}")
    countries = set(target_countries)
    if countries and country not in countries:
        problems.append(f"campaign targets {', '.join(sorted(countries))}, not {country}")
    return problems
