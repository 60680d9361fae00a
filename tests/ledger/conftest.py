"""Worlds for ledger tests: one campaign with simple prices, two influencers, their links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from fairclick.campaigns.models import Campaign
from fairclick.influencers.models import Influencer
from fairclick.ledger.posting import BillableClick
from fairclick.links.models import Link
from fairclick.store import Database
from tests.factories import load_world

START = datetime(2025, 11, 16, 23, 0, tzinfo=UTC)


@dataclass
class LedgerWorld:
    """Ids of what `ledger_world` created."""

    campaign_id: int
    organisation_id: int
    influencers: dict[str, int]
    links: dict[str, int]

    def click(
        self, n: int, who: str = "nina", ts: datetime | None = None, **kw: Any
    ) -> BillableClick:
        """A valid click from France on `who`'s link, the n-th of the test."""
        return BillableClick(
            click_id=f"c{n:025d}",
            ts=ts or START.replace(hour=23, minute=30),
            campaign_id=self.campaign_id,
            influencer_id=self.influencers[who],
            link_id=self.links[who],
            network=kw.pop("network", "x"),
            country=kw.pop("country", "FR"),
            **kw,
        )


def ledger_world(db: Database, **campaign: Any) -> LedgerWorld:
    """Load a world: organisation `acme`, nano influencers `nina` and `noah`, campaign `camp`
    (price 50, payout 30 per click for every tier; budget 1000 unless overridden)."""
    card = {"nano": 30, "micro": 30, "macro": 30, "mega": 30}
    spec: dict[str, Any] = {
        "key": "camp",
        "organisation": "acme",
        "name": "Camp",
        "destination_url": "https://acme.example.org/",
        "currency": "EUR",
        "payout_by_tier": card,
        "advertiser_price_by_tier": dict.fromkeys(card, 50),
        "budget": 1000,
        "start": START.isoformat(),
        "end": "2025-12-23T23:00:00+00:00",
        "timezone": "Europe/Paris",
        "target_countries": ["FR", "BE"],
        "openness": "open",
        "status": "active",
    }
    spec.update(campaign)
    world = {
        "organisations": [{"key": "acme", "name": "Acme", "country": "FR"}],
        "influencers": [
            {
                "key": key,
                "display_name": key.title(),
                "country": "FR",
                "status": "active",
                "social_accounts": [{"network": "x", "handle": key, "followers": 500}],
            }
            for key in ("nina", "noah")
        ],
        "campaigns": [spec],
        "enrolments": [
            {"campaign": "camp", "influencer": key, "status": "approved"}
            for key in ("nina", "noah")
        ],
        "links": [
            {"code": f"{key}Link01", "campaign": "camp", "influencer": key, "network": "x"}
            for key in ("nina", "noah")
        ],
    }
    load_world(db, world)
    with db.session() as session:
        campaign_row = session.scalars(select(Campaign).where(Campaign.key == "camp")).one()
        influencers = {i.key: i.id for i in session.scalars(select(Influencer))}
        links = {
            key: session.scalars(select(Link.id).where(Link.code == f"{key}Link01")).one()
            for key in influencers
        }
        return LedgerWorld(campaign_row.id, campaign_row.organisation_id, influencers, links)
