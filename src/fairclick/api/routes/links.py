"""Tracked links and declared posts (each post gets its own link)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fairclick.accounts.policy import (
    Action,
    get_visible,
    require,
    visible_enrolments,
    visible_links,
    visible_posts,
)
from fairclick.api import schemas as s
from fairclick.api import views
from fairclick.api.deps import ClockDep, CurrentActor, DbSession, PathId, SettingsDep
from fairclick.api.pagination import Paging, paginate
from fairclick.campaigns.models import Enrolment
from fairclick.links.models import Link, Post
from fairclick.links.service import create_link
from fairclick.moderation.service import declare_and_assess

router = APIRouter()


@router.get("/links", tags=["links"], response_model=s.Page[s.LinkOut])
def list_links(
    actor: CurrentActor,
    session: DbSession,
    settings: SettingsDep,
    paging: Paging,
    campaign_id: Annotated[int | None, Query(ge=1, le=s.MAX_ID)] = None,
) -> s.Page[s.LinkOut]:
    """Operators: all. Advertisers: links of their campaigns. Influencers: their own."""
    query = visible_links(actor)
    if campaign_id is not None:
        query = query.where(Link.campaign_id == campaign_id)
    rows = paginate(session, query, Link.id, paging)
    return s.Page(
        items=[views.link(session, settings.base_url, r) for r in rows.items],
        next_cursor=rows.next_cursor,
    )


@router.post("/links", tags=["links"], status_code=201, response_model=s.LinkOut)
def post_link(
    data: s.LinkCreate, actor: CurrentActor, session: DbSession, settings: SettingsDep
) -> s.LinkOut:
    """Another link for one of your approved enrolments (for one network, or any)."""
    enrolment = get_visible(
        session, actor, visible_enrolments, Enrolment, data.enrolment_id, "enrolment"
    )
    require(actor, Action.LINK_CREATE, enrolment)
    return views.link(
        session, settings.base_url, create_link(session, enrolment, network=data.network)
    )


@router.get("/links/{link_id}", tags=["links"], response_model=s.LinkOut)
def get_link(
    link_id: PathId, actor: CurrentActor, session: DbSession, settings: SettingsDep
) -> s.LinkOut:
    row = get_visible(session, actor, visible_links, Link, link_id, "link")
    return views.link(session, settings.base_url, row)


@router.get("/posts", tags=["posts"], response_model=s.Page[s.PostOut])
def list_posts(
    actor: CurrentActor, session: DbSession, settings: SettingsDep, paging: Paging
) -> s.Page[s.PostOut]:
    """Operators: all. Advertisers: posts sharing their campaigns' links. Influencers: their own."""
    rows = paginate(session, visible_posts(actor), Post.id, paging)
    return s.Page(
        items=[views.post(session, settings.base_url, r) for r in rows.items],
        next_cursor=rows.next_cursor,
    )


@router.post("/posts", tags=["posts"], status_code=201, response_model=s.PostOut)
def post_post(
    data: s.PostCreate,
    actor: CurrentActor,
    session: DbSession,
    settings: SettingsDep,
    clock: ClockDep,
) -> s.PostOut:
    """Declare a post (network, URL, text, time): it gets its own tracked link to share, and
    its text is judged against the incitement policy at once."""
    enrolment = get_visible(
        session, actor, visible_enrolments, Enrolment, data.enrolment_id, "enrolment"
    )
    require(actor, Action.POST_CREATE, enrolment)
    row = declare_and_assess(
        session,
        enrolment,
        network=data.network,
        url=data.url,
        text=data.text,
        posted_at=data.posted_at,
        now=clock.now(),
    )
    return views.post(session, settings.base_url, row)


@router.get("/posts/{post_id}", tags=["posts"], response_model=s.PostOut)
def get_post(
    post_id: PathId, actor: CurrentActor, session: DbSession, settings: SettingsDep
) -> s.PostOut:
    row = get_visible(session, actor, visible_posts, Post, post_id, "post")
    return views.post(session, settings.base_url, row)
