"""How long the campaign report takes for a campaign with N clicks (SQLite, one process).

    .venv/bin/python bench/web/report.py [N]

Prints the time of: the SQL totals (list and live counters), loading the clicks into Polars,
the aggregations, and one full report page through the web app.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from starlette.testclient import TestClient

from fairclick.campaigns.models import Campaign
from fairclick.clicks import reports
from fairclick.clicks.models import Click
from fairclick.config import load_settings
from fairclick.domain.reasons import Reason
from fairclick.links.models import Link
from fairclick.store import Database
from fairclick.store.migrate import upgrade
from fairclick.web import create_web

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.factories import TEST_SECRET, load_world  # noqa: E402


def main(n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="fc-bench-web-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    db = Database.from_url(url)
    upgrade(db.engine)
    load_world(db)
    with db.session() as session:
        link = session.scalars(select(Link).where(Link.code == "bviabRurGt")).one()
        campaign = session.get_one(Campaign, link.campaign_id)
    rng = random.Random(7)
    codes = [r.value for r in Reason]
    start = datetime(2025, 11, 17, tzinfo=UTC)
    rows = []
    for i in range(n):
        invalid = rng.random() < 0.4
        rows.append({
            "click_id": f"{i:026d}", "seq": i + 1, "ts": start + timedelta(seconds=i * 3),
            "code": link.code, "link_id": link.id, "campaign_id": campaign.id,
            "influencer_id": link.influencer_id, "method": "GET", "status": 302,
            "referer": rng.choice(["https://t.co/a", "", "https://www.facebook.com/"]),
            "country": rng.choice(["FR", "BE", "US"]), "device": rng.choice(["mobile", "desktop"]),
            "verdict": "invalid" if invalid else "valid",
            "reasons": [rng.choice(codes)] if invalid else [], "flags": [], "headers": {},
            "evidence": {}, "billing": "unbilled" if invalid else "billed",
            "amount_minor": 0 if invalid else 59, "payout_minor": 0 if invalid else 45,
            "currency": "EUR",
        })  # fmt: skip
    with db.engine.begin() as conn:
        for chunk in range(0, n, 20_000):
            conn.execute(insert(Click), rows[chunk : chunk + 20_000])
    with db.session() as session:
        t = time.perf_counter()
        reports.totals(session, campaign_ids=[campaign.id])
        t_totals = time.perf_counter() - t
        t = time.perf_counter()
        frame = reports.load_clicks(session, campaign_ids=[campaign.id])
        t_load = time.perf_counter() - t
    t = time.perf_counter()
    reports.summary(frame), reports.timeseries(frame), reports.by_reason(frame)
    reports.by_class(frame), reports.by_influencer(frame)
    for column in ("country", "referrer_host", "device"):
        reports.top_values(frame, column)
    t_agg = time.perf_counter() - t
    settings = load_settings(secret_key=TEST_SECRET, database_url=url)
    client = TestClient(create_web(settings, db))
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"email": "anna@vox.example", "password": "anna-demo-pass",
                                "csrf_token": token})  # fmt: skip
    t = time.perf_counter()
    page = client.get(f"/campaigns/{campaign.id}")
    t_page = time.perf_counter() - t
    assert page.status_code == 200
    print(f"clicks in the campaign : {n:,}")
    print(f"SQL totals (counters)  : {t_totals * 1000:8.1f} ms")
    print(f"load into Polars       : {t_load * 1000:8.1f} ms")
    print(f"aggregations           : {t_agg * 1000:8.1f} ms")
    print(f"full report page       : {t_page * 1000:8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
