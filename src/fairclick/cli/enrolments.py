"""Enrolment commands of `fairclick campaign`: enrol, invite, approve, reject, suspend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from sqlalchemy.orm import Session

from fairclick.campaigns import enrolments as enrolment_rules
from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.campaigns.service import get_campaign_by_key
from fairclick.cli.common import database, handled, say
from fairclick.domain.clock import system_clock
from fairclick.domain.errors import NotFound
from fairclick.influencers.service import get_influencer_by_key

KEY = typer.Argument(..., help="The campaign's key.")
INFLUENCER = typer.Argument(..., help="The influencer's key.")


def _pair(session: Session, key: str, influencer_key: str) -> tuple[Campaign, Any]:
    return get_campaign_by_key(session, key), get_influencer_by_key(session, influencer_key)


def _enrolment(session: Session, key: str, influencer_key: str) -> Enrolment:
    campaign, influencer = _pair(session, key, influencer_key)
    found = enrolment_rules.find_enrolment(session, campaign.id, influencer.id)
    if found is None:
        raise NotFound(f"{influencer_key} is not enrolled in {key}")
    return found


def enrol(key: str = KEY, influencer: str = INFLUENCER) -> None:
    """Enrol an influencer: they apply, and an open campaign admits them at once.

    An influencer meeting an open campaign's criteria is approved at once; on_approval waits
    for `fairclick campaign approve`; invite_only refuses (use `invite`).
    """
    with handled(), database().session() as session:
        campaign, found = _pair(session, key, influencer)
        enrolment = enrolment_rules.apply(session, campaign, found, system_clock.now())
    say(f"{influencer} in {key}: {enrolment.status}")


def invite(key: str = KEY, influencer: str = INFLUENCER) -> None:
    """Invite an influencer (one who had applied is approved at once)."""
    with handled(), database().session() as session:
        campaign, found = _pair(session, key, influencer)
        enrolment = enrolment_rules.invite(session, campaign, found, system_clock.now())
    say(f"{influencer} in {key}: {enrolment.status}")


def _decide(key: str, influencer: str, target: str) -> None:
    with handled(), database().session() as session:
        enrolment = _enrolment(session, key, influencer)
        enrolment_rules.decide(session, enrolment, target, system_clock.now())
    say(f"{influencer} in {key}: {enrolment.status}")


def approve(key: str = KEY, influencer: str = INFLUENCER) -> None:
    """Approve an application or invitation, or reinstate a suspended influencer.

    An approved influencer gets a default tracked link.
    """
    _decide(key, influencer, "approved")


def reject(key: str = KEY, influencer: str = INFLUENCER) -> None:
    """Reject an application or withdraw an invitation."""
    _decide(key, influencer, "rejected")


def suspend(key: str = KEY, influencer: str = INFLUENCER) -> None:
    """Suspend an approved influencer: their links stop earning."""
    _decide(key, influencer, "suspended")


ENROLMENT_COMMANDS: list[tuple[str, Callable[..., None]]] = [
    ("enrol", enrol),
    ("invite", invite),
    ("approve", approve),
    ("reject", reject),
    ("suspend", suspend),
]
