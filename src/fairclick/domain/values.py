"""Typed input values shared by every capability's schemas: trimmed, bounded, validated."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from fairclick.domain.money import check_currency
from fairclick.domain.urls import check_destination

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def check_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased; ValueError otherwise."""
    code = value.strip().upper()
    if not _COUNTRY.match(code):
        raise ValueError(f"{value!r} is not a two-letter ISO 3166 country code")
    return code


def check_timezone(value: str) -> str:
    """An IANA time-zone name such as `Europe/Paris`; ValueError otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris") from None
    return value


Key = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Country = Annotated[str, AfterValidator(check_country)]
Currency = Annotated[str, AfterValidator(check_currency)]
TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
Url = Annotated[str, AfterValidator(check_destination)]


class Strict(BaseModel):
    """Base of every input: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
