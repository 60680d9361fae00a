"""Authorisation: THE one place that says who may read and do what (API and web alike).

Reads are scoped by queries (`visible_*`): a caller never loads a row and then asks whether
the actor may see it; it asks for the row among those the actor may see, and an object outside
that scope answers `NotFound`, the same answer as for an id that does not exist, so that
guessing ids reveals nothing. Actions on objects the actor can see are checked by `can` /
`require` and answer `Forbidden` when denied. The rules are tabled in docs/api.md.

This module knows nothing of HTTP frameworks: the API and the web pages translate its errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import Session

from fairclick.accounts.models import ApiToken, Organisation, Role, User
from fairclick.campaigns.models import Campaign, CampaignStatus, Enrolment, Openness
from fairclick.clicks.models import Click
from fairclick.domain.errors import Forbidden, NotFound, Unauthorized
from fairclick.influencers.models import Influencer
from fairclick.influencers.service import influencer_for_user
from fairclick.links.models import Link, Post

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: built once per request from a token or a login session."""

    user_id: int
    email: str
    role: Role
    organisation_id: int | None
    influencer_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_advertiser(self) -> bool:
        return self.role == Role.ADVERTISER and self.organisation_id is not None

    @property
    def is_influencer(self) -> bool:
        return self.role == Role.INFLUENCER and self.influencer_id is not None


def actor_for_user(session: Session, user: User) -> Actor:
    """The actor of an (already authenticated, active) user."""
    profile = influencer_for_user(session, user.id) if user.role == Role.INFLUENCER else None
    return Actor(
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        organisation_id=user.organisation_id if user.role == Role.ADVERTISER else None,
        influencer_id=profile.id if profile else None,
    )


class Action(StrEnum):
    """Every action that changes something, named `resource.verb`. The resource each one is
    checked against is given in `can`'s table below."""

    ORGANISATION_CREATE = "organisation.create"
    ORGANISATION_UPDATE = "organisation.update"
    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    INFLUENCER_CREATE = "influencer.create"
    INFLUENCER_UPDATE = "influencer.update"
    INFLUENCER_MODERATE = "influencer.moderate"
    INFLUENCER_READ_PRIVATE = "influencer.read_private"
    CAMPAIGN_CREATE = "campaign.create"
    CAMPAIGN_UPDATE = "campaign.update"
    CAMPAIGN_READ_PRIVATE = "campaign.read_private"
    ENROLMENT_APPLY = "enrolment.apply"
    ENROLMENT_INVITE = "enrolment.invite"
    ENROLMENT_DECIDE = "enrolment.decide"
    LINK_CREATE = "link.create"
    POST_CREATE = "post.create"
    CLICK_READ_CHARGE = "click.read_charge"
    CLICK_READ_PAYOUT = "click.read_payout"


def _advertiser_of(actor: Actor, organisation_id: int | None) -> bool:
    return actor.is_advertiser and organisation_id == actor.organisation_id


def _self_influencer(actor: Actor, influencer_id: int | None) -> bool:
    return actor.is_influencer and influencer_id == actor.influencer_id


def can(actor: Actor | None, action: Action, resource: Any = None) -> bool:
    """Whether `actor` may do `action` on `resource` (anonymous: never; admin: always, except
    applying to a campaign, which only an influencer does for themselves).

    Resources: organisation.update, campaign.create → Organisation; influencer.* → Influencer;
    campaign.update/read_private, enrolment.apply/invite/decide → Campaign;
    link.create, post.create → Enrolment; click.read_* → Click (already in the actor's scope);
    user.*, organisation.create, influencer.create → None.
    """
    if actor is None:
        return False
    if action == Action.ENROLMENT_APPLY:
        # Only an influencer applies, for themselves; operators and advertisers invite.
        return isinstance(resource, Campaign) and actor.is_influencer
    if actor.is_admin:
        return True
    match action:
        case Action.ORGANISATION_UPDATE | Action.CAMPAIGN_CREATE:
            return isinstance(resource, Organisation) and _advertiser_of(actor, resource.id)
        case Action.CAMPAIGN_UPDATE | Action.CAMPAIGN_READ_PRIVATE:
            return isinstance(resource, Campaign) and _advertiser_of(
                actor, resource.organisation_id
            )
        case Action.ENROLMENT_INVITE | Action.ENROLMENT_DECIDE:
            return isinstance(resource, Campaign) and _advertiser_of(
                actor, resource.organisation_id
            )
        case Action.INFLUENCER_UPDATE | Action.INFLUENCER_READ_PRIVATE:
            return isinstance(resource, Influencer) and _self_influencer(actor, resource.id)
        case Action.CLICK_READ_CHARGE:
            # What the advertiser pays: for the advertisers of the click's campaign, whose
            # clicks are the only ones `visible_clicks` shows them.
            return isinstance(resource, Click) and actor.is_advertiser
        case Action.CLICK_READ_PAYOUT:
            return isinstance(resource, Click) and _self_influencer(actor, resource.influencer_id)
        case Action.LINK_CREATE | Action.POST_CREATE:
            return isinstance(resource, Enrolment) and _self_influencer(
                actor, resource.influencer_id
            )
        case _:
            # organisation.create, user.*, influencer.create, influencer.moderate: admins only.
            return False


def require(actor: Actor | None, action: Action, resource: Any = None) -> None:
    """Raise `Unauthorized` for an anonymous actor, `Forbidden` when `can` says no."""
    if actor is None:
        raise Unauthorized("authentication required")
    if not can(actor, action, resource):
        raise Forbidden(f"you may not {action.value.replace('.', ' ')} here")


def authenticated(actor: Actor | None) -> Actor:
    """The actor, or `Unauthorized` for an anonymous request."""
    if actor is None:
        raise Unauthorized("authentication required")
    return actor


# --- reads: the scope of every list and every get ---------------------------------------


def _enrolled_campaign_ids(influencer_id: int | None) -> Select[int]:
    return select(Enrolment.campaign_id).where(Enrolment.influencer_id == influencer_id)


def _org_campaign_ids(organisation_id: int | None) -> Select[int]:
    return select(Campaign.id).where(Campaign.organisation_id == organisation_id)


def visible_campaigns(actor: Actor) -> Select[Campaign]:
    """Admin: all. Advertiser: their organisation's. Influencer: active campaigns open to
    applications (open, on_approval) and any campaign they are invited to or enrolled in."""
    query = select(Campaign)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        return query.where(Campaign.organisation_id == actor.organisation_id)
    if actor.is_influencer:
        return query.where(
            or_(
                and_(
                    Campaign.status == CampaignStatus.ACTIVE.value,
                    Campaign.openness.in_([Openness.OPEN.value, Openness.ON_APPROVAL.value]),
                ),
                Campaign.id.in_(_enrolled_campaign_ids(actor.influencer_id)),
            )
        )
    return query.where(false())


def visible_organisations(actor: Actor) -> Select[Organisation]:
    """Admin: all. Advertiser: their own. Influencer: those owning a campaign they can see."""
    query = select(Organisation)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        return query.where(Organisation.id == actor.organisation_id)
    if actor.is_influencer:
        owners = visible_campaigns(actor).with_only_columns(Campaign.organisation_id)
        return query.where(Organisation.id.in_(owners))
    return query.where(false())


def visible_users(actor: Actor) -> Select[User]:
    """Admin: all. Advertiser: the members of their organisation. Anyone else: themselves."""
    query = select(User)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        return query.where(User.organisation_id == actor.organisation_id)
    return query.where(User.id == actor.user_id)


def visible_influencers(actor: Actor) -> Select[Influencer]:
    """Admin: all. Advertiser: influencers with an enrolment (of any status, invitations
    included) in one of their organisation's campaigns. Influencer: their own profile."""
    query = select(Influencer)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        enrolled = select(Enrolment.influencer_id).where(
            Enrolment.campaign_id.in_(_org_campaign_ids(actor.organisation_id))
        )
        return query.where(Influencer.id.in_(enrolled))
    if actor.is_influencer:
        return query.where(Influencer.id == actor.influencer_id)
    return query.where(false())


def visible_enrolments(actor: Actor) -> Select[Enrolment]:
    """Admin: all. Advertiser: enrolments in their campaigns. Influencer: their own."""
    query = select(Enrolment)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        return query.where(Enrolment.campaign_id.in_(_org_campaign_ids(actor.organisation_id)))
    if actor.is_influencer:
        return query.where(Enrolment.influencer_id == actor.influencer_id)
    return query.where(false())


def visible_links(actor: Actor) -> Select[Link]:
    """Admin: all. Advertiser: links of their campaigns. Influencer: their own."""
    query = select(Link)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        return query.where(Link.campaign_id.in_(_org_campaign_ids(actor.organisation_id)))
    if actor.is_influencer:
        return query.where(Link.influencer_id == actor.influencer_id)
    return query.where(false())


def visible_posts(actor: Actor) -> Select[Post]:
    """Admin: all. Advertiser: posts sharing links of their campaigns. Influencer: their own."""
    query = select(Post)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        links = select(Link.id).where(
            Link.campaign_id.in_(_org_campaign_ids(actor.organisation_id))
        )
        return query.where(Post.link_id.in_(links))
    if actor.is_influencer:
        return query.where(Post.influencer_id == actor.influencer_id)
    return query.where(false())


def visible_clicks(actor: Actor) -> Select[Click]:
    """Admin: all. Advertiser: clicks on their campaigns. Influencer: clicks on their links
    (their earnings are the billed payouts of these clicks)."""
    query = select(Click)
    if actor.is_admin:
        return query
    if actor.is_advertiser:
        return query.where(Click.campaign_id.in_(_org_campaign_ids(actor.organisation_id)))
    if actor.is_influencer:
        return query.where(Click.influencer_id == actor.influencer_id)
    return query.where(false())


def visible_tokens(actor: Actor) -> Select[ApiToken]:
    """Everyone, admins included, sees only their own API tokens."""
    return select(ApiToken).where(ApiToken.user_id == actor.user_id)


def get_visible(
    session: Session,
    actor: Actor,
    scope: Callable[[Actor], Select[T]],
    model: type[T],
    object_id: int | str,
    label: str,
    *,
    key: str = "id",
) -> T:
    """The object whose `key` column is `object_id` among those `scope(actor)` selects, or
    `NotFound` (the same answer whether it does not exist or the actor may not know it does)."""
    found = session.scalar(scope(actor).where(getattr(model, key) == object_id))
    if found is None:
        raise NotFound(f"no {label} {object_id}")
    return found
