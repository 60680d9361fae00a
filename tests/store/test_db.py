"""SQLite connections get the documented settings (ADR 0001)."""

from __future__ import annotations

from pathlib import Path

from fairclick.store import Database
from fairclick.store.db import SQLITE_CACHE_KIB


def test_sqlite_connections_run_in_wal_with_a_larger_page_cache(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path}/x.db")
    with db.engine.connect() as conn:
        settings = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "cache_size")
        }
    db.engine.dispose()
    assert settings == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "cache_size": -SQLITE_CACHE_KIB,
    }
