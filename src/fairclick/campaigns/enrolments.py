"""Rules for enrolments: invite, apply, approve, reject, suspend.

An open campaign admits influencers who meet its criteria at once; `on_approval` waits for the
advertiser; `invite_only` admits only those invited. Approval gives the influencer a default link.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.campaigns.models import (
    Campaign,
    CampaignStatus,
    Enrolment,
    EnrolmentStatus,
    Openness,
)
from fairclick.campaigns.rules import eligibility_problems
from fairclick.domain.errors import Conflict, Forbidden, IllegalTransition
from fairclick.influencers.models import Influencer, InfluencerStatus
from fairclick.influencers.service import social_accounts
from fairclick.links.service import ensure_default_link, set_links_disabled


def find_enrolment(session: Session, campaign_id: int, influencer_id: int) -> Enrolment | None:
    """The enrolment of that influencer in that campaign, if any."""
    return session.scalar(
        select(Enrolment).where(
            Enrolment.campaign_id == campaign_id, Enrolment.influencer_id == influencer_id
        )
    )


def check_eligible(session: Session, campaign: Campaign, influencer: Influencer) -> None:
    """Raise `Forbidden` naming every criterion of the campaign the influencer does not meet."""
    if influencer.status != InfluencerStatus.ACTIVE:
        raise Forbidden(f"the influencer's profile is {influencer.status}, not active")
    accounts = social_accounts(session, influencer.id)
    problems = eligibility_problems(
        followers=sum(a.followers for a in accounts),
        networks=[a.network for a in accounts],
        country=influencer.country,
        min_followers=campaign.min_followers,
        allowed_networks=campaign.allowed_networks,
        target_countries=campaign.target_countries,
    )
    if problems:
        raise Forbidden("not eligible: " + "; ".join(problems))


def _approve(session: Session, enrolment: Enrolment, now: datetime) -> Enrolment:
    enrolment.status = EnrolmentStatus.APPROVED.value
    enrolment.decided_at = now
    session.flush()
    ensure_default_link(session, enrolment)
    return enrolment


def invite(
    session: Session, campaign: Campaign, influencer: Influencer, now: datetime
) -> Enrolment:
    """The advertiser invites an influencer; one who had applied is approved at once."""
    if campaign.status == CampaignStatus.ENDED:
        raise Conflict("the campaign has ended")
    existing = find_enrolment(session, campaign.id, influencer.id)
    if existing is None:
        enrolment = Enrolment(
            campaign_id=campaign.id, influencer_id=influencer.id, status=EnrolmentStatus.INVITED
        )
        session.add(enrolment)
        session.flush()
        return enrolment
    if existing.status == EnrolmentStatus.APPLIED:
        return _approve(session, existing, now)
    return existing


def apply(session: Session, campaign: Campaign, influencer: Influencer, now: datetime) -> Enrolment:
    """The influencer asks to join (or accepts an invitation)."""
    if campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.DRAFT):
        raise Conflict(f"the campaign is {campaign.status}: it takes no new influencers")
    existing = find_enrolment(session, campaign.id, influencer.id)
    if existing is not None:
        if existing.status == EnrolmentStatus.INVITED:
            check_eligible(session, campaign, influencer)
            return _approve(session, existing, now)
        if existing.status in (EnrolmentStatus.REJECTED, EnrolmentStatus.SUSPENDED):
            raise Forbidden(f"the enrolment was {existing.status}")
        return existing
    if campaign.openness == Openness.INVITE_ONLY:
        raise Forbidden("this campaign is by invitation only")
    check_eligible(session, campaign, influencer)
    enrolment = Enrolment(
        campaign_id=campaign.id, influencer_id=influencer.id, status=EnrolmentStatus.APPLIED
    )
    session.add(enrolment)
    session.flush()
    if campaign.openness == Openness.OPEN:
        return _approve(session, enrolment, now)
    return enrolment


_DECISIONS: dict[str, frozenset[str]] = {
    EnrolmentStatus.APPROVED: frozenset(
        {EnrolmentStatus.APPLIED, EnrolmentStatus.INVITED, EnrolmentStatus.SUSPENDED}
    ),
    EnrolmentStatus.REJECTED: frozenset({EnrolmentStatus.APPLIED, EnrolmentStatus.INVITED}),
    EnrolmentStatus.SUSPENDED: frozenset({EnrolmentStatus.APPROVED}),
}


def decide(session: Session, enrolment: Enrolment, target: str, now: datetime) -> Enrolment:
    """Approve, reject or suspend an enrolment (the advertiser's or operator's decision)."""
    goal = EnrolmentStatus(target)
    allowed_from = _DECISIONS.get(goal)
    if allowed_from is None or enrolment.status not in allowed_from:
        raise IllegalTransition(f"an enrolment that is {enrolment.status} cannot become {goal}")
    if goal == EnrolmentStatus.APPROVED:
        if enrolment.status == EnrolmentStatus.SUSPENDED:
            set_links_disabled(session, enrolment, None)  # reinstated: the same links count again
        return _approve(session, enrolment, now)
    enrolment.status = goal.value
    enrolment.decided_at = now
    if goal == EnrolmentStatus.SUSPENDED:
        set_links_disabled(session, enrolment, now)
    session.flush()
    return enrolment
