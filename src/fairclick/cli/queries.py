"""Read-only queries behind the CLI's `list` and `show` commands.

The services hold the rules for writes; these are plain reads, joined for display, bounded by
`limit`. They live with the CLI because no other door needs these exact shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Organisation, User
from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.influencers.models import Influencer, SocialAccount
from fairclick.links.models import Link, Post


def organisations(session: Session, limit: int) -> Sequence[Any]:
    """Organisations with their number of campaigns and users, by key."""
    campaigns = (
        select(func.count(Campaign.id))
        .where(Campaign.organisation_id == Organisation.id)
        .scalar_subquery()
    )
    users = select(func.count(User.id)).where(User.organisation_id == Organisation.id)
    return session.execute(
        select(Organisation, campaigns, users.scalar_subquery())
        .order_by(Organisation.key)
        .limit(limit)
    ).all()


def users(
    session: Session, limit: int, role: str | None = None, organisation: str | None = None
) -> Sequence[Any]:
    """Users with their organisation's key, by email."""
    query = (
        select(User, Organisation.key)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .order_by(User.email)
        .limit(limit)
    )
    if role:
        query = query.where(User.role == role)
    if organisation:
        query = query.where(Organisation.key == organisation)
    return session.execute(query).all()


def influencers(session: Session, limit: int, status: str | None = None) -> Sequence[Any]:
    """Influencers with their reach (sum of followers) and login email, by key."""
    reach = (
        select(func.coalesce(func.sum(SocialAccount.followers), 0))
        .where(SocialAccount.influencer_id == Influencer.id)
        .scalar_subquery()
    )
    query = (
        select(Influencer, reach, User.email)
        .outerjoin(User, User.id == Influencer.user_id)
        .order_by(Influencer.key)
        .limit(limit)
    )
    if status:
        query = query.where(Influencer.status == status)
    return session.execute(query).all()


def user_email(session: Session, user_id: int | None) -> str | None:
    """The email of a login, if any."""
    if user_id is None:
        return None
    return session.scalar(select(User.email).where(User.id == user_id))


def enrolments_of_influencer(session: Session, influencer_id: int) -> Sequence[Any]:
    """The influencer's enrolments with the campaign's key, newest first."""
    return session.execute(
        select(Enrolment, Campaign.key)
        .join(Campaign, Campaign.id == Enrolment.campaign_id)
        .where(Enrolment.influencer_id == influencer_id)
        .order_by(Enrolment.id.desc())
    ).all()


def enrolments_of_campaign(session: Session, campaign_id: int) -> Sequence[Any]:
    """The campaign's enrolments with the influencer's key, by influencer key."""
    return session.execute(
        select(Enrolment, Influencer.key)
        .join(Influencer, Influencer.id == Enrolment.influencer_id)
        .where(Enrolment.campaign_id == campaign_id)
        .order_by(Influencer.key)
    ).all()


def campaigns(
    session: Session, limit: int, organisation: str | None = None, status: str | None = None
) -> Sequence[Any]:
    """Campaigns with their organisation's key, by key."""
    query = (
        select(Campaign, Organisation.key)
        .join(Organisation, Organisation.id == Campaign.organisation_id)
        .order_by(Campaign.key)
        .limit(limit)
    )
    if organisation:
        query = query.where(Organisation.key == organisation)
    if status:
        query = query.where(Campaign.status == status)
    return session.execute(query).all()


def organisation_key(session: Session, organisation_id: int) -> str:
    """The key of an organisation that exists."""
    return session.scalars(select(Organisation.key).where(Organisation.id == organisation_id)).one()


def link_count(session: Session, campaign_id: int) -> int:
    """How many tracked links a campaign has."""
    return int(
        session.scalar(select(func.count(Link.id)).where(Link.campaign_id == campaign_id)) or 0
    )


def links(
    session: Session,
    limit: int,
    campaign_id: int | None = None,
    influencer_id: int | None = None,
) -> Sequence[Any]:
    """Links with their campaign and influencer keys and post URL, oldest first."""
    query = (
        select(Link, Campaign.key, Influencer.key, Post.url)
        .join(Campaign, Campaign.id == Link.campaign_id)
        .join(Influencer, Influencer.id == Link.influencer_id)
        .outerjoin(Post, Post.link_id == Link.id)
        .order_by(Link.id)
        .limit(limit)
    )
    if campaign_id is not None:
        query = query.where(Link.campaign_id == campaign_id)
    if influencer_id is not None:
        query = query.where(Link.influencer_id == influencer_id)
    return session.execute(query).all()


def link_details(session: Session, link: Link) -> tuple[str, str, Post | None]:
    """The keys of a link's campaign and influencer, and its declared post if any."""
    campaign_key = session.scalars(select(Campaign.key).where(Campaign.id == link.campaign_id))
    influencer_key = session.scalars(
        select(Influencer.key).where(Influencer.id == link.influencer_id)
    )
    post = session.scalar(select(Post).where(Post.link_id == link.id))
    return campaign_key.one(), influencer_key.one(), post
