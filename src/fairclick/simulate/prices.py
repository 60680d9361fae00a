"""What one valid click of an influencer costs the advertiser and earns the influencer, for
the evaluator's "perfect validator" bill: from the world file's rate cards when it is given,
else from what the export shows was billed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fairclick.campaigns.rules import payout_for, price_for
from fairclick.domain.influence import Tier, tier_for_reach


@dataclass(slots=True)
class Prices:
    """Price and payout per (campaign, influencer); `default_price` when unknown."""

    price_by: dict[tuple[str | None, str], int] = field(default_factory=dict)
    payout_by: dict[tuple[str | None, str], int] = field(default_factory=dict)
    default_price: int = 0

    def price(self, campaign: str | None, influencer: str | None) -> int:
        key = (campaign, influencer or "")
        if key in self.price_by:
            return self.price_by[key]
        return self.price_by.get((None, influencer or ""), self.default_price)

    def frame(self) -> pl.DataFrame:
        """(campaign, influencer_label, price) rows, for joining onto clicks."""
        return pl.DataFrame(
            {
                "campaign": [c for c, _ in self.price_by],
                "influencer_label": [i for _, i in self.price_by],
                "price": list(self.price_by.values()),
            },
            schema={"campaign": pl.String, "influencer_label": pl.String, "price": pl.Int64},
        )

    def payout(self, campaign: str | None, influencer: str | None) -> int | None:
        key = (campaign, influencer or "")
        return self.payout_by.get(key, self.payout_by.get((None, influencer or "")))


def prices_from_world(world: dict[str, Any]) -> Prices:
    """Tier-card prices: tier from the influencer's total followers, price = advertiser card or
    payout + commission (the platform's own rule, `campaigns.rules.price_for`)."""
    tiers: dict[str, Tier] = {}
    for inf in world.get("influencers") or []:
        reach = sum(int(a.get("followers", 0)) for a in inf.get("social_accounts") or [])
        tiers[str(inf["key"])] = tier_for_reach(reach)
    prices = Prices()
    for campaign in world.get("campaigns") or []:
        currency = str(campaign.get("currency", "EUR"))
        cards = campaign["payout_by_tier"]
        for key, tier in tiers.items():
            price = price_for(
                cards,
                campaign.get("advertiser_price_by_tier"),
                campaign.get("commission_percent"),
                tier,
                currency,
            )
            prices.price_by[(campaign.get("key"), key)] = price.minor
            prices.payout_by[(campaign.get("key"), key)] = payout_for(cards, tier, currency).minor
    return prices


def prices_from_export(export: pl.DataFrame) -> Prices:
    """Each influencer's price as the largest amount billed for one of their clicks; the
    campaign-wide median for influencers who were never billed."""
    billed = export.filter((pl.col("billing") == "billed") & (pl.col("amount_minor") > 0))
    prices = Prices()
    if billed.height == 0:
        return prices
    per = billed.group_by("campaign", "influencer").agg(pl.col("amount_minor").max())
    for row in per.iter_rows(named=True):
        prices.price_by[(row["campaign"], row["influencer"] or "")] = int(row["amount_minor"] or 0)
    prices.default_price = int(billed["amount_minor"].cast(pl.Float64).median() or 0)  # type: ignore[arg-type]
    return prices
