"""Train the shipped model: `python -m fairclick.incitement.train [--corpus PATH] [--select]`.

Trains on the corpus' `train` split only, picks the thresholds from 5-fold cross-validated
scores on that split, and writes `src/fairclick/incitement/model/incitement.{npz,json}` with
the version hash of corpus + code. `--select` first re-runs the hyper-parameter search.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from fairclick.incitement import training
from fairclick.incitement.model import MODEL_DIR, VERSION_PREFIX


def main(argv: list[str] | None = None) -> int:
    """Train and write the artefact; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=training.default_corpus())
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--select", action="store_true", help="re-run the hyper-parameter search")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"error: corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    # The test split is not even read past this line.
    posts = [p for p in training.load_corpus(args.corpus) if p.split == "train"]
    train_idx = np.arange(len(posts))
    y = np.array([p.y for p in posts])
    print(f"featurising {len(posts)} training posts…")
    data = training.featurise([p.text for p in posts])
    options: dict[str, float] = {
        "embed_weight": training.EMBED_WEIGHT,
        "rule_weight": training.RULE_WEIGHT,
        "c": training.C,
    }
    if args.select:
        options = training.select(posts, data, train_idx)
        print(f"selected: {options}")
    oof = training.out_of_fold(posts, data, train_idx, **options)
    thresholds = training.choose_thresholds(y[train_idx], oof)
    model = training.fit(data, train_idx, y[train_idx], **options)  # type: ignore[arg-type]
    version = training.corpus_version(args.corpus)
    model.meta = {
        "version": f"{VERSION_PREFIX}{version}",
        "corpus_sha": version,
        "thresholds": {"low": thresholds.low, "high": thresholds.high},
        "c": options["c"],
        "trained_on": len(train_idx),
        "seed": training.SEED,
        "features": "char 2-5-gram TF-IDF (hashed) + USE-multilingual-v3 + rule flags",
    }
    model.save(args.out)
    print(f"wrote {args.out} version {model.meta['version']} thresholds {thresholds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
