"""How fast the ledger bills valid clicks, in batches as the worker posts them.

    .venv/bin/python -m bench.ledger.posting [--clicks 5000] [--batch 500] [--url sqlite:///…]

Builds a fresh database (a temporary SQLite file unless --url names an empty PostgreSQL
schema), one campaign and 20 influencers, then bills the clicks in batches, one transaction
per batch as the worker does (a posting per click, a CLICK entry per influencer per batch),
and prints clicks per second.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta

import yaml
from sqlalchemy import select

from fairclick.campaigns.models import Campaign
from fairclick.ledger.posting import BillableClick, bill_clicks
from fairclick.links.models import Link
from fairclick.store import Database
from fairclick.store.migrate import upgrade
from fairclick.world.loader import apply_world

START = datetime(2025, 11, 17, 8, 0, tzinfo=UTC)
PEOPLE = [f"inf{n:02d}" for n in range(20)]


def _world() -> str:
    card = {"nano": 35, "micro": 45, "macro": 55, "mega": 70}
    return yaml.safe_dump(
        {
            "organisations": [{"key": "vox", "name": "Vox", "country": "FR"}],
            "influencers": [
                {"key": k, "display_name": k, "country": "FR", "status": "active",
                 "social_accounts": [{"network": "x", "handle": k, "followers": 5000}]}
                for k in PEOPLE
            ],
            "campaigns": [
                {"key": "bench", "organisation": "vox", "name": "Bench",
                 "destination_url": "https://example.org/", "currency": "EUR",
                 "payout_by_tier": card, "commission_percent": 30, "budget": 10**10,
                 "daily_cap": 10**9, "start": "2025-11-01T00:00:00Z", "end": "2026-01-01T00:00:00Z",
                 "timezone": "Europe/Paris", "target_countries": ["FR"], "openness": "open",
                 "status": "active"}
            ],
            "enrolments": [{"campaign": "bench", "influencer": k, "status": "approved"} for k in PEOPLE],
        }
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Database.from_url(args.url or f"sqlite:///{tmp.name}/bench.db")
    upgrade(db.engine)
    with db.session() as session:
        apply_world(session, _world(), secret_key="bench-secret-key-0123456789")
    with db.session() as session:
        campaign_id = session.scalars(select(Campaign.id)).one()
        links = list(session.execute(select(Link.id, Link.influencer_id)).all())
    clicks = [
        BillableClick(f"b{n:025d}", START + timedelta(seconds=n), campaign_id,
                      links[n % len(links)][1], links[n % len(links)][0], "x", "FR")
        for n in range(args.clicks)
    ]  # fmt: skip
    began, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(clicks), args.batch):
        with db.session() as session:
            bill_clicks(session, clicks[start : start + args.batch], now=START)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(
        f"ledger posting ({db.dialect}): {args.clicks} clicks in batches of {args.batch}: "
        f"{elapsed:.2f} s wall, {args.clicks / elapsed:,.0f} clicks/s "
        f"({cpu:.2f} s CPU in this process, {args.clicks / cpu:,.0f} clicks per CPU second)"
    )
    db.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
