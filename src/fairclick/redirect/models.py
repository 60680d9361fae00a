"""The link-cache version: bumped when a link or campaign changes, polled by every redirect."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from fairclick.store.base import Base


class CacheVersion(Base):
    """A counter per cache; a process whose copy is older than the row reloads (across
    processes and machines sharing the database)."""

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
