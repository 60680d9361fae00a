"""Report aggregations over the clicks table, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from fairclick.campaigns.models import Campaign
from fairclick.clicks import reports
from tests.conftest import TestDb
from tests.factories import load_world
from tests.web.conftest import add_click, earlier, web_world


def test_aggregations_on_both_engines(test_db: TestDb) -> None:
    load_world(test_db.db, web_world())
    add_click(test_db.db, "bviabRurGt", ts=earlier(30), billed_minor=59, payout_minor=45)
    add_click(test_db.db, "bviabRurGt", ts=earlier(2), referer="https://t.co/x")
    add_click(test_db.db, "bviabRurGt", verdict="invalid", reasons=["link_preview", "datacenter"],
              referer="", device="bot")  # fmt: skip
    add_click(test_db.db, "camilleIG01", verdict="invalid", reasons=["click_ring"],
              country="BE", referer="android-app://com.instagram")  # fmt: skip
    with test_db.db.session() as session:
        campaign_id = session.scalars(
            select(Campaign.id).where(Campaign.key == "primaire-ou-voter")
        ).one()
        frame = reports.load_clicks(session, campaign_ids=[campaign_id])
        sql = reports.totals(session, campaign_ids=[campaign_id])[campaign_id]
        lucas = reports.load_clicks(session, influencer_id=frame["influencer_id"][-1])
    total = reports.summary(frame)
    assert (total.raw, total.valid, total.invalid, total.billed) == (4, 2, 2, 1)
    assert (total.billed_minor, total.payout_minor, total.valid_rate) == (59, 45, 0.5)
    assert sql == total
    assert reports.by_reason(frame).rows() == [
        ("click_ring", "SIVT", 1), ("datacenter", "GIVT", 1), ("link_preview", "GIVT", 1),
    ]  # fmt: skip
    assert reports.by_class(frame) == {"GIVT": 1, "SIVT": 1}
    series = reports.timeseries(frame)
    assert reports.bucket_for(frame) == "1h"
    assert series["raw"].sum() == 4 and series["valid"].sum() == 2
    hosts = dict(reports.top_values(frame, "referrer_host").select("value", "raw").rows())
    assert hosts == {"t.co": 2, "": 1, "com.instagram": 1}
    people = reports.by_influencer(frame)
    assert people["raw"].sum() == 4 and set(people.columns) >= {"valid_rate", "cost_minor"}
    assert reports.by_month(frame)["raw"].sum() == 4
    assert lucas.height == 3  # the oldest click is Lucas's; he has three


def test_empty_inputs_give_no_figures_not_zero_rates(sqlite_db: TestDb) -> None:
    with sqlite_db.db.session() as session:
        frame = reports.load_clicks(session, campaign_ids=[])
        assert reports.totals(session, campaign_ids=[]) == {}
    assert reports.summary(frame).valid_rate is None
    assert reports.by_reason(frame).is_empty()
    assert reports.by_class(frame) == {"GIVT": 0, "SIVT": 0}
    assert reports.timeseries(frame).is_empty()
    assert reports.top_values(frame, "country").is_empty()
