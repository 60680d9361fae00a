"""Train the model on the corpus: featurise, fit, cross-validate, choose thresholds.

Shared by `python -m fairclick.incitement.train` (which writes the shipped artefact) and
`bench/incitement/run.py` (which measures). Everything is deterministic: fixed seeds, fixed
folds grouped by the corpus' core sentence so that one sentence never sits on both sides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from fairclick.incitement import features, linear, normalize, rules
from fairclick.incitement.features import idf_from_counts, ngram_counts, rule_vector
from fairclick.incitement.linear import LinearModel, Thresholds
from fairclick.incitement.normalize import fold

SEED = 20170109
# Chosen by `python -m fairclick.incitement.train --select`: the highest out-of-fold F1 on the
# training split over GRID (the test split plays no part). See docs/adr/0602.
GRID = {"embed_weight": (1.0, 2.0, 4.0), "rule_weight": (1.5, 3.0), "c": (4.0, 16.0)}
C = 4.0
EMBED_WEIGHT = 4.0
RULE_WEIGHT = 3.0
# The code whose change makes a trained model stale.
_VERSIONED_MODULES = (normalize, rules, features, linear)


@dataclass(frozen=True)
class Post:
    """One labelled post of the corpus."""

    id: str
    lang: str
    text: str
    label: str
    category: str
    split: str
    core: str

    @property
    def y(self) -> int:
        return int(self.label == "incitement")


def default_corpus() -> Path:
    """`data/incitement/corpus.jsonl` of the source checkout this module lives in."""
    return Path(__file__).resolve().parents[3] / "data" / "incitement" / "corpus.jsonl"


def load_corpus(path: Path) -> list[Post]:
    """The corpus' posts, in file order."""
    posts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            posts.append(Post(**{k: row[k] for k in Post.__dataclass_fields__}))
    return posts


def corpus_version(path: Path) -> str:
    """Hash of the corpus and of the feature/rule code: the version a trained model carries."""
    digest = hashlib.sha256(path.read_bytes())
    for module in _VERSIONED_MODULES:
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class Featurised:
    """The features of many posts, computed once and sliced by index."""

    counts: sparse.csr_matrix
    embeddings: np.ndarray
    rules: np.ndarray
    rule_hit: np.ndarray

    def take(self, idx: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        return self.counts[idx], self.embeddings[idx], self.rules[idx]


def featurise(texts: Sequence[str]) -> Featurised:
    """Rule flags, n-gram counts and embeddings of `texts`."""
    folded = [fold(t) for t in texts]
    rule_rows = []
    hit_any = []
    for f in folded:
        hits = rules.match(f)
        rule_rows.append(rule_vector(f, hits))
        hit_any.append(bool(hits))
    return Featurised(
        counts=ngram_counts([f.text for f in folded]),
        embeddings=features.embed(list(texts)),
        rules=np.vstack(rule_rows) if rule_rows else np.zeros((0, len(features.RULE_COLUMNS))),
        rule_hit=np.array(hit_any, dtype=bool),
    )


def fit(
    data: Featurised,
    idx: np.ndarray,
    y: np.ndarray,
    *,
    use_embeddings: bool = True,
    use_rules: bool = True,
    c: float = C,
    embed_weight: float = EMBED_WEIGHT,
    rule_weight: float = RULE_WEIGHT,
) -> LinearModel:
    """Fit the logistic regression on the posts `idx` (IDF from those posts only)."""
    counts, embeddings, rule_rows = data.take(idx)
    model = LinearModel(
        idf=idf_from_counts(counts),
        coef=np.zeros(0, dtype=np.float32),
        intercept=0.0,
        embed_weight=embed_weight,
        rule_weight=rule_weight,
        use_embeddings=use_embeddings,
        use_rules=use_rules,
    )
    lr = LogisticRegression(C=c, max_iter=5000, solver="lbfgs", random_state=SEED)
    lr.fit(model.matrix(counts, embeddings, rule_rows), y)
    model.coef = lr.coef_[0].astype(np.float32)
    model.intercept = float(lr.intercept_[0])
    return model


def predict(model: LinearModel, data: Featurised, idx: np.ndarray) -> np.ndarray:
    """Probabilities of incitement for the posts `idx`."""
    return model.probabilities(*data.take(idx))


def folds(
    posts: Sequence[Post], idx: np.ndarray, k: int = 5
) -> list[tuple[np.ndarray, np.ndarray]]:
    """k folds over `idx`, stratified by language × label, grouped by core sentence."""
    strata = np.array([f"{posts[i].lang}:{posts[i].label}" for i in idx])
    groups = np.array([posts[i].core for i in idx])
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=SEED)
    return [(idx[a], idx[b]) for a, b in splitter.split(idx, strata, groups)]


def out_of_fold(
    posts: Sequence[Post], data: Featurised, idx: np.ndarray, **options: object
) -> np.ndarray:
    """Cross-validated probabilities for `idx` (each post scored by a model that never saw it).

    Returned in the order of `idx`.
    """
    y = np.array([p.y for p in posts])
    position = {int(i): n for n, i in enumerate(idx)}
    out = np.zeros(len(idx))
    for train_idx, test_idx in folds(posts, idx):
        model = fit(data, train_idx, y[train_idx], **options)  # type: ignore[arg-type]
        out[[position[int(i)] for i in test_idx]] = predict(model, data, test_idx)
    return out


def choose_thresholds(y: np.ndarray, p: np.ndarray) -> Thresholds:
    """Thresholds from cross-validated scores on the training split.

    `high`: the lowest score (≥ 0.5) above which at least 98 % of posts truly incite, so an
    automatic `incitement` is rarely wrong. `low`: the highest score (≤ 0.5) at or below which
    at most 1.5 % of the posts truly incite, so an automatic `ok` rarely lets one through. The
    band in between goes to a moderator.
    """
    grid = np.round(np.arange(0.02, 0.99, 0.01), 2)
    high = 0.9
    for t in grid[grid >= 0.5]:
        flagged = p >= t
        if flagged.any() and y[flagged].mean() >= 0.98:
            high = float(t)
            break
    low = 0.02
    for t in grid[grid <= 0.5][::-1]:
        passed = p <= t
        if passed.any() and y[passed].mean() <= 0.015:
            low = float(t)
            break
    return Thresholds(low=low, high=max(high, low + 0.01))


def select(posts: Sequence[Post], data: Featurised, idx: np.ndarray) -> dict[str, float]:
    """The GRID point with the best out-of-fold F1 on `idx` (ties: the first in GRID order)."""
    import itertools

    y = np.array([posts[i].y for i in idx])
    best: tuple[float, dict[str, float]] = (-1.0, {})
    for ew, rw, c in itertools.product(*GRID.values()):
        p = out_of_fold(posts, data, idx, embed_weight=ew, rule_weight=rw, c=c)
        predicted = p >= 0.5
        tp = float((predicted & (y == 1)).sum())
        f1 = 2 * tp / max(1.0, float(predicted.sum() + (y == 1).sum()))
        print(f"  embed_weight={ew} rule_weight={rw} C={c}: out-of-fold F1 {f1:.4f}")
        if f1 > best[0] + 1e-9:
            best = (f1, {"embed_weight": ew, "rule_weight": rw, "c": c})
    return best[1]
