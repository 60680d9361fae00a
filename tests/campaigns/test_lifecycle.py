"""Campaign lifecycle, pricing and enrolment rules on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fairclick.campaigns import enrolments
from fairclick.campaigns.models import Campaign, EnrolmentStatus
from fairclick.campaigns.rules import check_transition, price_for
from fairclick.campaigns.schemas import CampaignIn, CampaignUpdate
from fairclick.campaigns.service import change_status, update_campaign
from fairclick.domain.errors import Forbidden, IllegalTransition, InvalidInput
from fairclick.domain.influence import Tier
from fairclick.influencers.service import get_influencer_by_key
from fairclick.links.models import Link
from tests.conftest import TestDb
from tests.factories import example_world, load_world

NOW = datetime(2025, 11, 17, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        ("draft", "active", True),
        ("active", "paused", True),
        ("paused", "active", True),
        ("paused", "ended", True),
        ("active", "ended", True),
        ("draft", "paused", False),
        ("draft", "ended", False),
        ("ended", "active", False),
        ("active", "draft", False),
    ],
)
def test_lifecycle(source: str, target: str, ok: bool) -> None:
    if ok:
        assert check_transition(source, target) == target
    else:
        with pytest.raises(IllegalTransition):
            check_transition(source, target)


def test_price_is_explicit_or_payout_plus_commission() -> None:
    card = {"nano": 35, "micro": 45, "macro": 55, "mega": 70}
    assert price_for(card, None, 30, Tier.NANO, "EUR").minor == 45  # 35 + 10.5 → 10 (half-even)
    assert price_for(card, None, 30, Tier.MEGA, "EUR").minor == 91
    assert (
        price_for(
            card, {"nano": 50, "micro": 60, "macro": 70, "mega": 90}, 30, Tier.NANO, "EUR"
        ).minor
        == 50
    )


def test_campaign_input_rules() -> None:
    base = {
        "name": "C",
        "destination_url": "https://a.example.org/",
        "payout_by_tier": {"nano": 35, "micro": 45, "macro": 55, "mega": 70},
        "budget": 1000,
        "start": "2025-11-16T23:00:00Z",
        "end": "2025-11-23T23:00:00Z",
    }
    CampaignIn.model_validate(base)
    for bad in (
        {"end": "2025-11-01T00:00:00Z"},
        {"budget": -1},
        {"currency": "XXX"},
        {"payout_by_tier": {"nano": 35}},
        {"daily_cap": 5000},
        {"destination_url": "javascript:alert(1)"},
        {"advertiser_price_by_tier": {"nano": 1, "micro": 1, "macro": 1, "mega": 1}},
        {"surprise": 1},
    ):
        with pytest.raises(ValueError):
            CampaignIn.model_validate(base | bad)


def test_update_rechecks_against_stored_values_and_refreshes_links(test_db: TestDb) -> None:
    load_world(test_db.db)
    with test_db.db.session() as session:
        campaign = session.scalars(select(Campaign)).one()
        with pytest.raises(InvalidInput, match="end must be after start"):
            update_campaign(session, campaign, CampaignUpdate(end=datetime(2025, 1, 1, tzinfo=UTC)))
        update_campaign(
            session, campaign, CampaignUpdate(destination_url="https://new.example.org/x?a=1")
        )
        targets = session.scalars(select(Link.target_url)).all()
        assert targets and all(
            t.startswith("https://new.example.org/x?a=1&utm_source=") for t in targets
        )
        change_status(session, campaign, "paused")
        with pytest.raises(IllegalTransition):
            change_status(session, campaign, "draft")


def test_enrolment_flows(test_db: TestDb) -> None:
    world = example_world()
    world["influencers"].append(
        {
            "key": "tiny",
            "display_name": "Tiny",
            "country": "BE",
            "social_accounts": [{"network": "x", "handle": "tiny", "followers": 10}],
        }
    )
    world["enrolments"] = []
    world["links"] = []
    load_world(test_db.db, world)
    with test_db.db.session() as session:
        campaign = session.scalars(select(Campaign)).one()
        lucas = get_influencer_by_key(session, "lucasl77")
        tiny = get_influencer_by_key(session, "tiny")
        # open campaign: an eligible influencer is approved at once and gets a default link
        enrolment = enrolments.apply(session, campaign, lucas, NOW)
        assert enrolment.status == EnrolmentStatus.APPROVED
        assert (
            session.scalars(select(Link).where(Link.enrolment_id == enrolment.id)).one().is_default
        )
        # the campaign targets FR only
        with pytest.raises(Forbidden, match="targets FR"):
            enrolments.apply(session, campaign, tiny, NOW)
        # suspension disables links; reinstatement enables them again
        enrolments.decide(session, enrolment, "suspended", NOW)
        assert session.scalars(select(Link.disabled_at)).one() is not None
        enrolments.decide(session, enrolment, "approved", NOW)
        assert session.scalars(select(Link.disabled_at)).one() is None
        # invite-only: applying without an invitation is refused; an invitation can be accepted
        campaign.openness = "invite_only"
        campaign.target_countries = []
        with pytest.raises(Forbidden, match="invitation"):
            enrolments.apply(session, campaign, tiny, NOW)
        invited = enrolments.invite(session, campaign, tiny, NOW)
        assert invited.status == EnrolmentStatus.INVITED
        assert enrolments.apply(session, campaign, tiny, NOW).status == EnrolmentStatus.APPROVED
        with pytest.raises(IllegalTransition):
            enrolments.decide(session, invited, "rejected", NOW)
