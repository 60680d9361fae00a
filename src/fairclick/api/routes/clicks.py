"""Clicks as validated: verdict, reasons in plain words, billing and the reader's money."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from fairclick.accounts.policy import get_visible, visible_clicks
from fairclick.api import schemas as s
from fairclick.api import views
from fairclick.api.deps import CurrentActor, DbSession
from fairclick.api.pagination import Paging, paginate
from fairclick.clicks.models import Click
from fairclick.domain.reasons import Verdict

router = APIRouter(tags=["clicks"])

QueryId = Annotated[int | None, Query(ge=1, le=s.MAX_ID)]


@router.get("/clicks", response_model=s.Page[s.ClickOut])
def list_clicks(
    actor: CurrentActor,
    session: DbSession,
    paging: Paging,
    campaign_id: QueryId = None,
    link_id: QueryId = None,
    verdict: Annotated[Verdict | None, Query()] = None,
) -> s.Page[s.ClickOut]:
    """Operators: all. Advertisers: clicks on their campaigns. Influencers: clicks on their own
    links (rejected ones with their reasons). In the order they were recorded."""
    query = visible_clicks(actor)
    if campaign_id is not None:
        query = query.where(Click.campaign_id == campaign_id)
    if link_id is not None:
        query = query.where(Click.link_id == link_id)
    if verdict is not None:
        query = query.where(Click.verdict == verdict.value)
    rows = paginate(session, query, Click.seq, paging)
    return s.Page(items=[views.click(actor, r) for r in rows.items], next_cursor=rows.next_cursor)


@router.get("/clicks/{click_id}", response_model=s.ClickOut)
def get_click(
    click_id: Annotated[str, Path(min_length=1, max_length=26)],
    actor: CurrentActor,
    session: DbSession,
) -> s.ClickOut:
    row = get_visible(session, actor, visible_clicks, Click, click_id, "click", key="click_id")
    return views.click(actor, row)
