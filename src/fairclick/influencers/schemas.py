"""Validated inputs for influencer profiles, social accounts and sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints, field_validator

from fairclick.domain.clock import ensure_utc
from fairclick.domain.influence import Network
from fairclick.domain.values import Country, Key, Strict, Url

Handle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^@?[^\s/]+$"),
]
Language = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2}$")]
UtcTime = Annotated[datetime, AfterValidator(ensure_utc)]


class SocialAccountIn(Strict):
    network: Network
    handle: Handle
    profile_url: Url | None = None
    followers: int = Field(default=0, ge=0, le=2_000_000_000)

    @field_validator("network", mode="before")
    @classmethod
    def _alias(cls, value: object) -> object:
        return Network.parse(value) if isinstance(value, str) else value

    @field_validator("handle")
    @classmethod
    def _strip_at(cls, value: str) -> str:
        return value.removeprefix("@")


class SessionIn(Strict):
    """One of the influencer's own logins or devices (self-click evidence)."""

    ts: UtcTime
    ip: str | None = None
    user_agent: Annotated[str, StringConstraints(max_length=1000)] | None = None
    visitor_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class InfluencerIn(Strict):
    key: Key
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    country: Country
    email: EmailStr | None = None
    password: Annotated[str, Field(min_length=8, max_length=1024)] | None = None
    languages: list[Language] = Field(default_factory=list, max_length=20)
    social_accounts: list[SocialAccountIn] = Field(default_factory=list, max_length=50)
    sessions: list[SessionIn] = Field(default_factory=list, max_length=10_000)
    status: str = "active"

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in {"pending", "active", "suspended"}:
            raise ValueError("status is one of pending, active, suspended")
        return value
