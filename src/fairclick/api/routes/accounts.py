"""Organisations and users."""

from __future__ import annotations

from fastapi import APIRouter

from fairclick.accounts.models import Organisation, User
from fairclick.accounts.policy import (
    Action,
    get_visible,
    require,
    visible_organisations,
    visible_users,
)
from fairclick.accounts.schemas import OrganisationIn, UserIn
from fairclick.accounts.service import (
    create_organisation,
    create_user,
    update_organisation,
    update_user,
)
from fairclick.api import schemas as s
from fairclick.api import views
from fairclick.api.deps import CurrentActor, DbSession, PathId
from fairclick.api.pagination import Paging, paginate

router = APIRouter()


@router.get("/organisations", tags=["organisations"], response_model=s.Page[s.OrganisationOut])
def list_organisations(
    actor: CurrentActor, session: DbSession, paging: Paging
) -> s.Page[s.OrganisationOut]:
    """The organisations you can see (see the authorisation table)."""
    rows = paginate(session, visible_organisations(actor), Organisation.id, paging)
    return s.Page(items=[views.organisation(r) for r in rows.items], next_cursor=rows.next_cursor)


@router.post(
    "/organisations", tags=["organisations"], status_code=201, response_model=s.OrganisationOut
)
def post_organisation(
    data: OrganisationIn, actor: CurrentActor, session: DbSession
) -> s.OrganisationOut:
    """Create an organisation (operators)."""
    require(actor, Action.ORGANISATION_CREATE)
    return views.organisation(create_organisation(session, data))


@router.get(
    "/organisations/{organisation_id}", tags=["organisations"], response_model=s.OrganisationOut
)
def get_organisation(
    organisation_id: PathId, actor: CurrentActor, session: DbSession
) -> s.OrganisationOut:
    org = get_visible(
        session, actor, visible_organisations, Organisation, organisation_id, "organisation"
    )
    return views.organisation(org)


@router.patch(
    "/organisations/{organisation_id}", tags=["organisations"], response_model=s.OrganisationOut
)
def patch_organisation(
    organisation_id: PathId, data: s.OrganisationUpdate, actor: CurrentActor, session: DbSession
) -> s.OrganisationOut:
    """Rename an organisation or change its country (operators, its own advertisers)."""
    org = get_visible(
        session, actor, visible_organisations, Organisation, organisation_id, "organisation"
    )
    require(actor, Action.ORGANISATION_UPDATE, org)
    update_organisation(session, org, name=data.name, country=data.country)
    return views.organisation(org)


@router.get("/users", tags=["users"], response_model=s.Page[s.UserOut])
def list_users(actor: CurrentActor, session: DbSession, paging: Paging) -> s.Page[s.UserOut]:
    """The logins you can see: operators all, advertisers their colleagues, others themselves."""
    rows = paginate(session, visible_users(actor), User.id, paging)
    return s.Page(items=[views.user(r) for r in rows.items], next_cursor=rows.next_cursor)


@router.post("/users", tags=["users"], status_code=201, response_model=s.UserOut)
def post_user(data: UserIn, actor: CurrentActor, session: DbSession) -> s.UserOut:
    """Create a login (operators). Influencer logins usually come from signup instead."""
    require(actor, Action.USER_CREATE)
    return views.user(create_user(session, data))


@router.get("/users/{user_id}", tags=["users"], response_model=s.UserOut)
def get_user(user_id: PathId, actor: CurrentActor, session: DbSession) -> s.UserOut:
    return views.user(get_visible(session, actor, visible_users, User, user_id, "user"))


@router.patch("/users/{user_id}", tags=["users"], response_model=s.UserOut)
def patch_user(
    user_id: PathId, data: s.UserUpdate, actor: CurrentActor, session: DbSession
) -> s.UserOut:
    """Disable or enable a login, or reset its password (operators)."""
    row = get_visible(session, actor, visible_users, User, user_id, "user")
    require(actor, Action.USER_UPDATE, row)
    update_user(session, row, is_active=data.is_active, password=data.password)
    return views.user(row)
