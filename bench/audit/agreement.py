"""How well `fairclick audit` agrees with the simulator's labels, beside the platform.

    .venv/bin/python bench/audit/agreement.py [--clicks 50000] [--dir var/agreement] [--reuse]

1. `fairclick demo --clicks N --no-serve` on the default scenario (primaire-2017, seeded):
   simulates the clicks and their labels, loads the world, and puts every click through the
   platform's real path (ingest -> validation -> retro-analysis -> ledger), then exports the
   verdicts. That export is the **platform** column: the same engine with the platform's data
   (links, campaigns, influencers' sessions, posts).
2. `fairclick audit` of the same click log, with `--decisions`, twice: the JSONL itself (what a
   click tracker records: request headers, first-party cookie) and the same requests written as
   an nginx combined log (what a web server records: no headers, no cookie).
3. Precision, recall and F1 of "invalid" for each, against the labels, restricted to the
   clicks whose labelled primary reason the audit can apply: clicks labelled `self_click`,
   `incited` or `low_engagement` need the platform's data and are left out of every column
   (the platform's verdicts are scored on exactly the same clicks).

Same scenario, seed and --clicks give the same clicks; figures vary only with the runtime data
installed (`fairclick data update`: bot lists, ASN database), which both sides use.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

PLATFORM_ONLY = ("self_click", "incited", "low_engagement")
FAIRCLICK = [sys.executable, "-c", "from fairclick.cli.main import run; run()"]


def run(*args: str) -> float:
    """Run a fairclick command, fail loudly; return its CPU seconds (children's)."""
    before = os.times()
    done = subprocess.run([*FAIRCLICK, *args], check=False, stdout=subprocess.DEVNULL)
    if done.returncode:
        sys.exit(f"`fairclick {' '.join(args)}` failed (exit {done.returncode}): see above")
    after = os.times()
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def to_combined(clicks: Path, out: Path) -> None:
    """The click log as an nginx combined log, one line per record in the same order."""
    frame = pl.read_ndjson(
        clicks,
        schema={
            "ts": pl.String,
            "code": pl.String,
            "ip": pl.String,
            "method": pl.String,
            "user_agent": pl.String,
            "referer": pl.String,
        },
    )
    quoted = [
        pl.col(c).fill_null("-").str.replace_all('"', "\\x22", literal=True)
        for c in ("referer", "user_agent")
    ]
    lines = frame.select(
        pl.format(
            '{} - - [{}] "{} /c/{} HTTP/1.1" 302 0 "{}" "{}"',
            "ip",
            pl.col("ts")
            .str.to_datetime(time_zone="UTC", time_unit="us")
            .dt.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            pl.col("method").fill_null("GET"),
            "code",
            *quoted,
        )
    )
    out.write_text("\n".join(lines.to_series().to_list()) + "\n")


def scores(judged: pl.DataFrame) -> dict[str, float | int]:
    """Precision, recall, F1 of 'invalid' (columns `label`, `verdict`), and the share of
    genuine clicks judged invalid."""
    truth = judged["label"] == "invalid"
    said = judged["verdict"] == "invalid"
    tp = int((truth & said).sum())
    fp = int((~truth & said).sum())
    fn = int((truth & ~said).sum())
    genuine = int((~truth).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "clicks": judged.height,
        "labelled_invalid": int(truth.sum()),
        "judged_invalid": int(said.sum()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_rejection": fp / genuine if genuine else 0.0,
    }


def recall_by_reason(judged: pl.DataFrame) -> dict[str, float]:
    """Per labelled primary reason: the share judged invalid."""
    rows = (
        judged.filter(pl.col("label") == "invalid")
        .group_by("reason")
        .agg(pl.len().alias("n"), (pl.col("verdict") == "invalid").mean().alias("recall"))
        .sort("n", descending=True)
    )
    return {r["reason"]: round(r["recall"], 3) for r in rows.iter_rows(named=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=50_000)
    parser.add_argument("--dir", type=Path, default=Path("var/agreement"))
    parser.add_argument("--reuse", action="store_true", help="keep an earlier demo run in --dir")
    args = parser.parse_args()
    folder: Path = args.dir.resolve()
    sim = folder / "demo" / "simulation"
    export = folder / "demo" / "export.jsonl"
    cpu: dict[str, float] = {}
    if not (args.reuse and export.is_file()):
        print(f"fairclick demo --clicks {args.clicks:,} --no-serve (simulate, ingest, export)…")
        cpu["platform (demo)"] = run(
            "demo", "--dir", str(folder / "demo"), "--clicks", str(args.clicks), "--no-serve"
        )
    combined = folder / "access.log"
    to_combined(sim / "clicks.jsonl", combined)
    inputs = {"audit of the JSONL": sim / "clicks.jsonl", "audit of a combined log": combined}
    labels = pl.read_ndjson(
        sim / "labels.jsonl",
        schema={"id": pl.String, "label": pl.String, "reason": pl.String},
    ).with_row_index("line", offset=1)
    kept = labels.filter(~pl.col("reason").is_in(PLATFORM_ONLY))
    judged: dict[str, pl.DataFrame] = {}
    for name, source in inputs.items():
        out = folder / source.stem
        started = time.perf_counter()
        cpu[name] = run(
            "audit",
            str(source),
            "--out",
            str(out),
            "--decisions",
            str(out / "decisions.parquet"),
        )
        print(f"{name}: {time.perf_counter() - started:.1f} s")
        decisions = pl.read_parquet(out / "decisions.parquet", columns=["line", "verdict"])
        judged[name] = kept.join(
            decisions.with_columns(pl.col("line").cast(pl.UInt32)), on="line", how="left"
        ).with_columns(pl.col("verdict").fill_null("unread"))
    platform = pl.read_ndjson(export, schema={"id": pl.String, "verdict": pl.String})
    judged["platform (ingest)"] = kept.join(platform, on="id", how="left").with_columns(
        pl.col("verdict").fill_null("missing")
    )
    report: dict[str, Any] = {
        "clicks": labels.height,
        "left_out": {r: int((labels["reason"] == r).sum()) for r in PLATFORM_ONLY},
        "scores": {name: scores(frame) for name, frame in judged.items()},
        "recall_by_reason": {name: recall_by_reason(frame) for name, frame in judged.items()},
        "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
        "data_dir": str(Path(os.environ.get("FAIRCLICK_DATA_DIR", "var/data")).resolve()),
    }
    (folder / "agreement.json").write_text(json.dumps(report, indent=2))
    left = ", ".join(f"{k} {v:,}" for k, v in report["left_out"].items())
    print(f"\n{labels.height:,} simulated clicks; left out (platform-only labels): {left}")
    print(f"scored on {kept.height:,} clicks, {int((kept['label'] == 'invalid').sum()):,} invalid")
    print(f"{'':28} {'precision':>9} {'recall':>7} {'F1':>6} {'false rej.':>10}")
    for name, s in report["scores"].items():
        print(
            f"{name:28} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f} "
            f"{s['false_rejection']:10.2%}"
        )
    print("\nrecall by labelled primary reason:")
    reasons = list(report["recall_by_reason"]["platform (ingest)"])
    print(f"{'':20}" + "".join(f"{n[:24]:>26}" for n in judged))
    for reason in reasons:
        cells = "".join(
            f"{report['recall_by_reason'][n].get(reason, float('nan')):>26.3f}" for n in judged
        )
        print(f"{reason:20}{cells}")
    spent = ", ".join(f"{k} {v:.1f}" for k, v in report["cpu_seconds"].items())
    print(f"\nCPU seconds: {spent}; runtime data: {report['data_dir']}")
    print(f"figures in {folder / 'agreement.json'}")


if __name__ == "__main__":
    main()
