"""Monthly statements from the ledger (`fairclick.ledger.statements`): the advertiser's
invoice view (billed clicks, credits, credit notes, totals) and the influencer's statement,
each as a printable page and as CSV."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fairclick.accounts.models import Organisation, Role
from fairclick.domain.errors import FairclickError, NotFound
from fairclick.ledger import render as ledger_render
from fairclick.ledger.statements import (
    AdvertiserStatement,
    InfluencerStatement,
    advertiser_statement,
    influencer_statement,
)
from fairclick.web.access import Actor, own_influencer, require_role
from fairclick.web.pages import page, render


def _organisation_key(request: Request, session: Session, actor: Actor) -> str:
    require_role(actor, Role.ADVERTISER)
    if actor.is_admin:
        key = request.query_params.get("org", "")
        if not key:
            raise NotFound("an operator names the organisation: ?org=KEY")
        return key
    organisation = session.get(Organisation, actor.organisation_id)
    if organisation is None:
        raise NotFound("no organisation")
    return organisation.key


def _advertiser(request: Request, session: Session, actor: Actor) -> AdvertiserStatement:
    key = _organisation_key(request, session, actor)
    try:
        return advertiser_statement(session, key, str(request.path_params["month"]))
    except FairclickError as exc:  # a malformed month or an unknown organisation
        raise NotFound(exc.detail) from None


def _influencer(request: Request, session: Session, actor: Actor) -> InfluencerStatement:
    me = own_influencer(session, actor)
    try:
        return influencer_statement(session, me.key, str(request.path_params["month"]))
    except FairclickError as exc:
        raise NotFound(exc.detail) from None


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page()
def advertiser_page(request: Request, session: Session, actor: Actor) -> Response:
    statement = _advertiser(request, session, actor)
    return render(request, "statement.html", s=statement, advertiser=True, query=request.url.query)


@page()
def advertiser_csv(request: Request, session: Session, actor: Actor) -> Response:
    statement = _advertiser(request, session, actor)
    return _csv(
        ledger_render.to_csv(statement),
        f"statement-{statement.organisation_key}-{statement.month}.csv",
    )


@page()
def influencer_page(request: Request, session: Session, actor: Actor) -> Response:
    statement = _influencer(request, session, actor)
    return render(request, "statement.html", s=statement, advertiser=False, query="")


@page()
def influencer_csv(request: Request, session: Session, actor: Actor) -> Response:
    statement = _influencer(request, session, actor)
    return _csv(
        ledger_render.to_csv(statement),
        f"statement-{statement.influencer_key}-{statement.month}.csv",
    )


routes = [
    Route("/statements/{month:str}.csv", advertiser_csv, methods=["GET"]),
    Route("/statements/{month:str}", advertiser_page, methods=["GET"]),
    Route("/me/statements/{month:str}.csv", influencer_csv, methods=["GET"]),
    Route("/me/statements/{month:str}", influencer_page, methods=["GET"]),
]
