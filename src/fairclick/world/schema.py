"""The world file's schema (documented in docs/world-file.md). Every section is optional."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from fairclick.accounts.models import Role
from fairclick.accounts.schemas import OrganisationIn, Password
from fairclick.campaigns.models import EnrolmentStatus
from fairclick.campaigns.schemas import CampaignIn
from fairclick.domain.clock import ensure_utc
from fairclick.domain.influence import Network
from fairclick.domain.values import Key, Strict, Url
from fairclick.influencers.schemas import InfluencerIn

UtcTime = Annotated[datetime, AfterValidator(ensure_utc)]


class WorldUser(Strict):
    email: EmailStr
    role: Role
    organisation: Key | None = None
    password: Password | None = None


class WorldCampaign(CampaignIn):
    key: Key
    organisation: Key


class WorldEnrolment(Strict):
    campaign: Key
    influencer: Key
    status: EnrolmentStatus = EnrolmentStatus.APPROVED


class WorldPost(Strict):
    url: Url | None = None
    text: Annotated[str, StringConstraints(max_length=20_000)] = ""
    posted_at: UtcTime | None = None


class WorldLink(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,64}$")] | None = None
    campaign: Key
    influencer: Key
    network: Network | None = None
    post: WorldPost | None = None


class World(Strict):
    organisations: list[OrganisationIn] = Field(default_factory=list)
    users: list[WorldUser] = Field(default_factory=list)
    influencers: list[InfluencerIn] = Field(default_factory=list)
    campaigns: list[WorldCampaign] = Field(default_factory=list)
    enrolments: list[WorldEnrolment] = Field(default_factory=list)
    links: list[WorldLink] = Field(default_factory=list)
