"""What one group commit writes to SQLite's WAL (bytes and frames), with and without the
`journal.ts` index: a deterministic figure, unlike requests/s on a shared machine.

`.venv/bin/python bench/redirect/wal_per_commit.py [--group 34] [--commits 1000]`
Each commit is the writer's single autocommit multi-row INSERT (ADR 0304) of `--group` rows
shaped like a redirect's; the first 500 commits grow the tables and are not counted.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from fairclick.domain.ids import new_click_id  # noqa: E402
from fairclick.journal.rows import JournalRow, insert_sql, to_params  # noqa: E402
from fairclick.store import make_engine  # noqa: E402
from fairclick.store.migrate import upgrade  # noqa: E402

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537"
WARM_UP = 500


def _row() -> tuple[object, ...]:
    row = JournalRow(
        new_click_id(), datetime.now(UTC), "live", "abcdEFGH12", "/c/abcdEFGH12", "GET", 302,
        "127.0.0.1", UA, "", "fr-FR", {}, None, "x" * 22, None, 5, 1, 2, None, True,
    )  # fmt: skip
    return to_params(row, "sqlite")


def measure(folder: Path, drop_ts: bool, group: int, commits: int) -> tuple[float, float]:
    """(WAL bytes per commit, CPU µs per row) for one fresh database."""
    path = folder / f"wal-{int(drop_ts)}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None, cached_statements=16)
    conn.execute("PRAGMA synchronous=OFF")  # the bytes, not the disk's fsync time
    if drop_ts:
        conn.execute("DROP INDEX ix_journal_ts")
    sql = insert_sql("sqlite", group)
    batches = [[v for _ in range(group) for v in _row()] for _ in range(WARM_UP + commits)]
    for params in batches[:WARM_UP]:
        conn.execute(sql, params)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    started = time.process_time()
    for params in batches[WARM_UP:]:
        conn.execute(sql, params)
    cpu = time.process_time() - started
    wal = os.path.getsize(f"{path}-wal")
    conn.close()
    return wal / commits, cpu / commits / group * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", type=int, default=34, help="rows per commit (64 conns: ~34)")
    parser.add_argument("--commits", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fairclick-wal-") as tmp:
        for drop_ts in (False, True):
            wal, cpu = measure(Path(tmp), drop_ts, args.group, args.commits)
            name = "without journal.ts index" if drop_ts else "schema as migrated"
            print(
                f"{name:<26} {wal / 1024:6.1f} KiB WAL per commit of {args.group} rows "
                f"({wal / 4120:.1f} frames of 4 KiB); {cpu:.1f} CPU-us per row (synchronous=OFF)"
            )


if __name__ == "__main__":
    main()
