"""The campaign form: raw strings in, a `CampaignIn`/`CampaignUpdate` payload or per-field errors out.

Money is typed in major units (`0.35`) and converted exactly with `Money.parse`; dates are
typed in the campaign's time zone (`datetime-local`) and stored in UTC. Field names of the
payload follow `campaigns/schemas.py`; errors come back under the form's field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.datastructures import FormData

from fairclick.campaigns.models import Campaign
from fairclick.campaigns.schemas import CampaignIn, CampaignUpdate
from fairclick.domain.influence import Tier
from fairclick.domain.money import CURRENCY_EXPONENTS, Money, MoneyError, check_currency
from fairclick.domain.values import check_timezone
from fairclick.web.i18n import N_
from fairclick.web.i18n import gettext_ as _

TIERS = [tier.value for tier in Tier]
TEXT_FIELDS = (
    "name", "destination_url", "fallback_url", "currency", "commission_percent", "budget",
    "daily_cap", "influencer_cap", "start", "end", "timezone", "dedupe_window_hours",
    "target_countries", "min_followers", "openness", "strictness", "hold_days",
    *(f"payout_{t}" for t in TIERS), *(f"price_{t}" for t in TIERS),
)  # fmt: skip
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
GENERAL = "__all__"

# Cross-field rules of `check_coherence`, placed next to the field they concern.
_COHERENCE: tuple[tuple[str, str, str], ...] = (
    ("end must be after start", "end", N_("The end must be after the start.")),
    ("daily_cap cannot exceed", "daily_cap", N_("The daily cap cannot exceed the budget.")),
    (
        "influencer_cap cannot exceed",
        "influencer_cap",
        N_("The per-influencer cap cannot exceed the budget."),
    ),
    ("is below the influencer payout", GENERAL, N_("Advertiser prices must cover the payouts.")),
)


@dataclass
class CampaignForm:
    """What the form shows: the values as typed and the errors by field name."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def blank_values() -> dict[str, Any]:
    """The new-campaign form's defaults (the platform's defaults, typed as the user would)."""
    return {
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "dedupe_window_hours": "24",
        "hold_days": "14",
        "commission_percent": "30",
        "min_followers": "0",
        "openness": "on_approval",
        "strictness": "standard",
        "allowed_networks": [],
    }


def values_of(campaign: Campaign) -> dict[str, Any]:
    """The edit form's values for a stored campaign."""
    zone = ZoneInfo(campaign.timezone)

    def major(minor: int | None) -> str:
        return "" if minor is None else str(Money(minor, campaign.currency).to_decimal())

    values: dict[str, Any] = {
        "name": campaign.name,
        "destination_url": campaign.destination_url,
        "fallback_url": campaign.fallback_url or "",
        "currency": campaign.currency,
        "commission_percent": ""
        if campaign.commission_percent is None
        else str(campaign.commission_percent),
        "budget": major(campaign.budget_minor),
        "daily_cap": major(campaign.daily_cap_minor),
        "influencer_cap": major(campaign.influencer_cap_minor),
        "start": campaign.start_at.astimezone(zone).strftime(LOCAL_FORMAT),
        "end": campaign.end_at.astimezone(zone).strftime(LOCAL_FORMAT),
        "timezone": campaign.timezone,
        "dedupe_window_hours": str(campaign.dedupe_window_hours),
        "target_countries": ", ".join(campaign.target_countries or []),
        "min_followers": str(campaign.min_followers),
        "openness": campaign.openness,
        "strictness": campaign.strictness,
        "hold_days": str(campaign.hold_days),
        "allowed_networks": list(campaign.allowed_networks or []),
    }
    for tier in TIERS:
        values[f"payout_{tier}"] = major(campaign.payout_by_tier.get(tier))
        price = (campaign.advertiser_price_by_tier or {}).get(tier)
        values[f"price_{tier}"] = major(price)
    return values


def _clean_message(message: str) -> str:
    return message.removeprefix("Value error, ")


def parse_campaign_form(
    form: FormData, *, creating: bool, currency: str | None = None
) -> CampaignForm:
    """Convert and validate the submitted form. `currency` is the stored one when editing."""
    values: dict[str, Any] = {
        name: str(form.get(name) or "").strip()[:2000] for name in TEXT_FIELDS
    }
    values["allowed_networks"] = [str(n) for n in form.getlist("allowed_networks")][:20]
    result = CampaignForm(values=values)
    errors = result.errors
    payload: dict[str, Any] = {}

    cur = currency or values["currency"] or "EUR"
    try:
        cur = check_currency(cur)
    except MoneyError:
        errors["currency"] = _("Unknown currency: use an ISO 4217 code such as EUR.")
        cur = "EUR"
    if creating:
        payload["currency"] = cur

    def amount(name: str, required: bool) -> int | None:
        text = values[name]
        if not text:
            if required:
                errors[name] = _("Required.")
            return None
        try:
            minor = Money.parse(text, cur).minor
        except MoneyError as exc:
            if "precision" in str(exc):
                errors[name] = _("At most %(digits)d decimals in %(currency)s.") % {
                    "digits": CURRENCY_EXPONENTS[cur],
                    "currency": cur,
                }
            else:
                errors[name] = _("Not an amount in %(currency)s (for example 0.35).") % {
                    "currency": cur
                }
            return None
        if minor < 0:
            errors[name] = _("Must not be negative.")
        return minor

    def integer(name: str) -> int | None:
        text = values[name]
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            errors[name] = _("Not a whole number.")
            return None

    for name in ("name", "destination_url", "openness", "strictness"):
        if values[name]:
            payload[name] = values[name]
        elif name in ("name", "destination_url"):
            errors[name] = _("Required.")
    if values["fallback_url"]:
        payload["fallback_url"] = values["fallback_url"]
    payload["payout_by_tier"] = {t: amount(f"payout_{t}", True) for t in TIERS}
    prices = {t: amount(f"price_{t}", False) for t in TIERS}
    if any(v is not None for v in prices.values()):
        payload["advertiser_price_by_tier"] = prices
    payload["budget"] = amount("budget", True)
    for name in ("daily_cap", "influencer_cap"):
        payload[name] = amount(name, False)
    for name in ("commission_percent", "dedupe_window_hours", "min_followers", "hold_days"):
        number = integer(name)
        if number is not None:
            payload[name] = number

    zone_name = values["timezone"] or "UTC"
    try:
        zone = ZoneInfo(check_timezone(zone_name))
        payload["timezone"] = zone_name
    except ValueError:
        errors["timezone"] = _("Unknown time zone: use a name such as Europe/Paris.")
        zone = ZoneInfo("UTC")
    for name in ("start", "end"):
        try:
            local = datetime.strptime(values[name], LOCAL_FORMAT)
            payload[name] = local.replace(tzinfo=zone).astimezone(UTC)
        except ValueError:
            errors[name] = _("Required: a date and time.")
    payload["allowed_networks"] = values["allowed_networks"]
    payload["target_countries"] = [
        c.strip() for c in values["target_countries"].replace(";", ",").split(",") if c.strip()
    ]
    if errors:
        return result

    schema = CampaignIn if creating else CampaignUpdate
    try:
        schema.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            _place(errors, error["loc"], _clean_message(str(error["msg"])))
        return result
    result.payload = payload
    return result


def _place(errors: dict[str, str], loc: tuple[int | str, ...], message: str) -> None:
    if not loc:
        for needle, name, text in _COHERENCE:
            if needle in message:
                errors.setdefault(name, _(text))
                return
        errors.setdefault(GENERAL, message)
        return
    head = str(loc[0])
    if head in ("payout_by_tier", "advertiser_price_by_tier") and len(loc) > 1:
        prefix = "payout" if head == "payout_by_tier" else "price"
        errors.setdefault(f"{prefix}_{loc[1]}", message)
    elif head in ("start", "end", "budget", "daily_cap", "influencer_cap"):
        errors.setdefault(head, message)
    else:
        errors.setdefault(
            head if head in TEXT_FIELDS or head == "allowed_networks" else GENERAL, message
        )
