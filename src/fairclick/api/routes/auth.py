"""Signup (influencer self-service), API tokens and `me`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from fairclick.accounts import policy
from fairclick.accounts.models import ApiToken, Organisation, User
from fairclick.accounts.policy import visible_tokens
from fairclick.accounts.schemas import TokenIn
from fairclick.accounts.service import authenticate_password, issue_token, revoke_token
from fairclick.api import schemas as s
from fairclick.api import views
from fairclick.api.deps import ClockDep, CurrentActor, DbSession, PathId, SettingsDep
from fairclick.api.pagination import Paging, paginate
from fairclick.influencers.models import Influencer
from fairclick.influencers.schemas import InfluencerIn
from fairclick.influencers.service import create_influencer, unique_influencer_key

router = APIRouter(tags=["auth"])


@router.post("/signup", status_code=201, response_model=s.SignupOut)
def signup(data: s.SignupIn, session: DbSession, settings: SettingsDep) -> s.SignupOut:
    """Create an influencer login and profile. The profile starts `pending` (an operator
    activates it) unless FAIRCLICK_SIGNUP_STATUS=active."""
    wanted = data.social_accounts[0].handle if data.social_accounts else data.display_name
    profile = InfluencerIn(
        key=unique_influencer_key(session, wanted),
        display_name=data.display_name,
        country=data.country,
        email=data.email,
        password=data.password,
        languages=data.languages,
        social_accounts=data.social_accounts,
        status=settings.signup_status,
    )
    influencer = create_influencer(session, profile, settings.secret_key)
    assert influencer.user_id is not None
    login = session.get_one(User, influencer.user_id)
    actor = policy.actor_for_user(session, login)
    return s.SignupOut(
        user=views.user(login), influencer=views.influencer(session, actor, influencer)
    )


@router.post("/tokens", status_code=201, response_model=s.TokenCreated)
def create_token(
    data: s.TokenRequest, session: DbSession, settings: SettingsDep, clock: ClockDep
) -> s.TokenCreated:
    """Exchange an email and password for a bearer token, shown only in this response."""
    login = authenticate_password(session, data.email, data.password)
    row, secret = issue_token(
        session, login, TokenIn(name=data.name, days=data.days or settings.token_days), clock
    )
    return s.TokenCreated(**views.token(row).model_dump(), token=secret)


@router.get("/tokens", response_model=s.Page[s.TokenOut])
def list_tokens(actor: CurrentActor, session: DbSession, paging: Paging) -> s.Page[s.TokenOut]:
    """Your own tokens (never their secrets), oldest first."""
    rows = paginate(session, visible_tokens(actor), ApiToken.id, paging)
    return s.Page(items=[views.token(r) for r in rows.items], next_cursor=rows.next_cursor)


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response)
def delete_token(
    token_id: PathId, actor: CurrentActor, session: DbSession, clock: ClockDep
) -> Response:
    """Revoke one of your own tokens (idempotent); other people's tokens answer 404."""
    policy.get_visible(session, actor, visible_tokens, ApiToken, token_id, "token")
    login = session.get_one(User, actor.user_id)
    revoke_token(session, login, token_id, clock.now())
    return Response(status_code=204)


@router.get("/me", response_model=s.MeOut)
def me(actor: CurrentActor, session: DbSession) -> s.MeOut:
    """Who the token belongs to: the login, its organisation or its influencer profile."""
    login = session.get_one(User, actor.user_id)
    org = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    profile = session.get(Influencer, actor.influencer_id) if actor.influencer_id else None
    return s.MeOut(
        user=views.user(login),
        organisation=views.organisation(org) if org else None,
        influencer=views.influencer(session, actor, profile) if profile else None,
    )
