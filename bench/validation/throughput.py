"""Throughput of the validation engine (prints figures; not a test).

    .venv/bin/python bench/validation/throughput.py [--clicks 200000] [--batch 2000]
        [--retro 1000000] [--state-keys 10000000] [--data-dir var/data]

1. Real-time path: validated clicks/s in one process, MemoryState, batches of --batch.
2. The same with RedisState (if Redis answers at FAIRCLICK_TEST_REDIS_URL or 127.0.0.1:6379).
3. Retro-analysis (burst, click_farm, click_ring) over --retro synthetic validated clicks.
4. MemoryState bytes for --state-keys dedupe keys (the 10 M visitors/day budget).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import clicks as synthetic_clicks

from fairclick.validation.context import ValidationContext
from fairclick.validation.engine import Validator
from fairclick.validation.state import MemoryState
from fairclick.validation.state.codec import pack_first

SECRET = "bench-secret-key-0123456789"


def realtime(n: int, batch: int, data_dir: Path | None, state: object | None, label: str) -> None:
    events = synthetic_clicks(n)
    validator = Validator(secret_key=SECRET, data_dir=data_dir, state=state)  # type: ignore[arg-type]
    context = ValidationContext()
    validator.validate(events[:batch], context)  # warm the UA cache and the code paths
    validator = Validator(
        secret_key=SECRET,
        data_dir=data_dir,
        state=state,  # type: ignore[arg-type]
        ranges=validator.ranges,
        classifier=validator.classifier,
    )
    validator.clock = time.process_time  # per-step CPU time: the machine may be shared
    started, cpu_started = time.perf_counter(), time.process_time()
    invalid = 0
    for seq, start in enumerate(range(0, n, batch)):
        ctx = ValidationContext(batch_seq=seq) if label == "redis" else context
        invalid += sum(
            d.verdict == "invalid" for d in validator.validate(events[start : start + batch], ctx)
        )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(
        f"real-time [{label}] {n:,} clicks in {elapsed:.2f} s = {n / elapsed:,.0f} clicks/s; "
        f"CPU {cpu:.2f} s = {n / cpu:,.0f} clicks per CPU-second "
        f"(batch {batch}, {invalid / n:.1%} invalid, ranges: {validator.ranges.source})"
    )
    steps = sorted(validator.metrics.step_seconds.items(), key=lambda kv: -kv[1])
    total = sum(v for _, v in steps)
    print(
        f"   per step (CPU µs/click, {total / n * 1e6:.1f} in steps): "
        + ", ".join(f"{k} {v / n * 1e6:.1f}" for k, v in steps)
    )


def retro(n: int) -> None:
    from retro_data import validated_frame

    from fairclick.validation.retro import analyse

    frame = validated_frame(n)
    started = time.perf_counter()
    result = analyse(frame)
    elapsed = time.perf_counter() - started
    counts = {
        k: sum(1 for r in result if k in r.new_reasons)
        for k in ("burst", "click_farm", "click_ring")
    }
    print(f"retro-analysis {n:,} clicks in {elapsed:.2f} s ({len(result):,} re-verdicts: {counts})")


def state_memory(keys: int) -> None:
    state = MemoryState()
    rng = np.random.default_rng(1)
    value = pack_first(1_700_000_000_000_000, "01JCZ3T0Y5V8M8Q6ZJ1S7V0ABC")
    started = time.perf_counter()
    step = 500_000
    for start in range(0, keys, step):
        ks = rng.integers(1, 2**63, size=min(step, keys - start), dtype=np.int64).tolist()
        state.commit([(k, 900_000_000, value) for k in ks], 800_000_000)
    elapsed = time.perf_counter() - started
    print(
        f"MemoryState {len(state):,} keys: {state.nbytes / 1e6:,.0f} MB of arrays "
        f"({state.nbytes / len(state):.1f} B/key, capacity {state.capacity:,}), "
        f"filled in {elapsed:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--retro", type=int, default=1_000_000)
    parser.add_argument("--state-keys", type=int, default=10_000_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--skip", default="", help="comma list of: realtime,redis,retro,state")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    if "realtime" not in skip:
        realtime(args.clicks, args.batch, args.data_dir, None, "memory")
    if "redis" not in skip:
        import redis

        from fairclick.validation.state.redis import RedisState

        url = os.environ.get("FAIRCLICK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError:
            print("Redis not reachable: skipped the Redis figure")
        else:
            prefix = f"bench:{uuid.uuid4().hex[:8]}:"
            state = RedisState(url, prefix)
            try:
                realtime(args.clicks // 4, args.batch, args.data_dir, state, "redis")
            finally:
                client = redis.Redis.from_url(url)
                for key in client.scan_iter(match=prefix + "*", count=5000):
                    client.delete(key)
    if "retro" not in skip:
        retro(args.retro)
    if "state" not in skip:
        state_memory(args.state_keys)


if __name__ == "__main__":
    main()
