"""Alembic environment: runs against the connection or URL given by `fairclick.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from fairclick.store.db import make_engine
from fairclick.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    is_pg = connection.dialect.name == "postgresql"  # type: ignore[attr-defined]
    if is_pg:
        # Never hang a deploy behind a long lock (Warehouse's practice).
        connection.execute(text("SET lock_timeout = '10s'"))  # type: ignore[attr-defined]
        connection.execute(text("SET statement_timeout = '600s'"))  # type: ignore[attr-defined]
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=not is_pg,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `fairclick init`")
run_migrations_online()
