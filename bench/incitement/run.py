"""Measure the incitement classifier on the corpus: `python -m bench.incitement.run`.

Trains on the `train` split only and scores the untouched `test` split; also 5-fold
cross-validation on `train` (grouped by core sentence). Three systems side by side: the rules
alone (any rule hit = incitement), the model alone (n-grams + sentence embedding, no rule
flags) and the hybrid that ships. Binary figures use score ≥ 0.5; the three-way labels use
the thresholds chosen on the training split. Prints a table and writes JSON
(default `bench/incitement/results.json`).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fairclick.incitement import training
from fairclick.incitement.training import Post

LANGS = ("fr", "en", "es", "de", "it")
SYSTEMS = {
    "rules": None,
    "model": {"use_rules": False},
    "hybrid": {},
}


def prf(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "n": len(y)}


def report(posts: Sequence[Post], idx: np.ndarray, pred: np.ndarray) -> dict[str, object]:
    """Figures overall, per language, and the share of legal disclosures flagged."""
    y = np.array([posts[i].y for i in idx])
    langs = np.array([posts[i].lang for i in idx])
    cats = np.array([posts[i].category for i in idx])
    out: dict[str, object] = {"overall": prf(y, pred)}
    for lang in LANGS:
        mask = langs == lang
        out[lang] = prf(y[mask], pred[mask])
    disclosure = cats == "disclosure"
    out["disclosures_flagged"] = {
        "flagged": int(pred[disclosure].sum()),
        "of": int(disclosure.sum()),
        "share": round(float(pred[disclosure].mean()) if disclosure.any() else 0.0, 4),
    }
    return out


def three_way(y: np.ndarray, p: np.ndarray, cats: np.ndarray, low: float, high: float) -> dict:
    inc, ok = p >= high, p <= low
    review = ~inc & ~ok
    disclosure = cats == "disclosure"
    return {
        "incitement": {"n": int(inc.sum()), "truly_inciting": int((inc & (y == 1)).sum())},
        "ok": {"n": int(ok.sum()), "truly_inciting": int((ok & (y == 1)).sum())},
        "review": {"n": int(review.sum()), "truly_inciting": int((review & (y == 1)).sum())},
        "disclosures_not_ok": int((~ok & disclosure).sum()),
        "disclosures": int(disclosure.sum()),
    }


def latency(texts: Sequence[str]) -> dict[str, float]:
    """Per-post time of the shipped classifier, one post at a time, after warm-up."""
    from fairclick.incitement import get_classifier

    classifier = get_classifier()
    classifier.warm()
    times = []
    for text in texts:
        t0 = time.perf_counter()
        classifier.classify(text)
        times.append((time.perf_counter() - t0) * 1000)
    q = np.percentile(times, [50, 95, 99])
    return {
        "p50": round(float(q[0]), 1),
        "p95": round(float(q[1]), 1),
        "p99": round(float(q[2]), 1),
    }


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return round(float(np.mean((p - y) ** 2)), 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="incitement classifier benchmark")
    parser.add_argument("--corpus", type=Path, default=training.default_corpus())
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    posts = training.load_corpus(args.corpus)
    y = np.array([p.y for p in posts])
    cats = np.array([p.category for p in posts])
    train = np.array([i for i, p in enumerate(posts) if p.split == "train"])
    test = np.array([i for i, p in enumerate(posts) if p.split == "test"])
    data = training.featurise([p.text for p in posts])
    featurised = time.perf_counter() - started
    results: dict[str, object] = {
        "corpus": {
            "posts": len(posts),
            "train": len(train),
            "test": len(test),
            "version": training.corpus_version(args.corpus),
        },
        "hyperparameters": {
            "C": training.C,
            "embed_weight": training.EMBED_WEIGHT,
            "rule_weight": training.RULE_WEIGHT,
        },
    }
    for name, options in SYSTEMS.items():
        if options is None:
            test_pred = data.rule_hit[test]
            cv_pred = data.rule_hit[train]
            results[name] = {
                "test": report(posts, test, test_pred),
                "cv": report(posts, train, cv_pred),
            }
            continue
        oof = training.out_of_fold(posts, data, train, **options)
        model = training.fit(data, train, y[train], **options)  # type: ignore[arg-type]
        p_test = training.predict(model, data, test)
        entry: dict[str, object] = {
            "test": report(posts, test, p_test >= 0.5),
            "cv": report(posts, train, oof >= 0.5),
            "brier_test": brier(y[test], p_test),
        }
        if name == "hybrid":
            t = training.choose_thresholds(y[train], oof)
            entry["thresholds"] = {"low": t.low, "high": t.high}
            entry["three_way_test"] = three_way(y[test], p_test, cats[test], t.low, t.high)
            entry["three_way_cv"] = three_way(y[train], oof, cats[train], t.low, t.high)
        results[name] = entry
    results["latency_ms"] = latency([posts[i].text for i in test])
    results["seconds"] = {
        "featurise": round(featurised, 1),
        "total": round(time.perf_counter() - started, 1),
    }
    print_table(results)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON written to {args.json}")
    return 0


def print_table(results: dict) -> None:
    c = results["corpus"]
    print(f"corpus {c['version']}: {c['posts']} posts, train {c['train']}, test {c['test']}")
    header = f"{'system':8} {'split':5} {'lang':8} {'P':>6} {'R':>6} {'F1':>6} {'n':>5}"
    print(header)
    print("-" * len(header))
    for system in SYSTEMS:
        for split in ("test", "cv"):
            block = results[system][split]
            for lang in ("overall", *LANGS):
                row = block[lang]
                print(
                    f"{system:8} {split:5} {lang:8} {row['precision']:6.3f} {row['recall']:6.3f} "
                    f"{row['f1']:6.3f} {row['n']:5d}"
                )
            d = block["disclosures_flagged"]
            print(
                f"{system:8} {split:5} disclosures flagged: {d['flagged']}/{d['of']} ({d['share']:.1%})"
            )
    h = results["hybrid"]
    print(
        f"\nhybrid thresholds (chosen on train CV): {h['thresholds']}; Brier (test) {h['brier_test']}"
    )
    for split in ("three_way_test", "three_way_cv"):
        w = h[split]
        print(
            f"{split}: incitement {w['incitement']['n']} ({w['incitement']['truly_inciting']} truly), "
            f"review {w['review']['n']} ({w['review']['truly_inciting']} truly), "
            f"ok {w['ok']['n']} ({w['ok']['truly_inciting']} truly inciting); "
            f"disclosures not ok {w['disclosures_not_ok']}/{w['disclosures']}"
        )
    lat = results["latency_ms"]
    print(
        f"classify() one post, shipped model: p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
