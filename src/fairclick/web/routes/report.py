"""The campaign report: counters (polled live), chart, invalid clicks by reason and class,
influencers, countries, referrers, devices, moderation queue, clicks, explanations, CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fairclick.campaigns.enrolments import decide as decide_enrolment_status
from fairclick.campaigns.models import Campaign, CampaignStatus, Enrolment, EnrolmentStatus
from fairclick.campaigns.rules import TRANSITIONS
from fairclick.clicks import reports
from fairclick.clicks.models import VerdictChange
from fairclick.domain.errors import FairclickError, NotFound
from fairclick.domain.reasons import Reason
from fairclick.influencers.models import Influencer
from fairclick.links.models import Post
from fairclick.moderation.models import ModerationCase
from fairclick.moderation.service import decide_case
from fairclick.web.access import Action, Actor, campaign_for, case_for, check, click_for
from fairclick.web.i18n import gettext_ as _
from fairclick.web.labels import reason_text
from fairclick.web.pages import context, flash, form_page, page, redirect, render


def next_statuses(campaign: Campaign) -> list[str]:
    """The statuses the campaign may move to (buttons on its page)."""
    return sorted(TRANSITIONS[CampaignStatus(campaign.status)])


SORTS = {"raw", "valid", "invalid", "valid_rate", "cost_minor", "flagged", "name"}
CLICK_PAGE = 200


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, Influencer]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    rows = session.scalars(select(Influencer).where(Influencer.id.in_(wanted)))
    return {row.id: row for row in rows}


def influencer_rows(
    session: Session, frame: pl.DataFrame, query: str = "", sort: str = "raw", desc: bool = True
) -> list[dict[str, object]]:
    """The influencer table of a report, filtered by name/key and sorted by a column."""
    table = reports.by_influencer(frame).to_dicts()
    people = _names(session, (row["influencer_id"] for row in table))
    rows = []
    needle = query.strip().lower()
    for row in table:
        person = people.get(row["influencer_id"])
        name = person.display_name if person else _("(unknown)")
        key = person.key if person else ""
        if needle and needle not in name.lower() and needle not in key.lower():
            continue
        rows.append({**row, "name": name, "key": key})
    sort = sort if sort in SORTS else "raw"
    rows.sort(key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0), reverse=desc)
    return rows


def _moderation(session: Session, campaign_ids: Sequence[int]) -> list[dict[str, Any]]:
    cases = session.scalars(
        select(ModerationCase)
        .where(ModerationCase.campaign_id.in_(list(campaign_ids)), ModerationCase.status == "open")
        .order_by(ModerationCase.opened_at)
    )
    out = []
    for case in cases:
        post = session.get(Post, case.post_id)
        person = session.get(Influencer, post.influencer_id) if post else None
        out.append({"case": case, "post": post, "influencer": person})
    return out


def moderation_queue(session: Session, campaign_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Open moderation cases of these campaigns with their post and influencer."""
    return _moderation(session, campaign_ids)


@page()
def campaign_report(request: Request, session: Session, actor: Actor) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    frame = reports.load_clicks(session, campaign_ids=[campaign.id])
    series = reports.timeseries(frame)
    chart = {
        "labels": [b.strftime("%Y-%m-%d %H:%M") for b in series["bucket"].to_list()],
        "raw": series["raw"].to_list(),
        "valid": series["valid"].to_list(),
        "rawLabel": _("Raw clicks"),
        "validLabel": _("Valid clicks"),
    }
    params = request.query_params
    sort = params.get("sort", "raw")
    desc = params.get("dir", "desc") != "asc"
    return render(
        request,
        "advertiser/report.html",
        campaign=campaign,
        summary=reports.summary(frame),
        series=series.to_dicts(),
        chart=chart,
        reasons=[
            {**row, "text": reason_text(row["reason"])}
            for row in reports.by_reason(frame).to_dicts()
        ],
        classes=reports.by_class(frame),
        influencers=influencer_rows(session, frame, params.get("q", ""), sort, desc),
        sort=sort,
        desc=desc,
        q=params.get("q", ""),
        countries=reports.top_values(frame, "country").to_dicts(),
        referrers=reports.top_values(frame, "referrer_host").to_dicts(),
        devices=reports.top_values(frame, "device").to_dicts(),
        cases=_moderation(session, [campaign.id]),
        enrolments=enrolments_of(session, campaign.id),
        next_statuses=next_statuses(campaign),
    )


def enrolments_of(session: Session, campaign_id: int) -> list[dict[str, Any]]:
    """The campaign's enrolments with their influencer, those waiting for a decision first."""
    rows = session.execute(
        select(Enrolment, Influencer)
        .join(Influencer, Influencer.id == Enrolment.influencer_id)
        .where(Enrolment.campaign_id == campaign_id)
        .order_by(Enrolment.id)
    )
    out: list[dict[str, Any]] = [{"enrolment": e, "influencer": i} for e, i in rows]
    out.sort(key=lambda row: row["enrolment"].status != EnrolmentStatus.APPLIED)
    return out


@form_page()
def decide_enrolment(request: Request, session: Session, actor: Actor, form: FormData) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    check(actor, Action.ENROLMENT_DECIDE, campaign)
    enrolment = session.get(Enrolment, int(request.path_params["enrolment_id"]))
    if enrolment is None or enrolment.campaign_id != campaign.id:
        raise NotFound("no such enrolment")
    try:
        decide_enrolment_status(
            session, enrolment, str(form.get("status") or ""), context(request).clock.now()
        )
        flash(request, _("Enrolment updated."), "success")
    except (FairclickError, ValueError) as exc:
        session.rollback()
        flash(request, getattr(exc, "detail", str(exc)), "error")
    return redirect(f"/campaigns/{campaign.id}#h-enrol")


@page()
def counters(request: Request, session: Session, actor: Actor) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    found = reports.totals(session, campaign_ids=[campaign.id])
    return render(
        request,
        "partials/counters.html",
        campaign=campaign,
        summary=found.get(campaign.id, reports.EMPTY),
        fragment=True,
    )


@page()
def click_list(request: Request, session: Session, actor: Actor) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    verdict = request.query_params.get("verdict", "")
    frame = reports.load_clicks(session, campaign_ids=[campaign.id])
    if verdict in ("valid", "invalid"):
        frame = frame.filter(pl.col("verdict") == verdict)
    rows = frame.head(CLICK_PAGE).to_dicts()
    people = _names(session, (row["influencer_id"] for row in rows))
    return render(
        request,
        "advertiser/clicks.html",
        campaign=campaign,
        clicks=rows,
        people=people,
        verdict=verdict,
        total=frame.height,
        limit=CLICK_PAGE,
        reason_text=reason_text,
    )


@page()
def click_explain(request: Request, session: Session, actor: Actor) -> Response:
    click = click_for(session, actor, str(request.path_params["click_id"]))
    campaign = session.get(Campaign, click.campaign_id) if click.campaign_id else None
    history = list(
        session.scalars(
            select(VerdictChange)
            .where(VerdictChange.click_id == click.click_id)
            .order_by(VerdictChange.at)
        )
    )
    person = session.get(Influencer, click.influencer_id) if click.influencer_id else None
    return render(
        request,
        "advertiser/click.html",
        click=click,
        campaign=campaign,
        influencer=person,
        history=history,
        reasons=[(code, reason_text(code), _class_of(code)) for code in click.reasons],
        flags=[(code, reason_text(code), _class_of(code)) for code in click.flags],
        evidence=json.dumps(click.evidence, indent=2, ensure_ascii=False, default=str),
        reason_text=reason_text,
    )


def _class_of(code: str) -> str:
    try:
        return Reason(code).ivt_class.value
    except ValueError:
        return ""


def _csv(rows: Iterable[Sequence[object]], header: Sequence[str], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@page()
def clicks_csv(request: Request, session: Session, actor: Actor) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    frame = reports.load_clicks(session, campaign_ids=[campaign.id])
    header = [
        "click_id", "ts", "influencer_id", "link_id", "post_id", "verdict", "reasons", "flags",
        "billing", "unbilled_cause", "amount_minor", "payout_minor", "currency", "country",
        "referer", "device", "browser", "os",
    ]  # fmt: skip
    rows = (
        [
            row["click_id"],
            row["ts"].isoformat(timespec="microseconds"),
            row["influencer_id"],
            row["link_id"],
            row["post_id"],
            row["verdict"],
            " ".join(row["reasons"] or []),
            " ".join(row["flags"] or []),
            row["billing"],
            row["unbilled_cause"] or "",
            row["amount_minor"],
            row["payout_minor"],
            campaign.currency,
            row["country"] or "",
            row["referer"] or "",
            row["device"] or "",
            row["browser"] or "",
            row["os"] or "",
        ]
        for row in frame.iter_rows(named=True)
    )
    return _csv(rows, header, f"{campaign.key}-clicks.csv")


@page()
def report_csv(request: Request, session: Session, actor: Actor) -> Response:
    campaign = campaign_for(session, actor, int(request.path_params["campaign_id"]))
    frame = reports.load_clicks(session, campaign_ids=[campaign.id])
    total = reports.summary(frame)
    rows: list[list[object]] = [
        ["summary", "raw", "", total.raw, ""],
        ["summary", "valid", "", total.valid, ""],
        ["summary", "invalid", "", total.invalid, ""],
        ["summary", "billed", "", total.billed, total.billed_minor],
    ]
    for ivt, count in reports.by_class(frame).items():
        rows.append(["ivt_class", ivt, "", count, ""])
    for item in reports.by_reason(frame).iter_rows(named=True):
        rows.append(["reason", item["reason"], item["ivt_class"], item["clicks"], ""])
    for person in influencer_rows(session, frame):
        rows.append(
            ["influencer", person["key"], person["valid"], person["raw"], person["cost_minor"]]
        )
    for column in ("country", "referrer_host", "device"):
        for item in reports.top_values(frame, column, 50).iter_rows(named=True):
            rows.append([column, item["value"], item["valid"], item["raw"], ""])
    header = ["section", "key", "detail_or_valid", "clicks", f"amount_minor_{campaign.currency}"]
    return _csv(rows, header, f"{campaign.key}-report.csv")


@form_page()
def decide(request: Request, session: Session, actor: Actor, form: FormData) -> Response:
    case = case_for(session, actor, int(request.path_params["case_id"]))
    back = str(form.get("back") or "")
    target = back if back in ("/admin/moderation",) else f"/campaigns/{case.campaign_id}#moderation"
    try:
        decide_case(
            session,
            case,
            str(form.get("decision") or ""),
            moderator_id=actor.user_id,
            note=str(form.get("note") or "")[:2000],
            now=context(request).clock.now(),
        )
        flash(request, _("Decision recorded."), "success")
    except FairclickError as exc:
        session.rollback()
        flash(request, exc.detail, "error")
    return redirect(target)


routes = [
    Route("/campaigns/{campaign_id:int}", campaign_report, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/counters", counters, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/clicks", click_list, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/clicks.csv", clicks_csv, methods=["GET"]),
    Route("/campaigns/{campaign_id:int}/report.csv", report_csv, methods=["GET"]),
    Route("/clicks/{click_id:str}", click_explain, methods=["GET"]),
    Route("/moderation/{case_id:int}", decide, methods=["POST"]),
    Route(
        "/campaigns/{campaign_id:int}/enrolments/{enrolment_id:int}",
        decide_enrolment,
        methods=["POST"],
    ),
]
