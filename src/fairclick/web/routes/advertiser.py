"""Advertiser pages: campaigns list, creation and editing, status changes, statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fairclick.accounts.models import Organisation, Role
from fairclick.campaigns.models import Campaign, CampaignStatus, Openness, Strictness
from fairclick.campaigns.schemas import CampaignIn, CampaignUpdate
from fairclick.campaigns.service import change_status, create_campaign, update_campaign
from fairclick.clicks import reports
from fairclick.domain.errors import FairclickError, NotFound
from fairclick.domain.influence import Network
from fairclick.web import forms
from fairclick.web.access import Action, Actor, campaign_for, campaigns_query, check, require_role
from fairclick.web.i18n import gettext_ as _
from fairclick.web.pages import flash, form_page, page, redirect, render
from fairclick.web.routes import report


def _choices() -> dict[str, Any]:
    return {
        "networks": [n.value for n in Network],
        "openness": [o.value for o in Openness],
        "strictness": [s.value for s in Strictness],
        "tiers": forms.TIERS,
    }


@page()
def campaign_list(request: Request, session: Session, actor: Actor) -> Response:
    campaigns: list[Campaign] = list(
        session.scalars(campaigns_query(actor).order_by(Campaign.id.desc()))
    )
    found = reports.totals(session, campaign_ids=[c.id for c in campaigns])
    per_campaign = {c.id: found.get(c.id, reports.EMPTY) for c in campaigns}
    return render(request, "advertiser/campaigns.html", campaigns=campaigns, stats=per_campaign)


def _organisation(session: Session, actor: Actor, form: FormData | None) -> Organisation | None:
    if not actor.is_admin:
        return session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    key = str(form.get("organisation") or "") if form else ""
    return session.scalar(select(Organisation).where(Organisation.key == key)) if key else None


@page()
def campaign_new(request: Request, session: Session, actor: Actor) -> Response:
    require_role(actor, Role.ADVERTISER)
    return render(
        request,
        "advertiser/campaign_form.html",
        form=forms.CampaignForm(values=forms.blank_values()),
        campaign=None,
        organisations=_organisations(session, actor),
        **_choices(),
    )


def _organisations(session: Session, actor: Actor) -> list[Organisation]:
    if not actor.is_admin:
        return []
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


@form_page()
def campaign_create(request: Request, session: Session, actor: Actor, data: FormData) -> Response:
    require_role(actor, Role.ADVERTISER)
    form = forms.parse_campaign_form(data, creating=True)
    organisation = _organisation(session, actor, data)
    if organisation is None:
        form.errors.setdefault("organisation", _("Choose the organisation."))
    if organisation is not None:
        check(actor, Action.CAMPAIGN_CREATE, organisation)
    if form.ok and organisation is not None:
        try:
            campaign = create_campaign(
                session, CampaignIn.model_validate(form.payload), organisation
            )
        except FairclickError as exc:
            form.errors[exc.field or forms.GENERAL] = exc.detail
        else:
            flash(request, _("Campaign created."), "success")
            return redirect(f"/campaigns/{campaign.id}")
    return render(
        request,
        "advertiser/campaign_form.html",
        status_code=422,
        form=form,
        campaign=None,
        organisations=_organisations(session, actor),
        **_choices(),
    )


@page()
def campaign_edit(request: Request, session: Session, actor: Actor) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    return render(
        request,
        "advertiser/campaign_form.html",
        form=forms.CampaignForm(values=forms.values_of(campaign)),
        campaign=campaign,
        organisations=[],
        **_choices(),
    )


@form_page()
def campaign_update(request: Request, session: Session, actor: Actor, data: FormData) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    check(actor, Action.CAMPAIGN_UPDATE, campaign)
    form = forms.parse_campaign_form(data, creating=False, currency=campaign.currency)
    if form.ok:
        try:
            update_campaign(session, campaign, CampaignUpdate.model_validate(form.payload))
        except FairclickError as exc:
            form.errors[exc.field or forms.GENERAL] = exc.detail
        else:
            flash(request, _("Campaign saved."), "success")
            return redirect(f"/campaigns/{campaign.id}")
    session.rollback()
    return render(
        request,
        "advertiser/campaign_form.html",
        status_code=422,
        form=form,
        campaign=campaign,
        organisations=[],
        **_choices(),
    )


@form_page()
def campaign_status(request: Request, session: Session, actor: Actor, data: FormData) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    check(actor, Action.CAMPAIGN_UPDATE, campaign)
    target = str(data.get("status") or "")
    try:
        if target not in {s.value for s in CampaignStatus}:
            raise NotFound("unknown status")
        change_status(session, campaign, target)
        flash(request, _("Status changed."), "success")
    except FairclickError as exc:
        flash(request, exc.detail, "error")
    return redirect(f"/campaigns/{campaign.id}")


@page()
def statements(request: Request, session: Session, actor: Actor) -> Response:
    campaigns: list[Campaign] = list(session.scalars(campaigns_query(actor).order_by(Campaign.id)))
    frame = reports.load_clicks(session, campaign_ids=[c.id for c in campaigns])
    months: list[dict[str, Any]] = []
    orgs = {o.id: o.key for o in session.scalars(select(Organisation))} if actor.is_admin else {}
    for campaign in campaigns:
        monthly = reports.by_month(frame.filter(frame["campaign_id"] == campaign.id))
        months.extend(
            {"campaign": campaign, "org_key": orgs.get(campaign.organisation_id, ""), **row}
            for row in monthly.iter_rows(named=True)
        )
    months.sort(key=lambda row: (row["month"], row["campaign"].id), reverse=True)
    return render(request, "advertiser/statements.html", months=months)


routes = [
    Route("/campaigns", campaign_list, methods=["GET"]),
    Route("/campaigns", campaign_create, methods=["POST"]),
    Route("/campaigns/new", campaign_new, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/edit", campaign_edit, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/edit", campaign_update, methods=["POST"]),
    Route("/campaigns/{campaign_id:int}/status", campaign_status, methods=["POST"]),
    Route("/statements", statements, methods=["GET"]),
    *report.routes,
]
