"""The demo's steps after the worker: retro-analysis, export, evaluate and the headline's reads.

    .venv/bin/python -m bench.demo.after_worker [--clicks 100000] [--dir var/bench-after-worker]
                                                [--repeat 1] [--profile out.prof]

The first run simulates the demo's scenario, loads its world and ingests every click without
the retro-analysis (as `fairclick demo` does up to that point), and keeps that database in
--dir; later runs with the same --clicks reuse it. Each repeat copies the kept database and
times, in CPU seconds, the steps the demo runs next on it: retro-analysis, export (JSONL),
evaluate, and the headline (without printing). With --profile, cProfile covers those steps.
"""

from __future__ import annotations

import argparse
import cProfile
import shutil
from pathlib import Path

from fairclick.cli import demo_run
from fairclick.clicks.ingest import IngestSummary, _retro, ingest
from fairclick.clicks.pipeline import default_biller, default_validator
from fairclick.clicks.timing import StageTimes
from fairclick.clicks.worker import ClickWorker
from fairclick.config import load_settings
from fairclick.simulate.output import RunSummary
from fairclick.simulate.output import run as simulate
from fairclick.simulate.scenario import load_scenario
from fairclick.store import Database
from fairclick.store.migrate import upgrade
from fairclick.world.loader import apply_world


def prepare(folder: Path, clicks: int) -> tuple[RunSummary, IngestSummary]:
    """The database as the demo leaves it before the retro-analysis (made once per --clicks)."""
    import pickle

    kept = folder / "kept.pickle"
    if kept.exists():
        loaded: tuple[RunSummary, IngestSummary] = pickle.loads(kept.read_bytes())
        return loaded
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder}/before-retro.db"
    settings = load_settings(database_url=url)
    sim = simulate(load_scenario(None), folder / "simulation", clicks=clicks)
    db = Database.from_url(url)
    upgrade(db.engine)
    with db.session() as session:
        apply_world(session, Path(sim.world_path).read_text(encoding="utf-8"),
                    secret_key=settings.secret_key)  # fmt: skip
    worker = ClickWorker(db, default_validator(settings), default_biller(),
                         secret_key=settings.secret_key, clock=None, batch_size=5000)  # fmt: skip
    with Path(sim.clicks_path).open("rb") as lines:
        summary = ingest(db, lines, worker, retro=False)
    db.engine.dispose()
    kept.write_bytes(pickle.dumps((sim, summary)))
    return sim, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clicks", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("var/bench-after-worker"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir / str(args.clicks)
    sim, before = prepare(folder, args.clicks)
    for _ in range(args.repeat):
        work = folder / "run"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        for part in folder.glob("before-retro.db*"):
            shutil.copy(part, work / part.name.replace("before-retro", "fairclick"))
        db = Database.from_url(f"sqlite:///{work}/fairclick.db")
        summary = IngestSummary(**{k: getattr(before, k) for k in before.__dataclass_fields__})
        times = StageTimes()
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        assert before.first_ts is not None and before.last_ts is not None
        with times.stage("retro-analysis"):
            _retro(db, summary, before.first_ts, before.last_ts)
        result = demo_run.export_and_evaluate(db, sim, work, summary, times)
        with times.stage("headline"):
            demo_run.headline(result)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        db.engine.dispose()
        print(f"{args.clicks:,} clicks, {summary.retro_reverdicted:,} re-verdicted")
        for name, wall, cpu in times.rows():
            print(f"  {name:<16}{wall:>8.2f} s wall{cpu:>8.2f} s CPU")
        print(f"  {'total':<16}{sum(times.wall.values()):>8.2f} s wall"
              f"{sum(times.cpu.values()):>8.2f} s CPU")  # fmt: skip


if __name__ == "__main__":
    main()
