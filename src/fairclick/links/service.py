"""Rules for tracked links and declared posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fairclick.campaigns.models import Campaign, Enrolment, EnrolmentStatus
from fairclick.domain.errors import Conflict, InvalidInput, NotFound
from fairclick.domain.ids import is_valid_code, new_code
from fairclick.domain.influence import Network
from fairclick.domain.urls import merge_utm
from fairclick.influencers.models import Influencer
from fairclick.influencers.service import social_accounts
from fairclick.links.models import Link, Post
from fairclick.redirect.invalidation import touch_link_cache


def target_url(
    session: Session, campaign: Campaign, influencer: Influencer, network: str | None
) -> str:
    """The campaign's destination with this link's UTM parameters merged in."""
    handle = influencer.key
    for account in social_accounts(session, influencer.id):
        if network is None or account.network == network:
            handle = account.handle
            break
    return merge_utm(
        campaign.destination_url,
        source=network or "fairclick",
        medium=handle,
        campaign=campaign.slug,
    )


def get_link_by_code(session: Session, code: str) -> Link:
    """The link with `code`, or `NotFound`."""
    link = session.scalar(select(Link).where(Link.code == code))
    if link is None:
        raise NotFound(f"no link with code {code!r}")
    return link


def _fresh_code(session: Session) -> str:
    for _ in range(10):
        code = new_code()
        if session.scalar(select(Link.id).where(Link.code == code)) is None:
            return code
    raise Conflict("could not find a free short code")  # 57^10 codes: never in practice


def create_link(
    session: Session,
    enrolment: Enrolment,
    *,
    network: Network | None = None,
    code: str | None = None,
    is_default: bool = False,
) -> Link:
    """A new tracked link for an approved enrolment; a fixed `code` must be free and well-formed."""
    if enrolment.status != EnrolmentStatus.APPROVED:
        raise Conflict(f"the enrolment is {enrolment.status}, not approved: no links")
    campaign = session.get_one(Campaign, enrolment.campaign_id)
    influencer = session.get_one(Influencer, enrolment.influencer_id)
    if network and campaign.allowed_networks and network.value not in campaign.allowed_networks:
        raise InvalidInput(f"the campaign does not run on {network.value}", field="network")
    if code is None:
        code = _fresh_code(session)
    else:
        if not is_valid_code(code):
            raise InvalidInput(
                "a code is 4–64 characters among letters, digits, - and _", field="code"
            )
        if session.scalar(select(Link.id).where(Link.code == code)) is not None:
            raise Conflict(f"the code {code!r} is taken", field="code")
    link = Link(
        code=code,
        campaign_id=campaign.id,
        influencer_id=influencer.id,
        enrolment_id=enrolment.id,
        network=network.value if network else None,
        is_default=is_default,
        target_url=target_url(session, campaign, influencer, network.value if network else None),
    )
    session.add(link)
    session.flush()
    touch_link_cache(session)
    return link


def default_link(session: Session, enrolment: Enrolment) -> Link | None:
    """The enrolment's default link, if it has one."""
    return session.scalar(
        select(Link).where(Link.enrolment_id == enrolment.id, Link.is_default.is_(True))
    )


def ensure_default_link(session: Session, enrolment: Enrolment) -> Link:
    """Every approved enrolment has one default link; create it when missing."""
    return default_link(session, enrolment) or create_link(session, enrolment, is_default=True)


def declare_post(
    session: Session,
    enrolment: Enrolment,
    *,
    network: Network,
    url: str | None,
    text: str,
    posted_at: datetime | None,
    code: str | None = None,
) -> Post:
    """A post with its own link, so that every click through it is attributable to it."""
    link = create_link(session, enrolment, network=network, code=code)
    post = Post(
        link_id=link.id,
        influencer_id=enrolment.influencer_id,
        network=network.value,
        url=url,
        text=text,
        posted_at=posted_at,
    )
    session.add(post)
    session.flush()
    return post


def refresh_targets(session: Session, campaign: Campaign) -> int:
    """Recompute every link's target after the campaign's destination or slug changed."""
    links = list(session.scalars(select(Link).where(Link.campaign_id == campaign.id)))
    changed = False
    for link in links:
        influencer = session.get_one(Influencer, link.influencer_id)
        target = target_url(session, campaign, influencer, link.network)
        if target != link.target_url:
            link.target_url, changed = target, True
    if changed:
        touch_link_cache(session)
    return len(links)


def set_links_disabled(session: Session, enrolment: Enrolment, when: datetime | None) -> None:
    """Mark an enrolment's links disabled from `when` (suspension; clicks are no longer
    billable), or enabled again with None (reinstatement)."""
    session.execute(update(Link).where(Link.enrolment_id == enrolment.id).values(disabled_at=when))


def post_for_link(session: Session, link_id: int) -> Post | None:
    """The post a per-post link was declared for (None for default and plain links)."""
    return session.scalar(select(Post).where(Post.link_id == link_id))
