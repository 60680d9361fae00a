"""What the worker calls: a validator (verdicts) and a biller (ledger postings), as protocols.

The validation engine (`fairclick.validation`, through `EngineValidator`) and the ledger
(`fairclick.ledger`, through `LedgerBiller`) implement them; `NoRulesValidator` is the explicit
"no rules configured" validator (every click valid, enriched with IP prefix, keyed hash and
visitor key only), and `PendingBiller` leaves clicks `pending` for a deployment without a
ledger.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy.orm import Session

from fairclick.config import Settings
from fairclick.domain.click import BillableClick, ClickEvent
from fairclick.domain.reasons import Verdict
from fairclick.influencers.service import ip_hash, ip_prefix


class EnrichmentLike(Protocol):
    """What the worker copies from a decision's enrichment onto the click row."""

    @property
    def ip_prefix(self) -> str: ...
    @property
    def ip_hash(self) -> str: ...
    @property
    def country(self) -> str | None: ...
    @property
    def asn(self) -> int | None: ...
    @property
    def as_org(self) -> str | None: ...
    @property
    def browser(self) -> str | None: ...
    @property
    def os(self) -> str | None: ...
    @property
    def device(self) -> str | None: ...
    @property
    def visitor_key(self) -> str: ...


class DecisionLike(Protocol):
    """A validator's verdict on one click."""

    @property
    def click_id(self) -> str: ...
    @property
    def verdict(self) -> str: ...
    @property
    def reasons(self) -> Sequence[str]: ...
    @property
    def flags(self) -> Sequence[str]: ...
    @property
    def evidence(self) -> Mapping[str, Any]: ...
    @property
    def enrichment(self) -> EnrichmentLike: ...


@dataclass(frozen=True, slots=True)
class ValidationContext:
    """What a validator may read besides the clicks: the worker's transaction, the time of the
    batch (event time under ingest) and the secret of the keyed IP hash."""

    session: Session
    now: datetime
    secret_key: str


class Validator(Protocol):
    def validate(self, clicks: Sequence[ClickEvent], context: Any) -> Sequence[DecisionLike]:
        """One decision per click, in the order given (event-time order)."""
        ...


@dataclass(frozen=True, slots=True)
class Enrichment:
    ip_prefix: str
    ip_hash: str
    visitor_key: str
    country: str | None = None
    asn: int | None = None
    as_org: str | None = None
    browser: str | None = None
    os: str | None = None
    device: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    click_id: str
    verdict: str
    enrichment: Enrichment
    reasons: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=65_536)
def _ip_facts(ip: str, secret_key: str) -> tuple[str, str]:
    # Memoised: traffic repeats addresses, and parsing one costs more than the rest of a click.
    try:
        return ip_prefix(ip), ip_hash(ip, secret_key)
    except ValueError:
        return "", ""


def basic_enrichment(click: ClickEvent, secret_key: str) -> Enrichment:
    """IP prefix and keyed hash (blank for a missing or malformed address) and the visitor key:
    the first-party cookie id, else a keyed hash of IP and user agent."""
    prefix, hashed = _ip_facts(click.ip, secret_key)
    visitor = click.visitor_id or click.assigned_visitor_id
    if visitor:
        key = "v:" + visitor
    else:
        key = "h:" + hashlib.sha256(f"{hashed}|{click.user_agent}".encode()).hexdigest()[:32]
    return Enrichment(ip_prefix=prefix, ip_hash=hashed, visitor_key=key)


class NoRulesValidator:
    """The validator of a platform with no rules installed: every click is valid."""

    def validate(self, clicks: Sequence[ClickEvent], context: Any) -> list[Decision]:
        """One `valid` decision per click, with the basic enrichment."""
        return [
            Decision(c.click_id, Verdict.VALID.value, basic_enrichment(c, context.secret_key))
            for c in clicks
        ]


class OutcomeLike(Protocol):
    @property
    def click_id(self) -> str: ...
    @property
    def billing(self) -> str: ...
    @property
    def cause(self) -> str | None: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def payout_minor(self) -> int: ...
    @property
    def currency(self) -> str: ...


class Biller(Protocol):
    def bill(
        self, session: Session, clicks: Sequence[BillableClick], now: datetime
    ) -> Sequence[OutcomeLike]:
        """Post the clicks inside the caller's transaction (never commit); one outcome per
        click it decided on. Clicks without an outcome stay `pending`."""
        ...

    def hold(
        self, session: Session, clicks: Sequence[BillableClick], now: datetime
    ) -> Sequence[OutcomeLike]:
        """Record valid clicks held for moderation (unbilled `held_for_review`, no money)."""
        ...


class PendingBiller:
    """No ledger: valid clicks stay `pending` until one posts them."""

    def bill(
        self, session: Session, clicks: Sequence[BillableClick], now: datetime
    ) -> list[OutcomeLike]:
        """Decide nothing."""
        return []

    def hold(
        self, session: Session, clicks: Sequence[BillableClick], now: datetime
    ) -> list[OutcomeLike]:
        """Decide nothing: held clicks stay `pending` too."""
        return []


class LedgerBiller:
    """The double-entry ledger (`fairclick.ledger.posting.bill_clicks`)."""

    def bill(
        self, session: Session, clicks: Sequence[BillableClick], now: datetime
    ) -> Sequence[OutcomeLike]:
        """Bill through the ledger, which is idempotent by click id."""
        from fairclick.ledger import posting

        return posting.bill_clicks(session, clicks, now=now)

    def hold(
        self, session: Session, clicks: Sequence[BillableClick], now: datetime
    ) -> Sequence[OutcomeLike]:
        """Hold through the ledger until moderation releases or drops the clicks."""
        from fairclick.ledger import posting

        return posting.hold(session, clicks, now=now)


def default_biller() -> Biller:
    """The ledger when it is installed, else `PendingBiller`."""
    if importlib.util.find_spec("fairclick.ledger.posting") is not None:
        return LedgerBiller()
    return PendingBiller()


class EngineValidator:
    """The validation engine (`fairclick.validation`) with the platform's view of each batch
    (campaign policies, influencers' own sessions, inciting posts) read in the worker's
    transaction."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def validate(self, clicks: Sequence[ClickEvent], context: Any) -> Sequence[DecisionLike]:
        """The engine's decisions, one per click, in the order given."""
        from fairclick.validation.platform import platform_context

        decisions: Sequence[DecisionLike] = self.engine.validate(
            clicks, platform_context(context.session, clicks)
        )
        return decisions


def default_validator(settings: Settings | None = None) -> Validator:
    """The validation engine configured from `settings` when it is installed, else (or without
    settings) `NoRulesValidator`: every click valid."""
    if settings is not None and importlib.util.find_spec("fairclick.validation.platform"):
        from fairclick.validation.engine import build_validator

        return EngineValidator(build_validator(settings))
    return NoRulesValidator()
