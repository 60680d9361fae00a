"""Request-scoped dependencies: the unit of work, the actor, the clock and the settings.

One unit of work per request: the session commits when the route returns and rolls back when
it raises, before the response leaves (`scope="function"`), so that a client never sees a
success whose commit failed. Services never commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from fairclick.accounts.policy import Actor, actor_for_user, authenticated
from fairclick.accounts.service import authenticate_token
from fairclick.api.schemas import MAX_ID
from fairclick.config import Settings
from fairclick.domain.clock import Clock
from fairclick.domain.errors import Unauthorized
from fairclick.store import Database


def _unit_of_work(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.database
    session = database.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(_unit_of_work, scope="function")]


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ClockDep = Annotated[Clock, Depends(_clock)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _optional_actor(request: Request, session: DbSession, clock: ClockDep) -> Actor | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("the Authorization header must be `Bearer fc_…`")
    user = authenticate_token(session, secret.strip(), clock)
    return actor_for_user(session, user)


def _actor(actor: Annotated[Actor | None, Depends(_optional_actor)]) -> Actor:
    return authenticated(actor)


MaybeActor = Annotated[Actor | None, Depends(_optional_actor)]
CurrentActor = Annotated[Actor, Depends(_actor)]


PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A row id in a path: positive and within BIGINT (else 422 before any query)."""
