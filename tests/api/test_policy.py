"""The policy module: framework-free, and its action rules on their own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fairclick.accounts.models import Organisation, Role
from fairclick.accounts.policy import Action, Actor, can, require
from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.domain.errors import Forbidden, Unauthorized
from fairclick.influencers.models import Influencer

ADMIN = Actor(1, "admin@example.org", Role.ADMIN, None, None)
ANNA = Actor(2, "anna@vox.example", Role.ADVERTISER, 10, None)
BEN = Actor(3, "ben@nova.example", Role.ADVERTISER, 20, None)
LUCAS = Actor(4, "lucas@example.org", Role.INFLUENCER, None, 100)
ORPHAN = Actor(5, "orphan@vox.example", Role.ADVERTISER, None, None)  # no organisation


def test_the_policy_imports_no_web_framework() -> None:
    code = (
        "import sys, fairclick.accounts.policy; "
        "bad = [m for m in ('fastapi', 'starlette', 'fairclick.api', 'fairclick.web') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actions_on_campaigns_follow_the_organisation() -> None:
    vox = Campaign(id=1, organisation_id=10)
    assert can(ANNA, Action.CAMPAIGN_UPDATE, vox) and can(ADMIN, Action.CAMPAIGN_UPDATE, vox)
    assert not can(BEN, Action.CAMPAIGN_UPDATE, vox)
    assert not can(LUCAS, Action.CAMPAIGN_UPDATE, vox)
    assert not can(ORPHAN, Action.CAMPAIGN_CREATE, Organisation(id=10))
    assert can(ANNA, Action.CAMPAIGN_CREATE, Organisation(id=10))
    assert not can(ANNA, Action.CAMPAIGN_CREATE, Organisation(id=20))
    assert not can(None, Action.CAMPAIGN_UPDATE, vox)


def test_only_influencers_apply_and_only_for_themselves() -> None:
    vox = Campaign(id=1, organisation_id=10)
    assert can(LUCAS, Action.ENROLMENT_APPLY, vox)
    assert not can(ADMIN, Action.ENROLMENT_APPLY, vox)
    assert not can(ANNA, Action.ENROLMENT_APPLY, vox)
    own, other = Enrolment(id=1, influencer_id=100), Enrolment(id=2, influencer_id=101)
    assert can(LUCAS, Action.POST_CREATE, own) and not can(LUCAS, Action.POST_CREATE, other)
    assert not can(ANNA, Action.LINK_CREATE, own)


def test_private_fields_and_moderation() -> None:
    lucas = Influencer(id=100)
    assert can(LUCAS, Action.INFLUENCER_READ_PRIVATE, lucas)
    assert not can(ANNA, Action.INFLUENCER_READ_PRIVATE, lucas)
    assert can(LUCAS, Action.INFLUENCER_UPDATE, lucas)
    assert not can(LUCAS, Action.INFLUENCER_MODERATE, lucas)
    assert can(ADMIN, Action.INFLUENCER_MODERATE, lucas)


def test_require_tells_anonymous_from_forbidden() -> None:
    with pytest.raises(Unauthorized):
        require(None, Action.ORGANISATION_CREATE)
    with pytest.raises(Forbidden):
        require(ANNA, Action.ORGANISATION_CREATE)
    require(ADMIN, Action.ORGANISATION_CREATE)
