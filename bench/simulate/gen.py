"""Time to simulate N clicks of a scenario (default: the 2017 story, 1,000,000 clicks):
generation alone, then generation plus writing world.yaml, clicks.jsonl and labels.jsonl.

    .venv/bin/python bench/simulate/gen.py [--clicks N] [--scenario FILE] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from fairclick.simulate import generate, load_scenario, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--scenario", default=None)
    parser.add_argument("--out", default=None, help="keep the files here (default: a temp dir)")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    print(f"scenario {scenario.name} (seed {scenario.seed}), {args.clicks:,} clicks")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    began = time.perf_counter()
    generated = generate(scenario, args.clicks)
    generation = time.perf_counter() - began
    print(
        f"generate (in memory):       {generation:6.2f} s  ({args.clicks / generation:,.0f} clicks/s)"
    )
    del generated

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or tmp
        summary = run(scenario, out, clicks=args.clicks)
        size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
        print(
            f"generate + write (run):     {summary.seconds:6.2f} s  "
            f"({args.clicks / summary.seconds:,.0f} clicks/s, {size / 1e6:,.0f} MB written)"
        )
        print(f"invalid share {summary.invalid_share:.1%}: {summary.by_reason}")


if __name__ == "__main__":
    main()
