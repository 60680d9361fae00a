"""Group commit latency of the journal writer on SQLite, with SQLite's automatic WAL checkpoint
inside the commit (`auto`) and with the background checkpointer (`background`, ADR 0305).

`.venv/bin/python bench/redirect/commit_latency.py [--seconds 8] [--clients 64] [--pairs 2]`

No HTTP: `--clients` coroutines on one event loop (uvloop) each append a redirect-shaped row
with `JournalWriter.append_params`, await its commit, then spin `--handler-us` of CPU (what
the event loop spends on a request in the server), so groups are about the size they are in
the server at 64 connections. The two modes run alternately on fresh databases (`--pairs`
times each). Printed per run: clicks/s, mean group, commit and request latency percentiles
(ms; `commit p50` of the commits without a checkpoint, `ckpt commits` those that checkpointed,
told by the bytes the writer thread wrote), the writer's checkpoints that finished a restart
(`finishes`), the WAL file's largest size, the bytes the writer wrote per commit, and CPU
per 1,000 clicks per thread (event loop, writer, checkpointer) and for the whole process, from
`/proc/self/task/*/stat`: the figure to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from fairclick.domain.ids import new_click_id  # noqa: E402
from fairclick.journal.writer import JournalWriter  # noqa: E402
from fairclick.store import make_engine  # noqa: E402
from fairclick.store.migrate import upgrade  # noqa: E402

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537"
TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(native_id: int | None) -> float:
    """User + system CPU seconds of one thread of this process (0 when it is gone)."""
    if native_id is None:
        return 0.0
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def thread_written(native_id: int | None) -> int:
    """Bytes one thread of this process has written (`wchar`: to the WAL, and to the
    database when it checkpoints), 0 when it is gone."""
    if native_id is None:
        return 0
    try:
        io = Path(f"/proc/self/task/{native_id}/io").read_text()
    except OSError:
        return 0
    return int(next(line for line in io.splitlines() if line.startswith("wchar")).split()[1])


def params(writer: JournalWriter) -> tuple[Any, ...]:
    now = datetime.now(UTC)
    return (
        new_click_id(), now.isoformat(" ", "microseconds")[:26], "live", "abcdEFGH12",
        "/c/abcdEFGH12", "GET", 302, "127.0.0.1", UA, "", "fr-FR", "{}", None,
        "x" * 22, None, 5, 1, 2, None, True,
    )  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def drive(writer: JournalWriter, clients: int, seconds: float, spin: float) -> list[float]:
    """Closed loop: each client appends, awaits the commit, spins; request latencies (s)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while (now := time.perf_counter()) < deadline:
            await writer.append_params(params(writer))
            done = time.perf_counter()
            latencies.append(done - now)
            while time.perf_counter() - done < spin:
                pass

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def run_once(folder: Path, mode: str, args: argparse.Namespace, n: int) -> dict[str, float]:
    path = folder / f"{mode}-{n}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    commits: list[float] = []
    written_by: list[int] = []  # bytes the writer thread wrote in each commit
    wal_max = [0]
    wal = f"{path}-wal"
    io = Path("/proc/thread-self/io")

    def on_commit(_rows: int, seconds: float) -> None:
        commits.append(seconds)
        written_by.append(int(io.read_text().split("wchar:", 1)[1].split(None, 1)[0]))
        if len(commits) % 8 == 0:
            wal_max[0] = max(wal_max[0], os.path.getsize(wal))

    writer = JournalWriter(engine, on_commit=on_commit, background_checkpoint=mode == "background")
    finishes: list[float] = []

    async def main() -> tuple[list[float], float, float, float, float]:
        writer.start(asyncio.get_running_loop())
        checkpointer = writer.checkpointer
        if checkpointer is not None:
            finish = checkpointer.finish

            def timed(conn: Any) -> tuple[int, int, int]:
                started = time.perf_counter()
                try:
                    return finish(conn)
                finally:
                    finishes.append(time.perf_counter() - started)

            checkpointer.finish = timed  # type: ignore[method-assign]
        await drive(writer, args.clients, 1.0, args.handler_us / 1e6)  # warm-up
        commits.clear()
        written_by.clear()
        finishes.clear()
        writer_id = writer._thread.native_id if writer._thread else None
        ckpt_thread = checkpointer._thread if checkpointer else None
        ckpt_id = ckpt_thread.native_id if ckpt_thread else None
        written = thread_written(writer_id)
        cpu = (time.thread_time(), thread_cpu(writer_id), thread_cpu(ckpt_id), time.process_time())
        latencies = await drive(writer, args.clients, args.seconds, args.handler_us / 1e6)
        used = (
            time.thread_time() - cpu[0],
            thread_cpu(writer_id) - cpu[1],
            thread_cpu(ckpt_id) - cpu[2],
            time.process_time() - cpu[3],
        )
        written = thread_written(writer_id) - written
        writer.stop()
        return latencies, written, *used

    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run
    latencies, written, loop_cpu, writer_cpu, ckpt_cpu, total_cpu = run(main())
    engine.dispose()
    clicks = len(latencies)
    per_k = 1000 / clicks
    # A commit that checkpointed wrote database pages besides its WAL frames: > 3x the median.
    sizes = [b - a for a, b in pairwise(written_by)]
    usual = statistics.median(sizes)
    heavy = [c for c, size in zip(commits[1:], sizes, strict=True) if size > 3 * usual]
    light = [c for c, size in zip(commits[1:], sizes, strict=True) if size <= 3 * usual]
    return {
        "clicks/s": clicks / args.seconds,
        "group": clicks / max(1, len(commits)),
        "commit p50": 1e3 * statistics.median(light),
        "ckpt commits": len(heavy),
        "ckpt c. p50": 1e3 * statistics.median(heavy) if heavy else float("nan"),
        "commit p99": 1e3 * pct(commits, 0.99),
        "commit max": 1e3 * max(commits),
        "request p50": 1e3 * statistics.median(latencies),
        "request p99": 1e3 * pct(latencies, 0.99),
        "finishes": len(finishes),
        "finish p50": 1e3 * statistics.median(finishes) if finishes else float("nan"),
        "finish max": 1e3 * max(finishes) if finishes else float("nan"),
        "WAL MiB": wal_max[0] / 2**20,
        "writer KiB/c": written / 1024 / max(1, len(commits)),
        "loop ms/1k": 1e3 * loop_cpu * per_k,
        "writer ms/1k": 1e3 * writer_cpu * per_k,
        "ckpt ms/1k": 1e3 * ckpt_cpu * per_k,
        "total ms/1k": 1e3 * total_cpu * per_k,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--handler-us", type=float, default=60.0)
    parser.add_argument("--modes", default="auto,background")
    args = parser.parse_args()
    print(f"1-min load average before: {os.getloadavg()[0]:.2f}; CPU figures: ms per 1,000 clicks")
    with tempfile.TemporaryDirectory(prefix="fairclick-commit-") as tmp:
        rows = []
        for n in range(args.pairs):
            for mode in args.modes.split(","):
                figures = run_once(Path(tmp), mode, args, n)
                rows.append((mode, figures))
        keys = list(rows[0][1])
        print(f"{'':<11}" + "".join(f"{k:>13}" for k in keys))
        for mode, figures in rows:
            print(f"{mode:<11}" + "".join(f"{figures[k]:>13.2f}" for k in keys))


if __name__ == "__main__":
    main()
