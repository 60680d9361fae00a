"""How many clicks per second the validator worker sustains: journal filled, then drained.

    .venv/bin/python -m bench.worker.run [--clicks 50000] [--batch 5000] [--url sqlite:///…]
                                         [--profile out.prof]

Simulates the default scenario (`primaire-2017`, as `fairclick demo` does), loads its world
into a fresh database (a temporary SQLite file unless --url names an empty PostgreSQL schema),
appends every click to the journal first (`source=ingest`, parse and append timed apart), then
drains the journal with the worker that `fairclick serve` and the demo run (validation engine
and ledger, batches of --batch, event time) and prints clicks/s in wall time and per CPU second,
with CPU seconds per step. The redirect's target is 20,000/s (issue #3): the worker must beat it.
With --profile, cProfile covers the drain (read it with `python -m pstats out.prof`).
Runtime data comes from FAIRCLICK_DATA_DIR (default var/data) as for `fairclick demo`.
"""

from __future__ import annotations

import argparse
import cProfile
import tempfile
import time
from pathlib import Path

from fairclick.cli.common import batch_process
from fairclick.clicks.ingest import RecordParser
from fairclick.clicks.pipeline import default_biller, default_validator
from fairclick.clicks.timing import StageTimes
from fairclick.clicks.worker import ClickWorker
from fairclick.config import load_settings
from fairclick.journal import repository as journal_repo
from fairclick.redirect.cache import LinkCache
from fairclick.simulate.output import run as simulate
from fairclick.simulate.scenario import load_scenario
from fairclick.store import Database
from fairclick.store.migrate import upgrade
from fairclick.world.loader import apply_world

REDIRECT_TARGET = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clicks", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--url", default=None)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    batch_process()  # the collector's thresholds of `fairclick demo` and `ingest`
    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name)
    url = args.url or f"sqlite:///{folder}/bench.db"
    settings = load_settings(database_url=url)
    sim = simulate(load_scenario(None), folder / "simulation", clicks=args.clicks)
    db = Database.from_url(url)
    upgrade(db.engine)
    with db.session() as session:
        apply_world(session, Path(sim.world_path).read_text(encoding="utf-8"),
                    secret_key=settings.secret_key)  # fmt: skip
    times = StageTimes()
    cache = LinkCache(db.engine)
    cache.load()
    with times.stage("parse"), Path(sim.clicks_path).open("rb") as lines:
        parse = RecordParser(cache).parse  # one parser: it remembers what repeats in the log
        rows = [parse(line) for line in lines if line.strip()]
    with times.stage("journal append"):
        for start in range(0, len(rows), args.batch):
            with db.engine.begin() as conn:
                journal_repo.append_rows(conn, rows[start : start + args.batch])
    worker = ClickWorker(db, default_validator(settings), default_biller(), times=times,
                         secret_key=settings.secret_key, clock=None, batch_size=args.batch)  # fmt: skip
    profiler = cProfile.Profile() if args.profile else None
    began, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    done = worker.drain()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(
        f"worker ({db.dialect}, {type(worker.validator).__name__}, batches of {args.batch}): "
        f"{done.clicks:,} clicks drained in {wall:.1f} s wall = {done.clicks / wall:,.0f} "
        f"clicks/s; {cpu:.1f} s CPU = {done.clicks / cpu:,.0f} clicks per CPU second "
        f"(redirect target {REDIRECT_TARGET:,}/s)"
    )
    print(f"  {'step':<16}{'wall s':>9}{'CPU s':>9}{'us/click CPU':>14}")
    for name, step_wall, step_cpu in times.rows():
        print(f"  {name:<16}{step_wall:>9.2f}{step_cpu:>9.2f}{step_cpu / len(rows) * 1e6:>14.1f}")
    db.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
