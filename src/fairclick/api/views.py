"""Rows → response objects. What a reader sees of a row is decided here, through the policy."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fairclick.accounts.models import ApiToken, Organisation, User
from fairclick.accounts.policy import Action, Actor, can
from fairclick.api import schemas as s
from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.clicks.models import Click
from fairclick.domain.influence import tier_for_reach
from fairclick.domain.reasons import Reason
from fairclick.influencers.models import Influencer
from fairclick.influencers.service import session_count, social_accounts
from fairclick.links.models import Link, Post
from fairclick.links.service import post_for_link


def organisation(org: Organisation) -> s.OrganisationOut:
    return s.OrganisationOut(
        id=org.id, key=org.key, name=org.name, country=org.country, created_at=org.created_at
    )


def user(row: User) -> s.UserOut:
    return s.UserOut(
        id=row.id,
        email=row.email,
        role=row.role,
        organisation_id=row.organisation_id,
        is_active=row.is_active,
        created_at=row.created_at,
    )


def token(row: ApiToken) -> s.TokenOut:
    return s.TokenOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def influencer(session: Session, actor: Actor | None, row: Influencer) -> s.InfluencerOut:
    """The profile; private fields only for the influencer themselves and operators."""
    accounts = social_accounts(session, row.id)
    followers = sum(a.followers for a in accounts)
    out = s.InfluencerOut(
        id=row.id,
        key=row.key,
        display_name=row.display_name,
        country=row.country,
        languages=list(row.languages or []),
        status=row.status,
        tier=tier_for_reach(followers).value,
        followers=followers,
        trust_score=row.trust_score,
        social_accounts=[
            s.SocialAccountOut(
                id=a.id,
                network=a.network,
                handle=a.handle,
                profile_url=a.profile_url,
                followers=a.followers,
            )
            for a in accounts
        ],
        created_at=row.created_at,
    )
    if can(actor, Action.INFLUENCER_READ_PRIVATE, row):
        login = session.get(User, row.user_id) if row.user_id is not None else None
        out.email = login.email if login else None
        out.session_count = session_count(session, row.id)
    return out


def campaign(actor: Actor | None, row: Campaign) -> s.CampaignOut:
    """The campaign; the advertiser's side only for its advertisers and operators."""
    out = s.CampaignOut(
        id=row.id,
        key=row.key,
        organisation_id=row.organisation_id,
        name=row.name,
        slug=row.slug,
        destination_url=row.destination_url,
        fallback_url=row.fallback_url,
        currency=row.currency,
        payout_by_tier=dict(row.payout_by_tier),
        start=row.start_at,
        end=row.end_at,
        timezone=row.timezone,
        dedupe_window_hours=row.dedupe_window_hours,
        allowed_networks=list(row.allowed_networks or []),
        target_countries=list(row.target_countries or []),
        min_followers=row.min_followers,
        openness=row.openness,
        status=row.status,
        strictness=row.strictness,
        hold_days=row.hold_days,
        violation_limit=row.violation_limit,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    if can(actor, Action.CAMPAIGN_READ_PRIVATE, row):
        out.advertiser_price_by_tier = (
            dict(row.advertiser_price_by_tier) if row.advertiser_price_by_tier else None
        )
        out.commission_percent = row.commission_percent
        out.budget = row.budget_minor
        out.daily_cap = row.daily_cap_minor
        out.influencer_cap = row.influencer_cap_minor
        out.allow_list = list(row.allow_list or [])
    return out


def enrolment(row: Enrolment) -> s.EnrolmentOut:
    return s.EnrolmentOut(
        id=row.id,
        campaign_id=row.campaign_id,
        influencer_id=row.influencer_id,
        status=row.status,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def link(session: Session, base_url: str, row: Link) -> s.LinkOut:
    post = post_for_link(session, row.id)
    return s.LinkOut(
        id=row.id,
        code=row.code,
        short_url=f"{base_url}/c/{row.code}",
        campaign_id=row.campaign_id,
        influencer_id=row.influencer_id,
        enrolment_id=row.enrolment_id,
        network=row.network,
        is_default=row.is_default,
        target_url=row.target_url,
        post_id=post.id if post else None,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def post(session: Session, base_url: str, row: Post) -> s.PostOut:
    its_link = session.get_one(Link, row.link_id)
    return s.PostOut(
        id=row.id,
        link_id=row.link_id,
        code=its_link.code,
        short_url=f"{base_url}/c/{its_link.code}",
        influencer_id=row.influencer_id,
        campaign_id=its_link.campaign_id,
        network=row.network,
        url=row.url,
        text=row.text,
        posted_at=row.posted_at,
        incitement_label=row.incitement_label,
        created_at=row.created_at,
    )


def _reason(code: str) -> s.ReasonOut:
    try:
        known = Reason(code)
    except ValueError:  # a code from a newer version: shown as it is
        return s.ReasonOut(code=code, ivt_class=None, meaning=None)
    return s.ReasonOut(code=code, ivt_class=known.ivt_class.value, meaning=known.meaning)


def click(actor: Actor | None, row: Click) -> s.ClickOut:
    """The click; its money only for those it concerns."""
    out = s.ClickOut(
        click_id=row.click_id,
        ts=row.ts,
        code=row.code,
        link_id=row.link_id,
        campaign_id=row.campaign_id,
        influencer_id=row.influencer_id,
        post_id=row.post_id,
        method=row.method,
        country=row.country,
        device=row.device,
        browser=row.browser,
        verdict=row.verdict,
        reasons=[_reason(code) for code in row.reasons or []],
        billing=row.billing,
        unbilled_cause=row.unbilled_cause,
        currency=row.currency,
    )
    if can(actor, Action.CLICK_READ_CHARGE, row):
        out.amount = row.amount_minor
    if can(actor, Action.CLICK_READ_PAYOUT, row):
        out.payout = row.payout_minor
    return out
