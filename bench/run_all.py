"""Run every benchmark with its default (published) sizes, one after another, and print their
figures. Each script can also be run alone; see bench/README.md. Never part of the tests."""

from __future__ import annotations

import subprocess
import sys
import time

BENCHES = [
    ("validation throughput", ["bench/validation/throughput.py"]),
    ("user-agent quality", ["bench/validation/ua_quality.py"]),
    ("incitement classifier", ["-m", "bench.incitement.run"]),
    ("ledger posting", ["-m", "bench.ledger.posting"]),
    ("simulator", ["bench/simulate/gen.py"]),
    ("audit of a 1M-line log", ["bench/audit/run.py"]),
    ("redirect under wrk (needs wrk and nginx)", ["bench/redirect/run.py"]),
]


def main() -> int:
    failed = []
    for name, args in BENCHES:
        print(f"\n=== {name}: python {' '.join(args)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, *args])
        print(f"=== {name}: exit {code} in {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
