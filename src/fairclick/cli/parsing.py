"""Turning command-line text into typed values: money, rate cards, times, social accounts.

Amounts are given in major units (`0.35` EUR) and converted exactly with `Money.parse`; with
`--minor` they are integers in minor units (`35`). Either way no float is ever involved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fairclick.cli.common import fail
from fairclick.domain.clock import parse_timestamp
from fairclick.domain.influence import Network, Tier
from fairclick.domain.money import Money, MoneyError, check_currency


def currency_code(text: str) -> str:
    """An ISO 4217 code, or one error line."""
    try:
        return check_currency(text)
    except MoneyError as exc:
        raise fail(f"--currency: {exc}") from None


def amount(option: str, text: str, currency: str, *, minor: bool) -> int:
    """`text` as integer minor units of `currency`; negative amounts are refused here."""
    value = text.strip()
    if minor:
        try:
            result = int(value)
        except ValueError:
            raise fail(f"{option}: {text!r} is not a whole number of minor units") from None
    else:
        try:
            result = Money.parse(value, currency).minor
        except MoneyError as exc:
            raise fail(f"{option}: {exc}") from None
    if result < 0:
        raise fail(f"{option}: an amount cannot be negative ({text})")
    return result


def rate_card(option: str, text: str, currency: str, *, minor: bool) -> dict[str, int]:
    """A rate per tier from `0.35` (every tier) or `nano=0.35,micro=0.45,macro=0.55,mega=0.70`."""
    if "=" not in text:
        value = amount(option, text, currency, minor=minor)
        return {tier.value: value for tier in Tier}
    card: dict[str, int] = {}
    for part in text.split(","):
        name, sep, given = part.partition("=")
        tier = name.strip().lower()
        if not sep or tier not in {t.value for t in Tier}:
            tiers = ", ".join(t.value for t in Tier)
            raise fail(f"{option}: {part.strip()!r} is not TIER=AMOUNT with TIER one of {tiers}")
        card[tier] = amount(f"{option} {tier}", given, currency, minor=minor)
    return card


def timestamp(option: str, text: str) -> datetime:
    """RFC 3339 text (`2025-11-16T23:00:00Z`; without an offset, UTC) or epoch seconds."""
    try:
        return parse_timestamp(text)
    except ValueError:
        raise fail(f"{option}: {text!r} is not a time such as 2025-11-16T23:00:00Z") from None


def network(option: str, text: str) -> Network:
    """A social network name (aliases such as `twitter` accepted)."""
    try:
        return Network.parse(text)
    except ValueError as exc:
        raise fail(f"{option}: {exc}") from None


def social_account(text: str) -> dict[str, Any]:
    """`NETWORK:HANDLE[:FOLLOWERS]`, e.g. `x:lucasl77:2315`, as a social-account input."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[1].strip():
        raise fail(f"--account: {text!r} is not NETWORK:HANDLE[:FOLLOWERS]")
    data: dict[str, Any] = {"network": network("--account", parts[0]).value, "handle": parts[1]}
    if len(parts) == 3:
        try:
            data["followers"] = int(parts[2])
        except ValueError:
            raise fail(f"--account: followers {parts[2]!r} is not a whole number") from None
    return data


def money_text(minor: int | None, currency: str) -> str | None:
    """A stored amount for display (`180000.00 EUR`), None stays None."""
    return None if minor is None else Money(minor, currency).format()
