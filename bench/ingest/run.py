"""What ingest's own steps cost per click: parse, journal append, and the worker's journal read.

    .venv/bin/python -m bench.ingest.run [--clicks 100000] [--chunk 5000] [--keep DIR]
                                         [--url postgresql+psycopg://…] [--profile STEP]

Simulates the default scenario as `fairclick demo` does and loads its world into a fresh
database (a temporary SQLite file unless --url names an empty PostgreSQL schema); with --keep,
the simulation and the loaded SQLite file are kept in DIR and reused by the next run (loading
the world takes longer than what is measured). Then, timed apart: the file parsed chunk by
chunk as `ingest` does, the chunks appended to the journal (one transaction each), and the
journal read back in batches of --chunk as the worker reads it (`fetch_after`, then
`rows_to_events`), without validation. Prints CPU seconds
and µs per click per step; --profile STEP prints cProfile's top functions (CPU time) for it.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

from fairclick.cli.common import batch_process
from fairclick.clicks.ingest import IngestSummary, _chunks
from fairclick.clicks.timing import StageTimes
from fairclick.config import load_settings
from fairclick.journal import repository as journal_repo
from fairclick.journal.rows import rows_to_events
from fairclick.redirect.cache import LinkCache
from fairclick.simulate.output import run as simulate
from fairclick.simulate.scenario import load_scenario
from fairclick.store import Database
from fairclick.store.migrate import upgrade
from fairclick.world.loader import apply_world

STEPS = ("parse", "journal append", "read journal")


def _prepare(folder: Path, clicks: int, url: str | None) -> tuple[Path, str]:
    """The click log and the URL of a database holding its world (nothing in the journal)."""
    sim_folder = folder / f"simulation-{clicks}"
    clicks_path = sim_folder / "clicks.jsonl"
    template = folder / f"world-{clicks}.db"
    if not clicks_path.exists():
        simulate(load_scenario(None), sim_folder, clicks=clicks)
    world = (sim_folder / "world.yaml").read_text(encoding="utf-8")
    if url is None and template.exists():
        target = folder / "bench.db"
        shutil.copyfile(template, target)
        return clicks_path, f"sqlite:///{target}"
    load_url = url or f"sqlite:///{template}"
    db = Database.from_url(load_url)
    upgrade(db.engine)
    settings = load_settings(database_url=load_url)
    with db.session() as session:
        apply_world(session, world, secret_key=settings.secret_key)
    db.engine.dispose()
    if url is not None:
        return clicks_path, url
    target = folder / "bench.db"
    shutil.copyfile(template, target)
    return clicks_path, f"sqlite:///{target}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clicks", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--url", default=None)
    parser.add_argument("--profile", choices=STEPS, default=None)
    args = parser.parse_args()
    batch_process()  # the collector's thresholds of `fairclick demo` and `ingest`
    tmp = tempfile.TemporaryDirectory()
    folder = args.keep or Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    clicks_path, url = _prepare(folder, args.clicks, args.url)
    db = Database.from_url(url)
    cache = LinkCache(db.engine)
    cache.load()
    times = StageTimes()
    profiles = {step: cProfile.Profile(time.process_time) for step in STEPS}

    def timed(step: str) -> AbstractContextManager[None]:
        if args.profile == step:
            profiles[step].enable()
        return times.stage(step)

    summary = IngestSummary()
    with clicks_path.open("rb") as lines:
        chunks = _chunks(lines, cache, summary, False, args.chunk)
        while True:
            with timed("parse"):
                chunk = next(chunks, None)
            profiles["parse"].disable()
            if chunk is None:
                break
            with timed("journal append"), db.engine.begin() as conn:
                journal_repo.append_rows(conn, chunk)
            profiles["journal append"].disable()
    last = 0  # as the worker reads
    while True:
        with timed("read journal"), db.engine.connect() as conn:
            rows = journal_repo.fetch_after(conn, last, limit=args.chunk)
            rows_to_events(rows)
        profiles["read journal"].disable()
        if not rows:
            break
        last = rows[-1].seq
    print(f"ingest steps ({db.dialect}, {summary.records:,} records, chunks of {args.chunk})")
    print(f"  {'step':<20}{'wall s':>9}{'CPU s':>9}{'us/click CPU':>14}")
    for name, wall, cpu in times.rows():
        print(f"  {name:<20}{wall:>9.2f}{cpu:>9.2f}{cpu / max(summary.records, 1) * 1e6:>14.1f}")
    if args.profile:
        pstats.Stats(profiles[args.profile]).sort_stats("cumulative").print_stats(25)
    db.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
