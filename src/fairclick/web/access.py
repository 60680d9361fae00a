"""Who may see what in the web pages, through `fairclick.accounts.policy` (the one
authorisation module, shared with the API). Every page finds its rows through these functions.

Anything outside the actor's scope is answered 404 (`NotFound`), the same answer as for an id
that does not exist, so that changing an id in the URL reveals nothing. A denied action on a
visible object is also answered 404 in the pages: an area that is not the actor's does not
exist for them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from fairclick.accounts import policy
from fairclick.accounts.models import Role, User
from fairclick.accounts.policy import Action, Actor
from fairclick.campaigns.models import Campaign
from fairclick.clicks.models import Click
from fairclick.domain.errors import NotFound
from fairclick.influencers.models import Influencer
from fairclick.links.models import Link, Post
from fairclick.moderation.models import ModerationCase

__all__ = ["Action", "Actor"]


def actor_for(session: Session, user_id: int) -> Actor | None:
    """The actor of an active user id, or None (unknown or disabled user: logged out)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return policy.actor_for_user(session, user)


def require_role(actor: Actor, *roles: Role) -> None:
    """Raise `NotFound` unless the actor has one of `roles` (admins pass every check)."""
    if not actor.is_admin and actor.role not in roles:
        raise NotFound("no such page")


def check(actor: Actor, action: Action, resource: Any = None) -> None:
    """`policy.can`, answered with `NotFound` when denied (see the module's docstring)."""
    if not policy.can(actor, action, resource):
        raise NotFound("no such page")


def campaigns_query(actor: Actor) -> Select[Any]:
    """The campaigns an advertiser manages (their organisation's) or an admin (all)."""
    require_role(actor, Role.ADVERTISER)
    return policy.visible_campaigns(actor)


def campaign_for(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """A campaign whose private figures the actor may read (its advertiser, admins)."""
    campaign = policy.get_visible(
        session, actor, policy.visible_campaigns, Campaign, campaign_id, "campaign"
    )
    check(actor, Action.CAMPAIGN_READ_PRIVATE, campaign)
    return campaign


def visible_campaign(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """A campaign the actor may know of (influencers: open ones and their own), or 404."""
    return policy.get_visible(
        session, actor, policy.visible_campaigns, Campaign, campaign_id, "campaign"
    )


def click_for(session: Session, actor: Actor, click_id: str) -> Click:
    """A click of a campaign the actor manages, or of the influencer's own links."""
    found: Click | None = session.scalar(
        policy.visible_clicks(actor).where(Click.click_id == click_id)
    )
    if found is None:
        raise NotFound(f"no click {click_id}")
    return found


def own_influencer(session: Session, actor: Actor) -> Influencer:
    """The influencer's own profile; `NotFound` for any other role or a login with no profile."""
    if not actor.is_influencer or actor.influencer_id is None:
        raise NotFound("no influencer profile")
    return session.get_one(Influencer, actor.influencer_id)


def own_link(session: Session, actor: Actor, link_id: int) -> Link:
    """One of the influencer's own links, or `NotFound`."""
    own_influencer(session, actor)
    return policy.get_visible(session, actor, policy.visible_links, Link, link_id, "link")


def own_post(session: Session, actor: Actor, post_id: int) -> Post:
    """One of the influencer's own posts, or `NotFound`."""
    own_influencer(session, actor)
    return policy.get_visible(session, actor, policy.visible_posts, Post, post_id, "post")


def case_for(session: Session, actor: Actor, case_id: int) -> ModerationCase:
    """A moderation case of a campaign the actor manages (admins: any), or `NotFound`."""
    case = session.get(ModerationCase, case_id)
    if case is None:
        raise NotFound(f"no moderation case {case_id}")
    campaign_for(session, actor, case.campaign_id)
    return case
