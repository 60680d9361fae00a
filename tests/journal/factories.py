"""Journal rows for tests, resolved against a loaded world like the redirect would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from fairclick.domain.ids import new_click_id
from fairclick.journal.rows import JournalRow
from fairclick.store import Database

T0 = datetime(2025, 11, 17, 6, 0, tzinfo=UTC)


def link_ids(db: Database, code: str) -> dict[str, Any]:
    """The ids the redirect would attach to a click on `code`."""
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT l.id, l.campaign_id, l.influencer_id, p.id FROM links l "
                "LEFT JOIN posts p ON p.link_id = l.id WHERE l.code = :c"
            ),
            {"c": code},
        ).one()
    return {"link_id": row[0], "campaign_id": row[1], "influencer_id": row[2], "post_id": row[3]}


def journal_row(
    n: int = 0,
    *,
    code: str = "bviabRurGt",
    ids: dict[str, Any] | None = None,
    ts: datetime | None = None,
    external_id: str | None = None,
    status: int = 302,
    active: bool = True,
    ip: str = "90.12.4.7",
) -> JournalRow:
    """A browser click on `code` (n-th of a series: one second apart, its own visitor)."""
    ids = ids or {}
    return JournalRow(
        click_id=new_click_id(),
        ts=ts or T0 + timedelta(seconds=n),
        source="live",
        code=code,
        path=f"/c/{code}?n={n}",
        method="GET",
        status=status,
        ip=ip,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
        referer="https://t.co/",
        accept_language="fr-FR,fr;q=0.9",
        headers={"sec-fetch-mode": "navigate"},
        visitor_id=None,
        assigned_visitor_id=f"visitor-{n:08d}-abcdefgh",
        external_id=external_id,
        link_id=ids.get("link_id"),
        campaign_id=ids.get("campaign_id"),
        influencer_id=ids.get("influencer_id"),
        post_id=ids.get("post_id"),
        campaign_active=active,
    )
