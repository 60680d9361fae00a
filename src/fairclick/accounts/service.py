"""Rules for organisations, users, password logins and API tokens. Services never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.accounts.models import ApiToken, Organisation, Role, User
from fairclick.accounts.passwords import hash_password, verify_password
from fairclick.accounts.schemas import OrganisationIn, TokenIn, UserIn
from fairclick.domain.clock import Clock, system_clock
from fairclick.domain.errors import Conflict, InvalidInput, NotFound, Unauthorized

TOKEN_PREFIX = "fc_"


def get_organisation_by_key(session: Session, key: str) -> Organisation:
    """The organisation with `key`, or `NotFound`."""
    org = session.scalar(select(Organisation).where(Organisation.key == key))
    if org is None:
        raise NotFound(f"no organisation with key {key!r}")
    return org


def create_organisation(session: Session, data: OrganisationIn) -> Organisation:
    """A new organisation; `Conflict` when the key is taken."""
    if session.scalar(select(Organisation.id).where(Organisation.key == data.key)) is not None:
        raise Conflict(f"an organisation with key {data.key!r} exists", field="key")
    org = Organisation(key=data.key, name=data.name, country=data.country)
    session.add(org)
    session.flush()
    return org


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with that address (case-insensitive), or None."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(session: Session, data: UserIn) -> User:
    """A new user. Advertisers must name their organisation; others must not."""
    if get_user_by_email(session, data.email) is not None:
        raise Conflict(f"a user with email {data.email!r} exists", field="email")
    organisation_id = None
    if data.role == Role.ADVERTISER:
        if not data.organisation:
            raise InvalidInput("an advertiser belongs to an organisation", field="organisation")
        organisation_id = get_organisation_by_key(session, data.organisation).id
    elif data.organisation:
        raise InvalidInput(
            f"a user with role {data.role} has no organisation", field="organisation"
        )
    user = User(
        email=data.email,
        role=data.role.value,
        organisation_id=organisation_id,
        password_hash=hash_password(data.password) if data.password else None,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Replace the user's password."""
    user.password_hash = hash_password(password)


def authenticate_password(session: Session, email: str, password: str) -> User:
    """The active user with these credentials, or `Unauthorized` (same answer either way)."""
    user = get_user_by_email(session, email)
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise Unauthorized("wrong email or password")
    return user


def _token_hash(token: str) -> str:
    # Tokens are 256-bit random values: a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, user: User, data: TokenIn, clock: Clock = system_clock
) -> tuple[ApiToken, str]:
    """A new API token for `user`; returns the row and the plaintext, shown only this once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        user_id=user.id,
        name=data.name,
        prefix=secret[:10],
        token_hash=_token_hash(secret),
        created_at=now,
        expires_at=now + timedelta(days=data.days),
    )
    session.add(token)
    session.flush()
    return token, secret


def authenticate_token(session: Session, secret: str, clock: Clock = system_clock) -> User:
    """The user owning an unexpired, unrevoked token, or `Unauthorized`."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise Unauthorized("invalid token")
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    now = clock.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("invalid, expired or revoked token")
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the token's user is disabled")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, so that reads do not write on every request
    return user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of the user's own tokens (idempotent)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def update_organisation(
    session: Session, org: Organisation, *, name: str | None = None, country: str | None = None
) -> Organisation:
    """Change an organisation's name and/or country (its key never changes)."""
    if name is not None:
        org.name = name
    if country is not None:
        org.country = country
    session.flush()
    return org


def update_user(
    session: Session, user: User, *, is_active: bool | None = None, password: str | None = None
) -> User:
    """Enable or disable a login and/or set its password (role and email never change)."""
    if is_active is not None:
        user.is_active = is_active
    if password is not None:
        set_password(session, user, password)
    session.flush()
    return user
