"""Rules for campaigns: creation, changes, lifecycle. Services never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Organisation
from fairclick.campaigns.models import Campaign
from fairclick.campaigns.rules import check_transition
from fairclick.campaigns.schemas import CampaignFields, CampaignIn, CampaignUpdate, check_coherence
from fairclick.domain.errors import Conflict, InvalidInput, NotFound
from fairclick.domain.ids import new_code, slugify
from fairclick.links.service import refresh_targets
from fairclick.redirect.invalidation import touch_link_cache

DEFAULT_COMMISSION_PERCENT = 30


def get_campaign_by_key(session: Session, key: str) -> Campaign:
    """The campaign with `key`, or `NotFound`."""
    found = session.scalar(select(Campaign).where(Campaign.key == key))
    if found is None:
        raise NotFound(f"no campaign with key {key!r}")
    return found


def _cards(data: CampaignFields) -> dict[str, object]:
    values: dict[str, object] = {}
    if data.payout_by_tier is not None:
        values["payout_by_tier"] = {t.value: v for t, v in data.payout_by_tier.items()}
    if data.advertiser_price_by_tier is not None:
        values["advertiser_price_by_tier"] = {
            t.value: v for t, v in data.advertiser_price_by_tier.items()
        }
    return values


def create_campaign(session: Session, data: CampaignIn, organisation: Organisation) -> Campaign:
    """A new campaign of `organisation`. The key defaults to a unique slug of the name."""
    key = data.key or f"{slugify(data.name, 48)}-{new_code(8).lower()}"
    if session.scalar(select(Campaign.id).where(Campaign.key == key)) is not None:
        raise Conflict(f"a campaign with key {key!r} exists", field="key")
    campaign = Campaign(
        key=key,
        organisation_id=organisation.id,
        name=data.name,
        slug=slugify(data.name),
        destination_url=data.destination_url,
        fallback_url=data.fallback_url,
        currency=data.currency,
        # Without an explicit price the platform's default commission applies.
        commission_percent=(
            data.commission_percent
            if data.commission_percent is not None or data.advertiser_price_by_tier
            else DEFAULT_COMMISSION_PERCENT
        ),
        budget_minor=data.budget,
        daily_cap_minor=data.daily_cap,
        influencer_cap_minor=data.influencer_cap,
        start_at=data.start,
        end_at=data.end,
        timezone=data.timezone or "UTC",
        dedupe_window_hours=24 if data.dedupe_window_hours is None else data.dedupe_window_hours,
        allowed_networks=[n.value for n in data.allowed_networks or []],
        target_countries=list(data.target_countries or []),
        min_followers=data.min_followers or 0,
        openness=(data.openness or "on_approval"),
        strictness=(data.strictness or "standard"),
        hold_days=14 if data.hold_days is None else data.hold_days,
        allow_list=list(data.allow_list or []),
        violation_limit=data.violation_limit or 2,
        status=data.status.value,
        **_cards(data),
    )
    session.add(campaign)
    session.flush()
    return campaign


_COLUMN = {
    "budget": "budget_minor",
    "daily_cap": "daily_cap_minor",
    "influencer_cap": "influencer_cap_minor",
    "start": "start_at",
    "end": "end_at",
}


def update_campaign(session: Session, campaign: Campaign, data: CampaignUpdate) -> Campaign:
    """Apply the given fields, re-checking the cross-field rules against the stored values."""
    given = data.model_dump(exclude_unset=True)
    if not given:
        return campaign
    merged = CampaignFields.model_validate(
        {
            "payout_by_tier": campaign.payout_by_tier,
            "advertiser_price_by_tier": campaign.advertiser_price_by_tier,
            "commission_percent": campaign.commission_percent,
            "budget": campaign.budget_minor,
            "daily_cap": campaign.daily_cap_minor,
            "influencer_cap": campaign.influencer_cap_minor,
            "start": campaign.start_at,
            "end": campaign.end_at,
        }
        | {k: getattr(data, k) for k in given}
    )
    try:
        check_coherence(merged)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    for name in given:
        value = getattr(data, name)
        if name in ("payout_by_tier", "advertiser_price_by_tier"):
            continue
        if name == "allowed_networks":
            value = [n.value for n in value or []]
        elif name in ("openness", "strictness") and value is not None:
            value = value.value
        setattr(campaign, _COLUMN.get(name, name), value)
    for column, card in _cards(data).items():
        setattr(campaign, column, card)
    if "name" in given:
        campaign.slug = slugify(campaign.name)
    changed = session.is_modified(campaign)
    if "destination_url" in given or "name" in given:
        refresh_targets(session, campaign)
    session.flush()
    if changed:
        touch_link_cache(session)  # redirects re-read the campaign (status, dates, fallback)
    return campaign


def change_status(session: Session, campaign: Campaign, target: str) -> Campaign:
    """Move the campaign along its lifecycle; illegal transitions are refused."""
    campaign.status = check_transition(campaign.status, target).value
    session.flush()
    touch_link_cache(session)
    return campaign
