"""Enrolments: apply, invite, approve, reject, suspend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from fairclick.accounts.policy import (
    Action,
    get_visible,
    require,
    visible_campaigns,
    visible_enrolments,
)
from fairclick.api import schemas as s
from fairclick.api import views
from fairclick.api.deps import ClockDep, CurrentActor, DbSession, PathId
from fairclick.api.pagination import Paging, paginate
from fairclick.campaigns.enrolments import apply, decide, find_enrolment, invite
from fairclick.campaigns.models import Campaign, Enrolment, EnrolmentStatus
from fairclick.influencers.models import Influencer
from fairclick.influencers.service import get_influencer_by_key

router = APIRouter(tags=["enrolments"])


@router.get("/enrolments", response_model=s.Page[s.EnrolmentOut])
def list_enrolments(
    actor: CurrentActor,
    session: DbSession,
    paging: Paging,
    campaign_id: Annotated[int | None, Query(ge=1, le=s.MAX_ID)] = None,
    status: Annotated[EnrolmentStatus | None, Query()] = None,
) -> s.Page[s.EnrolmentOut]:
    """Operators: all. Advertisers: those of their campaigns. Influencers: their own."""
    query = visible_enrolments(actor)
    if campaign_id is not None:
        query = query.where(Enrolment.campaign_id == campaign_id)
    if status is not None:
        query = query.where(Enrolment.status == status.value)
    rows = paginate(session, query, Enrolment.id, paging)
    return s.Page(items=[views.enrolment(r) for r in rows.items], next_cursor=rows.next_cursor)


@router.post("/enrolments", status_code=201, response_model=s.EnrolmentOut)
def post_enrolment(
    data: s.EnrolmentCreate,
    actor: CurrentActor,
    session: DbSession,
    clock: ClockDep,
    response: Response,
) -> s.EnrolmentOut:
    """Without `influencer_key`: the influencer applies (an open campaign approves at once, an
    invitation is accepted). With it: the advertiser or operator invites that influencer.
    201 when the enrolment is new, 200 when it existed (the answer shows its status)."""
    campaign = get_visible(
        session, actor, visible_campaigns, Campaign, data.campaign_id, "campaign"
    )
    if data.influencer_key is None:
        require(actor, Action.ENROLMENT_APPLY, campaign)
        assert actor.influencer_id is not None
        influencer = session.get_one(Influencer, actor.influencer_id)
        existed = find_enrolment(session, campaign.id, influencer.id) is not None
        row = apply(session, campaign, influencer, clock.now())
    else:
        require(actor, Action.ENROLMENT_INVITE, campaign)
        influencer = get_influencer_by_key(session, data.influencer_key)
        existed = find_enrolment(session, campaign.id, influencer.id) is not None
        row = invite(session, campaign, influencer, clock.now())
    if existed:
        response.status_code = 200
    return views.enrolment(row)


@router.get("/enrolments/{enrolment_id}", response_model=s.EnrolmentOut)
def get_enrolment(enrolment_id: PathId, actor: CurrentActor, session: DbSession) -> s.EnrolmentOut:
    row = get_visible(session, actor, visible_enrolments, Enrolment, enrolment_id, "enrolment")
    return views.enrolment(row)


@router.post("/enrolments/{enrolment_id}/status", response_model=s.EnrolmentOut)
def post_enrolment_status(
    enrolment_id: PathId,
    data: s.EnrolmentDecision,
    actor: CurrentActor,
    session: DbSession,
    clock: ClockDep,
) -> s.EnrolmentOut:
    """Approve (an approved enrolment gets its default link), reject or suspend (its links stop
    counting); a suspended enrolment can be approved again."""
    row = get_visible(session, actor, visible_enrolments, Enrolment, enrolment_id, "enrolment")
    campaign = get_visible(session, actor, visible_campaigns, Campaign, row.campaign_id, "campaign")
    require(actor, Action.ENROLMENT_DECIDE, campaign)
    decide(session, row, data.status, clock.now())
    return views.enrolment(row)
