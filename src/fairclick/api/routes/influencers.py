"""Influencer profiles and their social accounts."""

from __future__ import annotations

from fastapi import APIRouter

from fairclick.accounts.policy import Action, get_visible, require, visible_influencers
from fairclick.api import schemas as s
from fairclick.api import views
from fairclick.api.deps import CurrentActor, DbSession, PathId, SettingsDep
from fairclick.api.pagination import Paging, paginate
from fairclick.influencers.models import Influencer
from fairclick.influencers.schemas import InfluencerIn, SocialAccountIn
from fairclick.influencers.service import add_social_account, create_influencer, update_influencer
from fairclick.ledger.models import AccountKind
from fairclick.ledger.repository import balances

router = APIRouter(tags=["influencers"])

_MODERATED = {"status", "trust_score"}


@router.get("/influencers", response_model=s.Page[s.InfluencerOut])
def list_influencers(
    actor: CurrentActor, session: DbSession, paging: Paging
) -> s.Page[s.InfluencerOut]:
    """Operators: all. Advertisers: those enrolled in (or invited to) their campaigns, without
    private fields. Influencers: their own profile."""
    rows = paginate(session, visible_influencers(actor), Influencer.id, paging)
    return s.Page(
        items=[views.influencer(session, actor, r) for r in rows.items],
        next_cursor=rows.next_cursor,
    )


@router.post("/influencers", status_code=201, response_model=s.InfluencerOut)
def post_influencer(
    data: InfluencerIn, actor: CurrentActor, session: DbSession, settings: SettingsDep
) -> s.InfluencerOut:
    """Create a profile (operators; influencers sign up through /signup)."""
    require(actor, Action.INFLUENCER_CREATE)
    return views.influencer(session, actor, create_influencer(session, data, settings.secret_key))


@router.get("/influencers/{influencer_id}", response_model=s.InfluencerOut)
def get_influencer(
    influencer_id: PathId, actor: CurrentActor, session: DbSession
) -> s.InfluencerOut:
    row = get_visible(session, actor, visible_influencers, Influencer, influencer_id, "influencer")
    return views.influencer(session, actor, row)


@router.patch("/influencers/{influencer_id}", response_model=s.InfluencerOut)
def patch_influencer(
    influencer_id: PathId, data: s.InfluencerUpdate, actor: CurrentActor, session: DbSession
) -> s.InfluencerOut:
    """Change your profile; `status` and `trust_score` are changed by operators only."""
    row = get_visible(session, actor, visible_influencers, Influencer, influencer_id, "influencer")
    require(actor, Action.INFLUENCER_UPDATE, row)
    changes = data.model_dump(exclude_unset=True)
    if _MODERATED & changes.keys():
        require(actor, Action.INFLUENCER_MODERATE, row)
    update_influencer(session, row, {k: v for k, v in changes.items() if v is not None})
    return views.influencer(session, actor, row)


@router.post(
    "/influencers/{influencer_id}/social-accounts", status_code=201, response_model=s.InfluencerOut
)
def post_social_account(
    influencer_id: PathId, data: SocialAccountIn, actor: CurrentActor, session: DbSession
) -> s.InfluencerOut:
    """Link a social account (or update its followers); the profile is returned."""
    row = get_visible(session, actor, visible_influencers, Influencer, influencer_id, "influencer")
    require(actor, Action.INFLUENCER_UPDATE, row)
    add_social_account(session, row, data)
    return views.influencer(session, actor, row)


_EARNINGS = {
    AccountKind.INFLUENCER_PENDING: "pending",
    AccountKind.INFLUENCER_AVAILABLE: "available",
    AccountKind.INFLUENCER_CLAWBACK: "clawback",
    AccountKind.INFLUENCER_IN_PAYOUT: "in_payout",
    AccountKind.INFLUENCER_PAID: "paid",
}


@router.get("/influencers/{influencer_id}/earnings", response_model=s.EarningsOut)
def get_earnings(influencer_id: PathId, actor: CurrentActor, session: DbSession) -> s.EarningsOut:
    """The influencer's ledger balances by currency (private: the influencer and operators)."""
    row = get_visible(session, actor, visible_influencers, Influencer, influencer_id, "influencer")
    require(actor, Action.INFLUENCER_READ_PRIVATE, row)
    by_currency: dict[str, dict[str, int]] = {}
    for (kind, _owner, currency), amount in balances(session, _EARNINGS, owner_id=row.id).items():
        by_currency.setdefault(currency, dict.fromkeys(_EARNINGS.values(), 0))
        by_currency[currency][_EARNINGS[AccountKind(kind)]] = amount
    return s.EarningsOut(
        influencer_id=row.id,
        balances=[s.BalanceOut(currency=c, **v) for c, v in sorted(by_currency.items())],
    )
