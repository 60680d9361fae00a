"""Who may see what in the web pages: every page finds its rows through these functions.

Anything outside the actor's scope is answered 404 (`NotFound`), the same answer as for an id
that does not exist, so that changing an id in the URL reveals nothing.

TODO(lead): when `fairclick.accounts.policy` lands, these functions delegate to it; this module
is the single place the web layer asks, so the swap happens here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Role, User
from fairclick.campaigns.models import Campaign
from fairclick.clicks.models import Click
from fairclick.domain.errors import NotFound
from fairclick.influencers.models import Influencer
from fairclick.influencers.service import influencer_for_user
from fairclick.links.models import Link, Post
from fairclick.moderation.models import ModerationCase


@dataclass(frozen=True, slots=True)
class Actor:
    """The logged-in user as the pages need it."""

    user_id: int
    email: str
    role: Role
    organisation_id: int | None
    influencer_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def actor_for(session: Session, user_id: int) -> Actor | None:
    """The actor of an active user id, or None (unknown or disabled user: logged out)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    profile = influencer_for_user(session, user.id) if user.role == Role.INFLUENCER else None
    return Actor(
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        organisation_id=user.organisation_id,
        influencer_id=profile.id if profile else None,
    )


def require_role(actor: Actor, *roles: Role) -> None:
    """Raise `NotFound` unless the actor has one of `roles` (admins pass every check)."""
    if not actor.is_admin and actor.role not in roles:
        raise NotFound("no such page")


def campaigns_query(actor: Actor) -> Select[Any]:
    """The campaigns an advertiser (their organisation's) or an admin (all) may read."""
    require_role(actor, Role.ADVERTISER)
    query = select(Campaign)
    if not actor.is_admin:
        query = query.where(Campaign.organisation_id == actor.organisation_id)
    return query


def campaign_for(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """A campaign the actor manages, or `NotFound`."""
    found: Campaign | None = session.scalar(
        campaigns_query(actor).where(Campaign.id == campaign_id)
    )
    if found is None:
        raise NotFound(f"no campaign {campaign_id}")
    return found


def click_for(session: Session, actor: Actor, click_id: str) -> Click:
    """A click of a campaign the actor manages, or of the influencer's own links."""
    click = session.get(Click, click_id)
    if click is None:
        raise NotFound(f"no click {click_id}")
    if actor.is_admin:
        return click
    if actor.role == Role.INFLUENCER and click.influencer_id == actor.influencer_id:
        return click
    if actor.role == Role.ADVERTISER and click.campaign_id is not None:
        campaign_for(session, actor, click.campaign_id)
        return click
    raise NotFound(f"no click {click_id}")


def own_influencer(session: Session, actor: Actor) -> Influencer:
    """The influencer's own profile; `NotFound` for any other role or a login with no profile."""
    if actor.role != Role.INFLUENCER or actor.influencer_id is None:
        raise NotFound("no influencer profile")
    return session.get_one(Influencer, actor.influencer_id)


def own_link(session: Session, actor: Actor, link_id: int) -> Link:
    """One of the influencer's own links, or `NotFound`."""
    influencer = own_influencer(session, actor)
    link = session.get(Link, link_id)
    if link is None or link.influencer_id != influencer.id:
        raise NotFound(f"no link {link_id}")
    return link


def own_post(session: Session, actor: Actor, post_id: int) -> Post:
    """One of the influencer's own posts, or `NotFound`."""
    influencer = own_influencer(session, actor)
    post = session.get(Post, post_id)
    if post is None or post.influencer_id != influencer.id:
        raise NotFound(f"no post {post_id}")
    return post


def case_for(session: Session, actor: Actor, case_id: int) -> ModerationCase:
    """A moderation case of a campaign the actor manages (admins: any), or `NotFound`."""
    case = session.get(ModerationCase, case_id)
    if case is None:
        raise NotFound(f"no moderation case {case_id}")
    campaign_for(session, actor, case.campaign_id)
    return case
