"""Validated inputs for organisations, users and tokens (value objects at the edge)."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints, field_validator

from fairclick.accounts.models import Role
from fairclick.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from fairclick.domain.values import Country, Key, Name, Strict

Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]


class OrganisationIn(Strict):
    key: Key
    name: Name
    country: Country = "FR"


class UserIn(Strict):
    email: EmailStr
    role: Role
    organisation: Key | None = None
    """Key of the organisation (required for advertisers)."""
    password: Password | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class TokenIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = (
        "api"
    )
    days: int = Field(default=90, ge=1, le=3650)
