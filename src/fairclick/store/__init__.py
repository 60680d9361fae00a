"""Storage: SQLAlchemy base, engines for SQLite (WAL) and PostgreSQL, sessions, migrations."""

from fairclick.store.base import Base, utcnow
from fairclick.store.db import Database, make_engine

__all__ = ["Base", "Database", "make_engine", "utcnow"]
