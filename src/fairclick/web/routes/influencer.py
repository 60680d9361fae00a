"""Influencer pages: campaigns to join, my links (copy, QR), declaring posts with the
incitement check, my clicks with reasons, earnings and payouts."""

from __future__ import annotations

from typing import Any

import segno
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fairclick.accounts import policy
from fairclick.campaigns.enrolments import apply, find_enrolment
from fairclick.campaigns.models import (
    Campaign,
    CampaignStatus,
    Enrolment,
    EnrolmentStatus,
)
from fairclick.clicks import reports
from fairclick.domain.errors import FairclickError
from fairclick.domain.influence import Network
from fairclick.domain.urls import UrlError, check_destination
from fairclick.links.models import Link, Post
from fairclick.links.service import declare_post
from fairclick.web import incitement_check, ledger_view
from fairclick.web.access import Action, Actor, check, own_influencer, own_link, visible_campaign
from fairclick.web.i18n import gettext_ as _
from fairclick.web.labels import reason_text
from fairclick.web.pages import context, flash, form_page, page, redirect, render

MAX_POST_TEXT = 5000


def short_url(request: Request, code: str) -> str:
    """The public short link of a code."""
    return f"{context(request).settings.base_url}/c/{code}"


def qr_svg(url: str) -> Markup:
    """A QR code of `url` as inline SVG (made on the server: no request leaves the page)."""
    svg = segno.make(url, error="m").svg_inline(scale=3, dark="#111", light="#fff", border=2)
    return Markup(svg)


@page()
def home(request: Request, session: Session, actor: Actor) -> Response:
    me = own_influencer(session, actor)
    mine = {
        e.campaign_id: e
        for e in session.scalars(select(Enrolment).where(Enrolment.influencer_id == me.id))
    }
    visible = session.scalars(
        policy.visible_campaigns(actor)
        .where(Campaign.status == CampaignStatus.ACTIVE.value)
        .order_by(Campaign.start_at.desc())
    )
    open_campaigns = [c for c in visible if c.id not in mine]
    enrolled = [
        (session.get_one(Campaign, cid), enrolment) for cid, enrolment in sorted(mine.items())
    ]
    return render(
        request, "influencer/home.html", me=me, open_campaigns=open_campaigns, enrolled=enrolled
    )


@form_page()
def join(request: Request, session: Session, actor: Actor, form: FormData) -> Response:
    me = own_influencer(session, actor)
    campaign = visible_campaign(session, actor, int(request.path_params["campaign_id"]))
    check(actor, Action.ENROLMENT_APPLY, campaign)
    try:
        enrolment = apply(session, campaign, me, context(request).clock.now())
    except FairclickError as exc:
        session.rollback()
        flash(request, exc.detail, "error")
        return redirect("/me")
    if enrolment.status == EnrolmentStatus.APPROVED:
        flash(request, _("You joined the campaign: your link is ready."), "success")
        return redirect("/me/links")
    flash(request, _("Your application was sent to the advertiser."), "success")
    return redirect("/me")


def _my_links(request: Request, session: Session, influencer_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Link, Campaign, Post)
        .join(Campaign, Campaign.id == Link.campaign_id)
        .join(Post, Post.link_id == Link.id, isouter=True)
        .where(Link.influencer_id == influencer_id)
        .order_by(Link.id.desc())
    )
    out = []
    for link, campaign, post in rows:
        url = short_url(request, link.code)
        out.append(
            {"link": link, "campaign": campaign, "post": post, "url": url, "qr": qr_svg(url)}
        )
    return out


@page()
def links(request: Request, session: Session, actor: Actor) -> Response:
    me = own_influencer(session, actor)
    return render(request, "influencer/links.html", links=_my_links(request, session, me.id))


@page()
def link_qr(request: Request, session: Session, actor: Actor) -> Response:
    link = own_link(session, actor, int(request.path_params["link_id"]))
    svg = segno.make(short_url(request, link.code), error="m").svg_inline(scale=8, border=4)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{link.code}.svg"'},
    )


def _approved(session: Session, influencer_id: int) -> list[tuple[Enrolment, Campaign]]:
    rows = session.execute(
        select(Enrolment, Campaign)
        .join(Campaign, Campaign.id == Enrolment.campaign_id)
        .where(
            Enrolment.influencer_id == influencer_id,
            Enrolment.status == EnrolmentStatus.APPROVED.value,
        )
        .order_by(Campaign.name)
    )
    return [(e, c) for e, c in rows]


def _post_form(
    request: Request, session: Session, me_id: int, values: dict[str, str], **extra: Any
) -> Response:
    return render(
        request,
        "influencer/post_form.html",
        status_code=extra.pop("status_code", 200),
        enrolments=_approved(session, me_id),
        networks=[n.value for n in Network],
        values=values,
        checker=incitement_check.available(),
        **extra,
    )


@page()
def post_new(request: Request, session: Session, actor: Actor) -> Response:
    me = own_influencer(session, actor)
    values = {
        "campaign": request.query_params.get("campaign", ""),
        "network": "",
        "url": "",
        "text": "",
    }
    return _post_form(request, session, me.id, values, errors={})


@form_page()
def post_check(request: Request, session: Session, actor: Actor, form: FormData) -> Response:
    own_influencer(session, actor)
    text = str(form.get("text") or "")[:MAX_POST_TEXT]
    result = incitement_check.check(text, str(form.get("network") or "") or None)
    return render(request, "partials/incitement.html", result=result, text=text, fragment=True)


@form_page()
def post_create(request: Request, session: Session, actor: Actor, form: FormData) -> Response:
    me = own_influencer(session, actor)
    values = {k: str(form.get(k) or "").strip() for k in ("campaign", "network", "url", "text")}
    values["text"] = values["text"][:MAX_POST_TEXT]
    errors: dict[str, str] = {}
    enrolment = None
    if values["campaign"].isdigit():
        enrolment = find_enrolment(session, int(values["campaign"]), me.id)
    if enrolment is not None:
        check(actor, Action.POST_CREATE, enrolment)
    if enrolment is None or enrolment.status != EnrolmentStatus.APPROVED:
        errors["campaign"] = _("Choose one of your campaigns.")
    try:
        network = Network.parse(values["network"])
    except ValueError:
        errors["network"] = _("Choose a network.")
    url = None
    if values["url"]:
        try:
            url = check_destination(values["url"])
        except UrlError as exc:
            errors["url"] = str(exc)
    if not values["text"]:
        errors["text"] = _("Paste the text of your post.")
    result = incitement_check.check(values["text"], values["network"] or None)
    needs_confirm = (
        result is not None and result.label == "incitement" and form.get("confirmed") != "yes"
    )
    if errors or needs_confirm or enrolment is None:
        return _post_form(
            request, session, me.id, values, errors=errors, result=result,
            confirm=needs_confirm and not errors, status_code=422,
        )  # fmt: skip
    now = context(request).clock.now()
    try:
        post = declare_post(
            session, enrolment, network=network, url=url, text=values["text"], posted_at=now
        )
        incitement_check.assess(session, post, now)
    except FairclickError as exc:
        session.rollback()
        errors[exc.field or "text"] = exc.detail
        return _post_form(
            request, session, me.id, values, errors=errors, result=result, status_code=422
        )
    flash(request, _("Post declared: it has its own link below."), "success")
    return redirect("/me/links")


@page()
def my_clicks(request: Request, session: Session, actor: Actor) -> Response:
    me = own_influencer(session, actor)
    frame = reports.load_clicks(session, influencer_id=me.id)
    campaigns = {c.id: c for c in session.scalars(select(Campaign).where(
        Campaign.id.in_(frame["campaign_id"].drop_nulls().unique().to_list())))}  # fmt: skip
    return render(
        request,
        "influencer/clicks.html",
        summary=reports.summary(frame),
        reasons=[
            {**row, "text": reason_text(row["reason"])}
            for row in reports.by_reason(frame).to_dicts()
        ],
        clicks=frame.head(200).to_dicts(),
        total=frame.height,
        campaigns=campaigns,
        reason_text=reason_text,
    )


@page()
def earnings(request: Request, session: Session, actor: Actor) -> Response:
    me = own_influencer(session, actor)
    frame = reports.load_clicks(session, influencer_id=me.id)
    months: list[dict[str, Any]] = []
    for campaign_id in frame["campaign_id"].drop_nulls().unique().sort().to_list():
        campaign = session.get_one(Campaign, campaign_id)
        monthly = reports.by_month(frame.filter(frame["campaign_id"] == campaign_id))
        months.extend({"campaign": campaign, **row} for row in monthly.iter_rows(named=True))
    months.sort(key=lambda row: (row["month"], row["campaign"].id), reverse=True)
    return render(
        request,
        "influencer/earnings.html",
        balances=ledger_view.influencer_balances(session, me.id),
        batches=ledger_view.payout_batches(session, me.id),
        months=months,
    )


routes = [
    Route("/me", home, methods=["GET"]),
    Route("/me/campaigns/{campaign_id:int}/join", join, methods=["POST"]),
    Route("/me/links", links, methods=["GET"]),
    Route("/me/links/{link_id:int}/qr.svg", link_qr, methods=["GET"]),
    Route("/me/posts/new", post_new, methods=["GET"]),
    Route("/me/posts/check", post_check, methods=["POST"]),
    Route("/me/posts", post_create, methods=["POST"]),
    Route("/me/clicks", my_clicks, methods=["GET"]),
    Route("/me/earnings", earnings, methods=["GET"]),
]
