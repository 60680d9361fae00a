"""Operator pages: platform health, influencer vetting, moderation across campaigns, payouts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fairclick.accounts.models import Role
from fairclick.campaigns.models import Campaign
from fairclick.clicks import reports
from fairclick.influencers.models import Influencer, InfluencerStatus
from fairclick.influencers.service import total_followers
from fairclick.journal.models import JournalEntry, WorkerCursor
from fairclick.web import ledger_view
from fairclick.web.access import Action, Actor, check, require_role
from fairclick.web.i18n import gettext_ as _
from fairclick.web.pages import context, flash, form_page, page, redirect, render
from fairclick.web.routes.report import moderation_queue

HEALTH_DAYS = 14


def _admin(actor: Actor) -> None:
    require_role(actor, Role.ADMIN)


@page()
def health(request: Request, session: Session, actor: Actor) -> Response:
    _admin(actor)
    now = context(request).clock.now()
    last_minute = session.scalar(
        select(func.count())
        .select_from(JournalEntry)
        .where(JournalEntry.ts >= now - timedelta(minutes=1))
    )
    head = session.scalar(select(func.max(JournalEntry.seq))) or 0
    cursors = list(session.scalars(select(WorkerCursor).order_by(WorkerCursor.name)))
    lag = [
        {"name": c.name, "behind": max(0, head - c.last_seq), "updated_at": c.updated_at}
        for c in cursors
    ]
    oldest_unprocessed = None
    if cursors:
        slowest = min(c.last_seq for c in cursors)
        oldest_unprocessed = session.scalar(
            select(func.min(JournalEntry.ts)).where(JournalEntry.seq > slowest)
        )
    frame = reports.load_clicks(session, since=now - timedelta(days=HEALTH_DAYS))
    share = reports.invalid_share_by_day(frame)
    chart = {
        "labels": [d.strftime("%Y-%m-%d") for d in share["day"].to_list()],
        "share": [round(100 * s, 1) for s in share["invalid_share"].to_list()],
        "label": _("Invalid share (%)"),
    }
    return render(
        request,
        "admin/health.html",
        redirects_per_s=(last_minute or 0) / 60,
        journal_head=head,
        lag=lag,
        oldest_age=(now - oldest_unprocessed) if oldest_unprocessed else None,
        share=share.to_dicts(),
        chart=chart,
        summary=reports.summary(frame),
        days=HEALTH_DAYS,
    )


@page()
def influencers(request: Request, session: Session, actor: Actor) -> Response:
    _admin(actor)
    status = request.query_params.get("status", "")
    query = select(Influencer).order_by(Influencer.status, Influencer.display_name)
    if status in {s.value for s in InfluencerStatus}:
        query = query.where(Influencer.status == status)
    people = [(p, total_followers(session, p.id)) for p in session.scalars(query.limit(500))]
    return render(request, "admin/influencers.html", people=people, status=status)


@form_page()
def set_status(request: Request, session: Session, actor: Actor, form: FormData) -> Response:
    _admin(actor)
    person = session.get(Influencer, int(request.path_params["influencer_id"]))
    check(actor, Action.INFLUENCER_MODERATE, person)
    target = str(form.get("status") or "")
    if person is None or target not in {s.value for s in InfluencerStatus}:
        flash(request, _("Unknown influencer or status."), "error")
        return redirect("/admin/influencers")
    person.status = target
    flash(
        request,
        _("%(name)s is now %(status)s.") % {"name": person.display_name, "status": target},
        "success",
    )
    return redirect("/admin/influencers")


@page()
def moderation(request: Request, session: Session, actor: Actor) -> Response:
    _admin(actor)
    campaigns = {c.id: c for c in session.scalars(select(Campaign))}
    return render(
        request,
        "admin/moderation.html",
        cases=moderation_queue(session, list(campaigns)),
        campaigns=campaigns,
    )


@page()
def payouts(request: Request, session: Session, actor: Actor) -> Response:
    _admin(actor)
    return render(request, "admin/payouts.html", batches=ledger_view.payout_batches(session))


routes = [
    Route("/admin", health, methods=["GET"]),
    Route("/admin/influencers", influencers, methods=["GET"]),
    Route("/admin/influencers/{influencer_id:int}/status", set_status, methods=["POST"]),
    Route("/admin/moderation", moderation, methods=["GET"]),
    Route("/admin/payouts", payouts, methods=["GET"]),
]
