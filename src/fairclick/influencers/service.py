"""Rules for influencer profiles: creation, social accounts, tier, own sessions."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Role, User
from fairclick.accounts.passwords import hash_password
from fairclick.accounts.service import get_user_by_email
from fairclick.domain.errors import Conflict, InvalidInput, NotFound
from fairclick.domain.influence import Tier, tier_for_reach
from fairclick.influencers.models import Influencer, InfluencerSession, SocialAccount
from fairclick.influencers.schemas import InfluencerIn, SessionIn, SocialAccountIn


def ip_prefix(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address, as text: what is kept of an IP."""
    address = ipaddress.ip_address(ip)
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def ip_hash(ip: str, secret_key: str) -> str:
    """Keyed hash of the full address (HMAC-SHA256, 32 hex characters)."""
    return hmac.new(secret_key.encode(), ip.encode(), hashlib.sha256).hexdigest()[:32]


def get_influencer_by_key(session: Session, key: str) -> Influencer:
    """The influencer with `key`, or `NotFound`."""
    found = session.scalar(select(Influencer).where(Influencer.key == key))
    if found is None:
        raise NotFound(f"no influencer with key {key!r}")
    return found


def influencer_for_user(session: Session, user_id: int) -> Influencer | None:
    """The profile of an influencer login, if any."""
    return session.scalar(select(Influencer).where(Influencer.user_id == user_id))


def create_influencer(session: Session, data: InfluencerIn, secret_key: str) -> Influencer:
    """A new profile with its social accounts, sessions and (given an email) its login."""
    if session.scalar(select(Influencer.id).where(Influencer.key == data.key)) is not None:
        raise Conflict(f"an influencer with key {data.key!r} exists", field="key")
    user_id = None
    if data.email:
        if get_user_by_email(session, data.email) is not None:
            raise Conflict(f"a user with email {data.email!r} exists", field="email")
        user = User(
            email=data.email.lower(),
            role=Role.INFLUENCER.value,
            password_hash=hash_password(data.password) if data.password else None,
        )
        session.add(user)
        session.flush()
        user_id = user.id
    influencer = Influencer(
        key=data.key,
        user_id=user_id,
        display_name=data.display_name,
        country=data.country,
        languages=list(data.languages),
        status=data.status,
    )
    session.add(influencer)
    session.flush()
    for account in data.social_accounts:
        add_social_account(session, influencer, account)
    for item in data.sessions:
        record_session(session, influencer, item, secret_key)
    return influencer


def add_social_account(
    session: Session, influencer: Influencer, data: SocialAccountIn
) -> SocialAccount:
    """Link an account; `Conflict` when another influencer holds that handle on that network."""
    existing = session.scalar(
        select(SocialAccount).where(
            SocialAccount.network == data.network.value, SocialAccount.handle == data.handle
        )
    )
    if existing is not None:
        if existing.influencer_id != influencer.id:
            raise Conflict(
                f"{data.network.value} account @{data.handle} belongs to another influencer",
                field="social_accounts",
            )
        existing.followers = data.followers
        existing.profile_url = data.profile_url
        return existing
    account = SocialAccount(
        influencer_id=influencer.id,
        network=data.network.value,
        handle=data.handle,
        profile_url=data.profile_url,
        followers=data.followers,
    )
    session.add(account)
    session.flush()
    return account


def social_accounts(session: Session, influencer_id: int) -> list[SocialAccount]:
    """The influencer's accounts, in the order they were added."""
    return list(
        session.scalars(
            select(SocialAccount)
            .where(SocialAccount.influencer_id == influencer_id)
            .order_by(SocialAccount.id)
        )
    )


def total_followers(session: Session, influencer_id: int) -> int:
    """Reach: the sum of followers over the influencer's accounts."""
    total = session.scalar(
        select(func.coalesce(func.sum(SocialAccount.followers), 0)).where(
            SocialAccount.influencer_id == influencer_id
        )
    )
    return int(total or 0)


def tier_of(session: Session, influencer_id: int) -> Tier:
    """The influencer's tier, derived from reach."""
    return tier_for_reach(total_followers(session, influencer_id))


def record_session(
    session: Session, influencer: Influencer, data: SessionIn, secret_key: str
) -> InfluencerSession:
    """Keep one of the influencer's own sessions; the IP is kept as prefix + keyed hash only."""
    prefix = hashed = None
    if data.ip:
        try:
            prefix, hashed = ip_prefix(data.ip), ip_hash(data.ip, secret_key)
        except ValueError:
            raise InvalidInput(f"{data.ip!r} is not an IP address", field="sessions.ip") from None
    row = InfluencerSession(
        influencer_id=influencer.id,
        ts=data.ts,
        ip_prefix=prefix,
        ip_hash=hashed,
        user_agent=data.user_agent,
        visitor_id=data.visitor_id,
    )
    session.add(row)
    return row


def unique_influencer_key(session: Session, wanted: str) -> str:
    """`wanted` reduced to a key's alphabet, with a numeric suffix when it is already taken."""
    base = "".join(ch for ch in wanted.lower() if ch.isascii() and (ch.isalnum() or ch in "._-"))
    base = base.strip("._-")[:56] or "influencer"
    taken = set(
        session.scalars(
            select(Influencer.key).where(Influencer.key.startswith(base, autoescape=True))
        )
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def update_influencer(session: Session, influencer: Influencer, changes: dict[str, object]) -> None:
    """Apply profile changes (display_name, country, languages, status, trust_score); the
    caller has validated the values and checked who may change which field."""
    allowed = {"display_name", "country", "languages", "status", "trust_score"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"unknown profile fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(influencer, name, value)
    session.flush()


def session_count(session: Session, influencer_id: int) -> int:
    """How many of the influencer's own sessions are kept (self-click evidence)."""
    count = session.scalar(
        select(func.count())
        .select_from(InfluencerSession)
        .where(InfluencerSession.influencer_id == influencer_id)
    )
    return int(count or 0)
