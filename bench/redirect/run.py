"""Redirect benchmark: fairclick's durable redirect beside nginx's static 302, then the worker.

One command: `.venv/bin/python bench/redirect/run.py [--seconds 10] [--connections 64]`.
It builds an SQLite database in a temporary folder (the embedded default), loads the example
world plus 10,000 links, starts `fairclick serve --role redirect` pinned to one core, drives
`wrk` from the other core (64 connections, a random code per request), then does the same
against nginx answering a static 302 (one worker, configured here), prints requests/s and
p50/p99 latency for both and the ratio, the server's CPU per redirect (whole process and per
thread, from /proc), and finally times the validator worker draining the
backlog the run left in the journal (clicks/s). Needs `wrk` and `nginx` on PATH
(`apt-get install -y wrk nginx`).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.factories import TEST_SECRET, example_world, load_world  # noqa: E402

from fairclick.cli.common import batch_process  # noqa: E402
from fairclick.clicks.models import Click  # noqa: E402
from fairclick.clicks.pipeline import default_biller, default_validator  # noqa: E402
from fairclick.clicks.worker import ClickWorker  # noqa: E402
from fairclick.config import load_settings  # noqa: E402
from fairclick.domain.ids import new_code  # noqa: E402
from fairclick.journal.models import JournalEntry  # noqa: E402
from fairclick.store import Database, make_engine  # noqa: E402
from fairclick.store.migrate import upgrade  # noqa: E402

LINKS = 10_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_world(url: str) -> list[str]:
    """The example world with its campaign running now, plus LINKS links (bulk SQL)."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    db = Database.from_url(url)
    world = example_world()
    now = datetime.now(UTC)
    world["campaigns"][0]["start"] = (now - timedelta(days=1)).isoformat()
    world["campaigns"][0]["end"] = (now + timedelta(days=30)).isoformat()
    load_world(db, world)
    codes = [new_code() for _ in range(LINKS)]
    with db.engine.begin() as conn:
        model = conn.execute(
            text("SELECT campaign_id, influencer_id, enrolment_id, target_url FROM links LIMIT 1")
        ).one()
        conn.execute(
            text(
                "INSERT INTO links (code, campaign_id, influencer_id, enrolment_id, network,"
                " is_default, target_url, created_at) VALUES (:code, :c, :i, :e, 'x', 0, :t, :now)"
            ),
            [
                {
                    "code": code,
                    "c": model[0],
                    "i": model[1],
                    "e": model[2],
                    "t": model[3],
                    "now": now.strftime("%Y-%m-%d %H:%M:%S.%f"),
                }
                for code in codes
            ],
        )
    db.engine.dispose()
    return codes


def wrk_script(folder: Path, codes: list[str]) -> Path:
    script = folder / "random_codes.lua"
    table = ",".join(f'"{code}"' for code in codes)
    script.write_text(
        f"local codes = {{{table}}}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        '  return wrk.format("GET", "/c/" .. codes[math.random(#codes)])\n'
        "end\n"
    )
    return script


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(port: int, script: Path, seconds: int, connections: int, core: str) -> dict[str, float]:
    """wrk pinned to `core`; requests/s, p50 and p99 in ms, non-3xx responses."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    if shutil.which("taskset"):
        command = ["taskset", "-c", core, *command]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        # the latency distribution's lines ("    99%   12.34ms"), not a "+/- Stdev" share
        # that happens to end in 50% or 99%
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "errors": 0.0,
    }
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        figures["errors"] = float(bad.group(1))
    return figures


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, tuple[float, float]]:
    """User and system CPU seconds of each thread of process `pid`, by thread id."""
    threads: dict[int, tuple[float, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended
        tick = os.sysconf("SC_CLK_TCK")
        threads[int(task.name)] = (int(fields[11]) / tick, int(fields[12]) / tick)
    return threads


def print_thread_cpu(
    pid: int,
    before: dict[int, tuple[float, float]],
    after: dict[int, tuple[float, float]],
    n: float,
) -> None:
    """µs of CPU per redirect in each thread that used any (the main thread runs the event loop;
    the others are Granian's, the journal writer, the checkpointer, executors)."""
    for tid, (user, system) in sorted(after.items()):
        user0, system0 = before.get(tid, (0.0, 0.0))
        du, ds = user - user0, system - system0
        if du + ds < 0.01:
            continue
        name = "event loop" if tid == pid else f"thread {tid}"
        print(f"  {name:<16} user {1e6 * du / n:6.1f} µs + sys {1e6 * ds / n:6.1f} µs per redirect")


def start_fairclick(url: str, port: int, core: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "FAIRCLICK_DATABASE_URL": url,
        "FAIRCLICK_SECRET_KEY": TEST_SECRET,
    }
    command = [
        sys.executable,
        "-c",
        "from fairclick.cli.main import run; run()",
        "serve",
        "--role",
        "redirect",
        "--port",
        str(port),
    ]
    if shutil.which("taskset"):
        command = ["taskset", "-c", core, *command]
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_up(f"http://127.0.0.1:{port}/healthz")
    return proc


def start_nginx(folder: Path, port: int, core: str) -> subprocess.Popen[bytes]:
    conf = folder / "nginx.conf"
    conf.write_text(
        f"worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/nginx-error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  access_log off;\n"
        f"  client_body_temp_path {folder}/nginx-body;\n  proxy_temp_path {folder}/nginx-proxy;\n"
        f"  fastcgi_temp_path {folder}/nginx-fcgi;\n  uwsgi_temp_path {folder}/nginx-uwsgi;\n"
        f"  scgi_temp_path {folder}/nginx-scgi;\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n"
        "    location /c/ { return 302 https://primaire.example.org/ou-voter; }\n  }\n}\n"
    )
    command = ["nginx", "-p", str(folder), "-c", str(conf)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", core, *command]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(f"http://127.0.0.1:{port}/c/x")
    return proc


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def drain_worker(url: str, limit: int) -> tuple[int, int, float, str]:
    """Time the validator worker (the engine and ledger `serve` would use) over up to `limit`
    clicks of the backlog; returns (backlog, clicks validated, seconds)."""
    db = Database.from_url(url)
    with db.engine.connect() as conn:
        backlog = int(conn.scalar(select(func.count()).select_from(JournalEntry)) or 0)
    settings = load_settings(database_url=url, secret_key=TEST_SECRET)
    batch_process()  # the collector's thresholds `fairclick serve` runs its worker with
    worker = ClickWorker(
        db,
        default_validator(settings),
        default_biller(),
        secret_key=TEST_SECRET,
        batch_size=2000,
    )
    started = time.perf_counter()
    worker.drain(max_batches=max(1, limit // 2000))
    elapsed = time.perf_counter() - started
    with db.engine.connect() as conn:
        done = int(conn.scalar(select(func.count()).select_from(Click)) or 0)
    db.engine.dispose()
    return backlog, done, elapsed, type(worker.validator).__name__


def machine() -> str:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU(s), {model}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and wrk")
    parser.add_argument("--no-nginx", action="store_true", help="skip the nginx comparison")
    parser.add_argument(
        "--worker-clicks",
        type=int,
        default=60_000,
        help="how much of the backlog the worker figure is measured on",
    )
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed: apt-get install -y wrk nginx")
    server_core, wrk_core = ("0-1", "0-1") if args.no_pin else ("0", "1")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="fairclick-bench-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder}/fairclick.db"
        codes = build_world(url)
        script = wrk_script(folder, codes)
        print(
            f"world: {len(codes)} links; wrk: {args.connections} connections, "
            f"{args.seconds} s, random codes; server on core {server_core}, wrk on {wrk_core}"
        )

        port = free_port()
        server = start_fairclick(url, port, server_core)
        try:
            run_wrk(port, script, 2, args.connections, wrk_core)  # warm-up
            load = os.getloadavg()[0]
            cpu_before, threads_before = cpu_seconds(server.pid), thread_cpu(server.pid)
            ours = run_wrk(port, script, args.seconds, args.connections, wrk_core)
            cpu = cpu_seconds(server.pid) - cpu_before
            threads_after = thread_cpu(server.pid)
        finally:
            stop(server)
        theirs = {"rps": float("nan"), "p50": float("nan"), "p99": float("nan"), "errors": 0.0}
        if not args.no_nginx:
            nginx_port = free_port()
            nginx = start_nginx(folder, nginx_port, server_core)
            try:
                theirs = run_wrk(nginx_port, script, args.seconds, args.connections, wrk_core)
            finally:
                stop(nginx, signal.SIGQUIT)

        print(f"{'':<28}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'non-3xx':>9}")
        for name, fig in (("fairclick (durable journal)", ours), ("nginx static 302", theirs)):
            print(
                f"{name:<28}{fig['rps']:>12,.0f}{fig['p50']:>9.2f}{fig['p99']:>9.2f}"
                f"{fig['errors']:>9.0f}"
            )
        print(f"ratio fairclick / nginx: {ours['rps'] / theirs['rps']:.2f}")
        redirects = ours["rps"] * args.seconds
        print(
            f"server CPU: {cpu:.2f} s over the run = {1000 * cpu / redirects:.3f} CPU-s per 1,000"
            f" redirects (all threads; 1-min load average before: {load:.2f})"
        )
        print_thread_cpu(server.pid, threads_before, threads_after, redirects)
        print(
            f"budget (>= 20,000 req/s, p99 <= 10 ms): "
            f"{'met' if ours['rps'] >= 20_000 and ours['p99'] <= 10 else 'NOT met'}"
        )

        if args.worker_clicks <= 0:
            return
        backlog, done, elapsed, validator_name = drain_worker(url, args.worker_clicks)
        print(
            f"worker: {done:,} of {backlog:,} journaled clicks validated in {elapsed:.1f} s = "
            f"{done / elapsed:,.0f} clicks/s (redirect: {ours['rps']:,.0f}/s; "
            f"validator {validator_name}, "
            f"biller {type(default_biller()).__name__})"
        )


if __name__ == "__main__":
    main()
