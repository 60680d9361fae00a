"""Campaigns: creation, changes (rate card, budget, caps, dates, targeting) and lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from fairclick.accounts.models import Organisation
from fairclick.accounts.policy import (
    Action,
    Actor,
    get_visible,
    require,
    visible_campaigns,
    visible_organisations,
)
from fairclick.accounts.service import get_organisation_by_key
from fairclick.api import schemas as s
from fairclick.api import views
from fairclick.api.deps import CurrentActor, DbSession, PathId
from fairclick.api.pagination import Paging, paginate
from fairclick.campaigns.models import Campaign, CampaignStatus
from fairclick.campaigns.schemas import CampaignIn, CampaignUpdate
from fairclick.campaigns.service import change_status, create_campaign, update_campaign
from fairclick.domain.errors import Forbidden, InvalidInput

router = APIRouter(tags=["campaigns"])

# Fields a change may clear (send null); every other field must keep a value.
_CLEARABLE = {"fallback_url", "advertiser_price_by_tier", "daily_cap", "influencer_cap"}


@router.get("/campaigns", response_model=s.Page[s.CampaignOut])
def list_campaigns(
    actor: CurrentActor,
    session: DbSession,
    paging: Paging,
    status: Annotated[CampaignStatus | None, Query()] = None,
) -> s.Page[s.CampaignOut]:
    """Operators: all. Advertisers: their organisation's. Influencers: active campaigns open to
    applications and those they are invited to or enrolled in."""
    query = visible_campaigns(actor)
    if status is not None:
        query = query.where(Campaign.status == status.value)
    rows = paginate(session, query, Campaign.id, paging)
    return s.Page(
        items=[views.campaign(actor, r) for r in rows.items], next_cursor=rows.next_cursor
    )


def _owner(session: Session, actor: Actor, wanted: str | None) -> Organisation:
    """The organisation a new campaign belongs to: advertisers' own, operators' choice."""
    if actor.is_admin:
        if not wanted:
            raise InvalidInput("name the campaign's organisation (its key)", field="organisation")
        return get_organisation_by_key(session, wanted)
    if not actor.is_advertiser or actor.organisation_id is None:
        require(actor, Action.CAMPAIGN_CREATE)
        raise AssertionError("unreachable: only operators and advertisers create campaigns")
    own = get_visible(
        session, actor, visible_organisations, Organisation, actor.organisation_id, "organisation"
    )
    if wanted is not None and wanted != own.key:
        raise Forbidden("you create campaigns for your own organisation only")
    return own


@router.post("/campaigns", status_code=201, response_model=s.CampaignOut)
def post_campaign(data: CampaignIn, actor: CurrentActor, session: DbSession) -> s.CampaignOut:
    """Create a campaign (draft unless `status` says otherwise)."""
    org = _owner(session, actor, data.organisation)
    require(actor, Action.CAMPAIGN_CREATE, org)
    return views.campaign(actor, create_campaign(session, data, org))


@router.get("/campaigns/{campaign_id}", response_model=s.CampaignOut)
def get_campaign(campaign_id: PathId, actor: CurrentActor, session: DbSession) -> s.CampaignOut:
    row = get_visible(session, actor, visible_campaigns, Campaign, campaign_id, "campaign")
    return views.campaign(actor, row)


@router.patch("/campaigns/{campaign_id}", response_model=s.CampaignOut)
def patch_campaign(
    campaign_id: PathId, data: CampaignUpdate, actor: CurrentActor, session: DbSession
) -> s.CampaignOut:
    """Change some fields; cross-field rules (dates, prices, caps) are checked again."""
    row = get_visible(session, actor, visible_campaigns, Campaign, campaign_id, "campaign")
    require(actor, Action.CAMPAIGN_UPDATE, row)
    cleared = {k for k, v in data.model_dump(exclude_unset=True).items() if v is None}
    if cleared - _CLEARABLE:
        name = sorted(cleared - _CLEARABLE)[0]
        raise InvalidInput(f"{name} cannot be null", field=name)
    update_campaign(session, row, data)
    return views.campaign(actor, row)


@router.post("/campaigns/{campaign_id}/status", response_model=s.CampaignOut)
def post_campaign_status(
    campaign_id: PathId, data: s.StatusChange, actor: CurrentActor, session: DbSession
) -> s.CampaignOut:
    """Move the campaign along draft → active ⇄ paused → ended (409 for anything else)."""
    row = get_visible(session, actor, visible_campaigns, Campaign, campaign_id, "campaign")
    require(actor, Action.CAMPAIGN_UPDATE, row)
    change_status(session, row, data.status.value)
    return views.campaign(actor, row)
