"""The shipped model is the one the corpus and the code produce today."""

from __future__ import annotations

import json

import numpy as np

from fairclick.incitement.features import EMBED_DIM, N_HASH, RULE_COLUMNS
from fairclick.incitement.model import MODEL_DIR, VERSION_PREFIX, Classifier
from fairclick.incitement.training import corpus_version, default_corpus, load_corpus


def test_shipped_model_matches_corpus_and_code() -> None:
    meta = json.loads((MODEL_DIR / "incitement.json").read_text(encoding="utf-8"))
    expected = corpus_version(default_corpus())
    assert meta["version"] == f"{VERSION_PREFIX}{expected}", (
        "the model is stale: run `python -m fairclick.incitement.train` and commit the result"
    )


def test_artefact_is_plain_arrays() -> None:
    with np.load(MODEL_DIR / "incitement.npz", allow_pickle=False) as arrays:
        assert arrays["coef"].shape == (N_HASH + EMBED_DIM + len(RULE_COLUMNS),)
        assert arrays["idf"].shape == (N_HASH,)
    t = Classifier().thresholds
    assert 0.0 < t.low < t.high < 1.0


def test_corpus_shape() -> None:
    posts = load_corpus(default_corpus())
    assert len(posts) >= 1000
    by_lang: dict[str, int] = {}
    for p in posts:
        by_lang[p.lang] = by_lang.get(p.lang, 0) + 1
    assert all(by_lang[lang] >= 50 for lang in ("es", "de", "it"))
    assert by_lang["fr"] + by_lang["en"] > len(posts) / 2
    share = sum(p.y for p in posts) / len(posts)
    assert 0.35 <= share <= 0.45
    assert len({p.id for p in posts}) == len(posts)
    # a core sentence never sits on both sides of the split
    sides: dict[str, set[str]] = {}
    for p in posts:
        sides.setdefault(p.core, set()).add(p.split)
    assert all(len(s) == 1 for s in sides.values())
