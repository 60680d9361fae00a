"""`fairclick campaign …`: campaigns, their lifecycle and their influencers' enrolments.

Amounts are major units (`--budget 180000 --payout 0.35`) converted exactly, or minor units
with `--minor` (`--budget 18000000 --payout 35`).
"""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.orm import Session

from fairclick.accounts.service import get_organisation_by_key
from fairclick.campaigns.models import Campaign, CampaignStatus, Openness, Strictness
from fairclick.campaigns.schemas import CampaignIn, CampaignUpdate
from fairclick.campaigns.service import (
    change_status,
    create_campaign,
    get_campaign_by_key,
    update_campaign,
)
from fairclick.cli import queries
from fairclick.cli.common import (
    build,
    database,
    fail,
    handled,
    print_json,
    print_record,
    print_table,
    say,
)
from fairclick.cli.enrolments import ENROLMENT_COMMANDS
from fairclick.cli.parsing import amount, currency_code, money_text, network, rate_card, timestamp
from fairclick.domain.influence import Tier

campaign_app = typer.Typer(
    help="Campaigns: create, change, run (activate/pause/end) and enrol influencers.",
    no_args_is_help=True,
)
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
MINOR = typer.Option(
    False, "--minor", help="Amounts are whole minor units (35 = 0.35 EUR), not major units."
)


def _opt(default: Any, *names: str, help: str) -> Any:
    return typer.Option(default, *names, help=help)


# The same options for create and update (required ones are checked by the schema on create).
NAME = _opt(None, "--name", help="Campaign name (its slug becomes utm_campaign).")
DESTINATION = _opt(None, "--destination", help="Destination URL (http or https).")
FALLBACK = _opt(None, "--fallback-url", help="Where clicks go while paused or ended.")
PAYOUT = _opt(
    None,
    "--payout",
    help="Influencer payout per valid click: one amount for every tier, or "
    "nano=0.35,micro=0.45,macro=0.55,mega=0.70.",
)
PRICE = _opt(None, "--price", help="Advertiser price per valid click by tier (as --payout).")
COMMISSION = _opt(
    None, "--commission", help="Platform commission in percent on top of the payout (default 30)."
)
BUDGET = _opt(None, "--budget", help="Total budget.")
DAILY_CAP = _opt(None, "--daily-cap", help="Spend cap per day (campaign time zone).")
INFLUENCER_CAP = _opt(None, "--influencer-cap", help="Spend cap per influencer.")
START = _opt(None, "--start", help="Start, RFC 3339 (2025-11-16T23:00:00Z; no offset = UTC).")
END = _opt(None, "--end", help="End, RFC 3339; must be after the start.")
TIMEZONE = _opt(None, "--timezone", help="IANA time zone for daily caps, e.g. Europe/Paris.")
DEDUPE = _opt(None, "--dedupe-hours", help="Duplicate-click window in hours (default 24).")
NETWORKS = _opt(None, "--network", help="Allowed network (repeatable; none = every network).")
COUNTRIES = _opt(None, "--country", help="Targeted country (repeatable; none = every country).")
MIN_FOLLOWERS = _opt(None, "--min-followers", help="Minimum reach to join.")
OPENNESS = _opt(None, "--openness", help="invite_only, on_approval (default) or open.")
STRICTNESS = _opt(None, "--strictness", help="strict, standard (default) or lenient.")
HOLD_DAYS = _opt(None, "--hold-days", help="Days earnings are held before payout (default 14).")
ALLOW = _opt(
    None, "--allow", help="IP range or user-agent substring never judged invalid (repeatable)."
)
VIOLATIONS = _opt(None, "--violation-limit", help="Incitement violations before suspension.")


def _fields(currency: str, minor: bool, raw: dict[str, Any]) -> dict[str, Any]:
    """Command-line values (None = not given) as schema input, amounts in minor units."""
    data: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or value == []:
            continue
        option = "--" + name.replace("_", "-")
        if name in ("payout_by_tier", "advertiser_price_by_tier"):
            flag = "--payout" if name == "payout_by_tier" else "--price"
            data[name] = rate_card(flag, value, currency, minor=minor)
        elif name in ("budget", "daily_cap", "influencer_cap"):
            data[name] = amount(option, value, currency, minor=minor)
        elif name in ("start", "end"):
            data[name] = timestamp(option, value)
        elif name == "allowed_networks":
            data[name] = [network("--network", item).value for item in value]
        else:
            data[name] = value
    return data


@campaign_app.command("create")
def create(
    organisation: str = typer.Option(..., "--org", help="Key of the advertiser's organisation."),
    key: str | None = typer.Option(None, "--key", help="Stable key (default: slug of the name)."),
    currency: str = typer.Option("EUR", "--currency", help="ISO 4217 currency of every amount."),
    name: str | None = NAME,
    destination: str | None = DESTINATION,
    fallback_url: str | None = FALLBACK,
    payout: str | None = PAYOUT,
    price: str | None = PRICE,
    commission: int | None = COMMISSION,
    budget: str | None = BUDGET,
    daily_cap: str | None = DAILY_CAP,
    influencer_cap: str | None = INFLUENCER_CAP,
    start: str | None = START,
    end: str | None = END,
    timezone: str | None = TIMEZONE,
    dedupe_hours: int | None = DEDUPE,
    networks: list[str] | None = NETWORKS,
    countries: list[str] | None = COUNTRIES,
    min_followers: int | None = MIN_FOLLOWERS,
    openness: Openness | None = OPENNESS,
    strictness: Strictness | None = STRICTNESS,
    hold_days: int | None = HOLD_DAYS,
    allow: list[str] | None = ALLOW,
    violation_limit: int | None = VIOLATIONS,
    minor: bool = MINOR,
) -> None:
    """Create a campaign in `draft` (then `fairclick campaign activate KEY`).

    Needs at least --org, --name, --destination, --payout, --budget, --start and --end.
    """
    given = {
        "--name": name,
        "--destination": destination,
        "--payout": payout,
        "--budget": budget,
        "--start": start,
        "--end": end,
    }
    missing = [option for option, value in given.items() if value is None]
    if missing:
        raise fail(f"a new campaign needs {', '.join(missing)} (see --help)")
    code = currency_code(currency)
    data = _fields(
        code,
        minor,
        {
            "name": name,
            "destination_url": destination,
            "fallback_url": fallback_url,
            "payout_by_tier": payout,
            "advertiser_price_by_tier": price,
            "commission_percent": commission,
            "budget": budget,
            "daily_cap": daily_cap,
            "influencer_cap": influencer_cap,
            "start": start,
            "end": end,
            "timezone": timezone,
            "dedupe_window_hours": dedupe_hours,
            "allowed_networks": networks,
            "target_countries": countries,
            "min_followers": min_followers,
            "openness": openness,
            "strictness": strictness,
            "hold_days": hold_days,
            "allow_list": allow,
            "violation_limit": violation_limit,
        },
    )
    data |= {"key": key, "organisation": organisation, "currency": code}
    checked = build(CampaignIn, data)
    with handled(), database().session() as session:
        campaign = create_campaign(session, checked, get_organisation_by_key(session, organisation))
    say(f"created campaign {campaign.key} ({campaign.status})")


@campaign_app.command("update")
def update(
    key: str = typer.Argument(..., help="The campaign's key."),
    name: str | None = NAME,
    destination: str | None = DESTINATION,
    fallback_url: str | None = FALLBACK,
    payout: str | None = PAYOUT,
    price: str | None = PRICE,
    commission: int | None = COMMISSION,
    budget: str | None = BUDGET,
    daily_cap: str | None = DAILY_CAP,
    influencer_cap: str | None = INFLUENCER_CAP,
    start: str | None = START,
    end: str | None = END,
    timezone: str | None = TIMEZONE,
    dedupe_hours: int | None = DEDUPE,
    networks: list[str] | None = NETWORKS,
    countries: list[str] | None = COUNTRIES,
    min_followers: int | None = MIN_FOLLOWERS,
    openness: Openness | None = OPENNESS,
    strictness: Strictness | None = STRICTNESS,
    hold_days: int | None = HOLD_DAYS,
    allow: list[str] | None = ALLOW,
    violation_limit: int | None = VIOLATIONS,
    minor: bool = MINOR,
) -> None:
    """Change some fields of a campaign; the others keep their values.

    A repeatable option, when given, replaces the whole list. Amounts are in the campaign's
    currency.
    """
    raw = {
        "name": name,
        "destination_url": destination,
        "fallback_url": fallback_url,
        "payout_by_tier": payout,
        "advertiser_price_by_tier": price,
        "commission_percent": commission,
        "budget": budget,
        "daily_cap": daily_cap,
        "influencer_cap": influencer_cap,
        "start": start,
        "end": end,
        "timezone": timezone,
        "dedupe_window_hours": dedupe_hours,
        "allowed_networks": networks,
        "target_countries": countries,
        "min_followers": min_followers,
        "openness": openness,
        "strictness": strictness,
        "hold_days": hold_days,
        "allow_list": allow,
        "violation_limit": violation_limit,
    }
    with handled(), database().session() as session:
        campaign = get_campaign_by_key(session, key)
        changes = _fields(campaign.currency, minor, raw)
        if not changes:
            say("nothing to change (see --help for the options)")
            return
        update_campaign(session, campaign, build(CampaignUpdate, changes))
    say(f"updated {campaign.key}: {', '.join(sorted(changes))}")


@campaign_app.command("list")
def list_(
    organisation: str | None = typer.Option(None, "--org", help="Only this organisation's."),
    status: CampaignStatus | None = typer.Option(None, "--status", help="Only this status."),
    limit: int = typer.Option(1000, "--limit", min=1, max=100_000, help="Show at most this many."),
    as_json: bool = JSON,
) -> None:
    """List campaigns."""
    with handled(), database().session() as session:
        rows = queries.campaigns(session, limit, organisation, status.value if status else None)
    data = [
        {
            "key": c.key,
            "name": c.name,
            "organisation": org,
            "status": c.status,
            "openness": c.openness,
            "currency": c.currency,
            "budget_minor": c.budget_minor,
            "start": c.start_at,
            "end": c.end_at,
        }
        for c, org in rows
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        "Campaigns",
        ["key", "name", "organisation", "status", "openness", "budget", "start", "end"],
        [
            (
                d["key"],
                d["name"],
                d["organisation"],
                d["status"],
                d["openness"],
                money_text(d["budget_minor"], d["currency"]),
                d["start"],
                d["end"],
            )
            for d in data
        ],
    )


def _card_text(card: dict[str, int] | None, currency: str) -> str | None:
    if not card:
        return None
    return ", ".join(f"{t.value} {money_text(card[t.value], currency)}" for t in Tier)


def _campaign_data(session: Session, campaign: Campaign) -> dict[str, Any]:
    return {
        "key": campaign.key,
        "name": campaign.name,
        "organisation": queries.organisation_key(session, campaign.organisation_id),
        "status": campaign.status,
        "destination_url": campaign.destination_url,
        "fallback_url": campaign.fallback_url,
        "currency": campaign.currency,
        "payout_by_tier": campaign.payout_by_tier,
        "advertiser_price_by_tier": campaign.advertiser_price_by_tier,
        "commission_percent": campaign.commission_percent,
        "budget_minor": campaign.budget_minor,
        "daily_cap_minor": campaign.daily_cap_minor,
        "influencer_cap_minor": campaign.influencer_cap_minor,
        "start": campaign.start_at,
        "end": campaign.end_at,
        "timezone": campaign.timezone,
        "dedupe_window_hours": campaign.dedupe_window_hours,
        "allowed_networks": campaign.allowed_networks,
        "target_countries": campaign.target_countries,
        "min_followers": campaign.min_followers,
        "openness": campaign.openness,
        "strictness": campaign.strictness,
        "hold_days": campaign.hold_days,
        "allow_list": campaign.allow_list,
        "violation_limit": campaign.violation_limit,
        "links": queries.link_count(session, campaign.id),
    }


@campaign_app.command("show")
def show(key: str = typer.Argument(..., help="The campaign's key."), as_json: bool = JSON) -> None:
    """Show a campaign's settings and its influencers."""
    with handled(), database().session() as session:
        campaign = get_campaign_by_key(session, key)
        data = _campaign_data(session, campaign)
        enrolled = [
            {"influencer": influencer, "status": e.status, "decided_at": e.decided_at}
            for e, influencer in queries.enrolments_of_campaign(session, campaign.id)
        ]
    if as_json:
        print_json(data | {"enrolments": enrolled})
        return
    currency = data["currency"]
    shown: list[tuple[str, Any]] = []
    for name, value in data.items():
        if name.endswith("_minor"):
            shown.append((name.removesuffix("_minor"), money_text(value, currency)))
        elif name.endswith("_by_tier"):
            shown.append((name, _card_text(value, currency)))
        else:
            shown.append((name, value))
    print_record(f"Campaign {campaign.key}", shown)
    print_table(
        "Enrolments", ["influencer", "status", "decided"], [tuple(r.values()) for r in enrolled]
    )


def _move(key: str, target: CampaignStatus) -> None:
    with handled(), database().session() as session:
        campaign = change_status(session, get_campaign_by_key(session, key), target.value)
    say(f"{campaign.key} is now {campaign.status}")


KEY = typer.Argument(..., help="The campaign's key.")


@campaign_app.command("activate")
def activate(key: str = KEY) -> None:
    """Start (draft → active) or resume (paused → active) a campaign."""
    _move(key, CampaignStatus.ACTIVE)


@campaign_app.command("pause")
def pause(key: str = KEY) -> None:
    """Pause an active campaign: clicks go to the fallback URL and are not billed."""
    _move(key, CampaignStatus.PAUSED)


@campaign_app.command("end")
def end(key: str = KEY) -> None:
    """End a campaign for good (ended is final)."""
    _move(key, CampaignStatus.ENDED)


# Enrolment decisions are `fairclick campaign …` commands too (cli/enrolments.py).
for _name, _command in ENROLMENT_COMMANDS:
    campaign_app.command(_name)(_command)
