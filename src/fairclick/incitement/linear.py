"""The trained model: a logistic regression over the features, stored as plain arrays.

The artefact is two files: `incitement.npz` (numbers only: IDF weights, coefficients,
intercept; loaded with `allow_pickle=False`, so it cannot carry code) and `incitement.json`
(version, thresholds, feature weights, training figures).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from fairclick.incitement.features import assemble, tfidf

ARTEFACT_NAME = "incitement"


@dataclass(frozen=True)
class Thresholds:
    """Score ≥ `high` → incitement; score ≤ `low` → ok; in between → review."""

    low: float
    high: float


@dataclass
class LinearModel:
    """Logistic regression weights over [n-grams | embedding | rule flags]."""

    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    embed_weight: float
    rule_weight: float
    use_embeddings: bool = True
    use_rules: bool = True
    meta: dict[str, Any] = field(default_factory=dict)

    def matrix(
        self, counts: sparse.csr_matrix, embeddings: np.ndarray, rules: np.ndarray
    ) -> sparse.csr_matrix:
        """The model's input for featurised posts."""
        return assemble(
            tfidf(counts, self.idf),
            embeddings if self.use_embeddings else None,
            rules if self.use_rules else None,
            embed_weight=self.embed_weight,
            rule_weight=self.rule_weight,
        )

    def probabilities(
        self, counts: sparse.csr_matrix, embeddings: np.ndarray, rules: np.ndarray
    ) -> np.ndarray:
        """Probability of incitement for each featurised post."""
        logits = self.matrix(counts, embeddings, rules) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0))), dtype=np.float64)

    def save(self, directory: Path) -> None:
        """Write `incitement.npz` and `incitement.json` into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / f"{ARTEFACT_NAME}.npz",
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=np.array([self.intercept], dtype=np.float64),
        )
        meta = dict(self.meta)
        meta.update(
            embed_weight=self.embed_weight,
            rule_weight=self.rule_weight,
            use_embeddings=self.use_embeddings,
            use_rules=self.use_rules,
        )
        text = json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (directory / f"{ARTEFACT_NAME}.json").write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LinearModel:
        """Read a model written by `save`; raises FileNotFoundError when it is missing."""
        meta = json.loads((directory / f"{ARTEFACT_NAME}.json").read_text(encoding="utf-8"))
        with np.load(directory / f"{ARTEFACT_NAME}.npz", allow_pickle=False) as arrays:
            idf, coef, intercept = arrays["idf"], arrays["coef"], float(arrays["intercept"][0])
        return cls(
            idf=idf,
            coef=coef,
            intercept=intercept,
            embed_weight=float(meta["embed_weight"]),
            rule_weight=float(meta["rule_weight"]),
            use_embeddings=bool(meta["use_embeddings"]),
            use_rules=bool(meta["use_rules"]),
            meta=meta,
        )

    @property
    def thresholds(self) -> Thresholds:
        """The decision thresholds stored with the model."""
        t = self.meta["thresholds"]
        return Thresholds(low=float(t["low"]), high=float(t["high"]))
