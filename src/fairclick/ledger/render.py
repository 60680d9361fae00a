"""Statements rendered as JSON (API), CSV (spreadsheets) and a printable HTML page."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from fairclick.domain.money import Money
from fairclick.ledger.statements import AdvertiserStatement, InfluencerStatement, StatementLine

Statement = AdvertiserStatement | InfluencerStatement
FORMATS = ("json", "csv", "html")

_env = Environment(
    loader=PackageLoader("fairclick.ledger", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["money"] = lambda minor, currency: Money(int(minor), currency).format()


def _line(line: StatementLine) -> dict[str, Any]:
    return {**asdict(line), "net": line.net, "net_payout": line.net_payout}


def to_dict(statement: Statement) -> dict[str, Any]:
    """Plain data: amounts in integer minor units with their currency, times in RFC 3339."""
    data = asdict(statement)
    data["lines"] = [_line(line) for line in statement.lines]
    if isinstance(statement, AdvertiserStatement):
        data["kind"] = "advertiser"
    else:
        data.update(kind="influencer", valid_rate=statement.valid_rate, earnings=statement.earnings)
    return data


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(statement: Statement) -> str:
    """The statement as indented JSON."""
    return json.dumps(to_dict(statement), default=_default, indent=2, ensure_ascii=False)


CSV_COLUMNS = (
    "campaign_key",
    "campaign_name",
    "influencer_key",
    "influencer_name",
    "currency",
    "clicks_billed",
    "amount_billed",
    "clicks_credited",
    "amount_credited",
    "net",
    "payout",
    "payout_reversed",
    "net_payout",
)


def to_csv(statement: Statement) -> str:
    """One row per campaign × influencer (amounts in minor units), the month in every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("month", *CSV_COLUMNS))
    for line in statement.lines:
        row = _line(line)
        writer.writerow((statement.month, *(row[c] for c in CSV_COLUMNS)))
    return buffer.getvalue()


def to_html(statement: Statement) -> str:
    """A self-contained printable page (inline CSS, no scripts)."""
    template = _env.get_template("statement.html")
    return template.render(s=statement, advertiser=isinstance(statement, AdvertiserStatement))


def render(statement: Statement, fmt: str) -> str:
    """Render in `fmt` (json, csv or html)."""
    if fmt == "json":
        return to_json(statement)
    if fmt == "csv":
        return to_csv(statement)
    if fmt == "html":
        return to_html(statement)
    raise ValueError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
