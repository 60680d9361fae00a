"""Benchmark `fairclick audit` on a realistic 1,000,000-line combined log.

Prints the audit's time beside the time Polars alone takes to read and parse the same file
(regex extraction of the combined format and timestamp parsing), measured in the same run, in
wall seconds and in CPU seconds (all threads; steadier on a shared machine), then the engine's
CPU seconds per step (its own thread's) and the audit's own peak RSS (the high-water mark is reset before it, so
the log's generation and the bare read do not count; Linux). The process is tuned as
`fairclick audit` tunes it (the collector's first threshold, `fairclick.cli.common.batch_process`)
unless --gc-default. With --keep, a log of that many lines already in the folder is reused.
--days spreads the log over more days at the same traffic per day (with more lines: the
memory of an audit depends on the traffic of one retro-analysis window, not on the length).

    .venv/bin/python bench/audit/run.py [--lines 1000000] [--days 14] [--keep DIR] [--gc-default]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from fairclick.audit.formats import COMBINED, log_format_regex
from fairclick.audit.service import AuditOptions, run_audit
from fairclick.cli.common import batch_process
from fairclick.validation.engine import Validator

BROWSERS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.68",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/490.0.0.48.84;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 357.0.0.25.101 (iPhone14,5; iOS 17_6; fr_FR; fr; scale=3.00; 1170x2532; 658127453)",
]
BOTS = [
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "WhatsApp/2.23.20.0",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    "Mastodon/4.3.1 (http.rb/5.2.0; +https://mastodon.social/)",
]
# residential French ranges (Orange, Free, SFR, Bouygues) and hosting ranges (Hetzner, OVH, AWS)
RESIDENTIAL = ["90.{}.{}.{}", "78.{}.{}.{}", "109.{}.{}.{}", "176.{}.{}.{}"]
HOSTING = ["88.198.{}.{}", "51.68.{}.{}", "3.120.{}.{}"]


def generate(path: Path, lines: int, seed: int = 7, days: int = 14) -> None:
    """Write a realistic combined log: 70 % browsers on residential lines over `days` days with
    a daily cycle, 30 % bots, previews, scripts and data-center traffic, repeats included."""
    rng = np.random.default_rng(seed)
    start = datetime(2025, 11, 16, 23, tzinfo=UTC).timestamp()
    hours = rng.choice(24, size=lines, p=_diurnal())
    ts = np.sort(
        start + rng.integers(0, days, lines) * 86400 + hours * 3600 + rng.random(lines) * 3600
    )
    bot = rng.random(lines) < 0.3
    visitors = rng.integers(0, lines // 3, lines)
    octets = rng.integers(1, 255, size=(lines, 3))
    ips = np.where(
        bot & (rng.random(lines) < 0.5),
        [
            HOSTING[v % 3].format(a, b)
            for v, a, b in zip(visitors, octets[:, 0], octets[:, 1], strict=True)
        ],
        [RESIDENTIAL[v % 4].format(v % 200 + 1, (v // 200) % 250, v % 250 + 1) for v in visitors],
    )
    ua = np.where(
        bot,
        np.array(BOTS)[rng.integers(0, len(BOTS), lines)],
        np.array(BROWSERS)[visitors % len(BROWSERS)],
    )
    codes = np.array([f"c{n:07d}" for n in range(5000)])[rng.zipf(1.6, lines) % 5000]
    method = np.where(bot & (rng.random(lines) < 0.2), "HEAD", "GET")
    referer = np.array(["https://t.co/", "https://l.facebook.com/", "-", "-"])[visitors % 4]
    stamps = pl.Series((ts * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))
    frame = pl.DataFrame({"ip": ips, "ts": stamps, "m": method, "c": codes, "r": referer, "ua": ua})
    text = frame.select(
        pl.format(
            '{} - - [{}] "{} /c/{} HTTP/1.1" 302 0 "{}" "{}"',
            "ip",
            pl.col("ts").dt.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "m",
            "c",
            "r",
            "ua",
        )
    )
    with path.open("w") as handle:
        handle.write("\n".join(text.to_series().to_list()))
        handle.write("\n")


def _diurnal() -> np.ndarray:
    weights = np.array(
        [2, 1, 1, 1, 1, 2, 4, 6, 7, 6, 6, 7, 8, 7, 6, 6, 7, 8, 9, 10, 10, 9, 6, 4], float
    )
    return weights / weights.sum()


def bare_read(path: Path) -> tuple[float, float, int]:
    """What Polars alone takes to read and parse the file (no validation): wall and CPU
    seconds, rows."""
    started, cpu = time.perf_counter(), time.process_time()
    lines = pl.read_csv(
        path,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["line"],
        schema_overrides={"line": pl.String},
    )
    parsed = lines.select(pl.col("line").str.extract_groups(log_format_regex(COMBINED))).unnest(
        "line"
    )
    parsed = parsed.with_columns(
        pl.col("time_local").str.strptime(pl.Datetime("us", "UTC"), "%d/%b/%Y:%H:%M:%S %z")
    )
    return time.perf_counter() - started, time.process_time() - cpu, parsed.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument(
        "--days", type=int, default=14, help="days the log spans (same traffic per day: more lines)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the log in this folder")
    parser.add_argument(
        "--gc-default", action="store_true", help="keep CPython's collector thresholds"
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fairclick-audit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / ("access.log" if args.days == 14 else f"access-{args.days}d.log")
    t = time.perf_counter()
    if args.keep and _line_count(log) == args.lines:
        print(f"reused {log} ({args.lines:,} lines, {log.stat().st_size / 2**20:.0f} MiB)")
    else:
        generate(log, args.lines, days=args.days)
        print(
            f"generated {args.lines:,} lines ({log.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s"
        )
    bare, bare_cpu, rows = bare_read(log)
    print(f"polars read + parse alone: {bare:.2f} s, {bare_cpu:.2f} CPU-s ({rows:,} rows)")
    validator = Validator(secret_key="bench-secret-key-0123456789", data_dir=Path("var/data"))
    # Per-step CPU time of the engine's own thread (the machine may be shared, and the audit
    # reads the next chunk on another thread meanwhile: process time would count that too).
    validator.clock = time.thread_time
    if not args.gc_default:
        batch_process()
    before = _reset_peak_rss()
    t, cpu = time.perf_counter(), time.process_time()
    summary = run_audit([log], AuditOptions(), validator)
    audit, audit_cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = _peak_rss()
    print(
        f"fairclick audit: {audit:.2f} s, {audit_cpu:.2f} CPU-s for {summary.total:,} requests "
        f"({summary.total / audit:,.0f} lines/s), valid share {summary.valid_share:.1%}"
    )
    print(
        f"ratio audit / bare read: {audit / bare:.1f}x wall, {audit_cpu / bare_cpu:.1f}x CPU"
        "   (targets: <= 30 s, <= 4x)"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, polars {pl.__version__}, "
        f"gc thresholds {gc.get_threshold()}"
    )
    steps = sorted(validator.metrics.step_seconds.items(), key=lambda kv: -kv[1])[:8]
    print("engine steps (CPU s): " + ", ".join(f"{k} {v:.1f}" for k, v in steps))
    print(f"engine total (CPU s): {sum(validator.metrics.step_seconds.values()):.1f}")
    if peak is not None:
        # the RSS before includes what the allocators kept of the bare read, which the audit
        # reuses: compare peaks across --lines for the growth per line
        print(
            f"audit peak RSS: {peak / 2**20:,.0f} MiB (RSS before the audit {before / 2**20:,.0f}"
            " MiB)"
        )


def _line_count(path: Path) -> int:
    if not path.is_file():
        return -1
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))


def _status(field: str) -> int | None:
    """A field of /proc/self/status in bytes (None off Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak_rss() -> int:
    """Reset the process's RSS high-water mark (Linux: clear_refs 5); the RSS now."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    return _status("VmRSS") or 0


def _peak_rss() -> int | None:
    return _status("VmHWM")


if __name__ == "__main__":
    main()
