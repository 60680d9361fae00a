"""The classifier: rules + trained model, loaded once, applied to one post at a time."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fairclick.incitement import features, language
from fairclick.incitement.assessment import Assessment, Evidence, Label
from fairclick.incitement.linear import LinearModel
from fairclick.incitement.normalize import fold
from fairclick.incitement.rules import Hit, match
from fairclick.incitement.wording import model_explanation, rule_explanation

MODEL_DIR = Path(__file__).resolve().parent / "model"
VERSION_PREFIX = "incitement-"
# Real posts are far shorter (Instagram caps captions at 2,200 characters); reading no more
# bounds the time a hostile input can take.
MAX_CHARS = 10_000
EVIDENCE_CHARS = 300
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _coerce(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise TypeError(f"classify expects the post's text as str, not {type(text).__name__}")
    return text


class Classifier:
    """Loads the shipped model once (no download; the sentence encoder loads on first use)."""

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        self.model = LinearModel.load(directory)
        self.thresholds = self.model.thresholds
        self.version = str(self.model.meta["version"])

    def warm(self) -> None:
        """Load the sentence encoder and the language identifier now rather than on first use
        (a few seconds; call it at start-up where the first request must be fast)."""
        self.classify("warm up: click here")

    def scores(self, texts: list[str]) -> np.ndarray:
        """Probability of incitement of each text (texts already coerced and truncated)."""
        folded = [fold(t) for t in texts]
        rule_rows = np.vstack([features.rule_vector(f, match(f)) for f in folded])
        counts = features.ngram_counts([f.text for f in folded])
        return self.model.probabilities(counts, features.embed(texts), rule_rows)

    def label_for(self, score: float) -> Label:
        """The label the thresholds give to `score`."""
        if score >= self.thresholds.high:
            return Label.INCITEMENT
        if score <= self.thresholds.low:
            return Label.OK
        return Label.REVIEW

    def classify(self, text: object, network: str | None = None) -> Assessment:
        """Judge one post. `network` is accepted for the platform's interface; the model does
        not depend on it today. Empty text is `ok` without evidence; text beyond MAX_CHARS is
        not read. Raises TypeError for a value that is not text (None and bytes are accepted).
        """
        body = _coerce(text)[:MAX_CHARS]
        if not body.strip():
            return Assessment(Label.OK, 0.0, language.UNDETERMINED, (), self.version)
        folded = fold(body)
        hits = match(folded)
        return self._assessment(body, hits, float(self.scores([body])[0]))

    def classify_many(self, texts: Sequence[object]) -> list[Assessment]:
        """`classify` of each text, in order, with the same results bit for bit but cheaper:
        each text is folded and matched once, and the n-gram, TF-IDF and linear steps run on
        all texts at once. The sentence encoder still reads one text at a time, because its
        batched matrix products round differently (scores would move by up to 5e-7)."""
        bodies = [_coerce(t)[:MAX_CHARS] for t in texts]
        todo = [i for i, body in enumerate(bodies) if body.strip()]
        folded = [fold(bodies[i]) for i in todo]
        hits = [match(f) for f in folded]
        scores: np.ndarray = np.zeros(0)
        if todo:
            rule_rows = np.vstack(
                [features.rule_vector(f, h) for f, h in zip(folded, hits, strict=True)]
            )
            counts = features.ngram_counts([f.text for f in folded])
            embedded = np.vstack([features.embed([bodies[i]]) for i in todo])
            scores = self.model.probabilities(counts, embedded, rule_rows)
        empty = Assessment(Label.OK, 0.0, language.UNDETERMINED, (), self.version)
        out = [empty] * len(bodies)
        for row, i in enumerate(todo):
            out[i] = self._assessment(bodies[i], hits[row], float(scores[row]))
        return out

    def _assessment(self, body: str, hits: list[Hit], score: float) -> Assessment:
        label = self.label_for(score)
        lang = language.detect(body)
        evidence = [_rule_evidence(body, hit, lang) for hit in _outermost(hits)]
        if label is not Label.OK and not evidence:
            evidence.extend(self._model_evidence(body, lang))
        return Assessment(
            label=label,
            score=round(score, 4),
            language=lang,
            evidence=tuple(evidence),
            model_version=self.version,
        )

    def _model_evidence(self, body: str, lang: str) -> list[Evidence]:
        """The sentence the model finds most inciting, when no rule explains the decision."""
        spans = []
        for m in _SENTENCE.finditer(body):
            start, end = m.start(), m.end()
            while start < end and body[start].isspace():
                start += 1
            while end > start and body[end - 1].isspace():
                end -= 1
            if any(c.isalpha() for c in body[start:end]):
                spans.append((start, end))
        if not spans:
            return []
        scores = self.scores([body[a:b] for a, b in spans]) if len(spans) > 1 else None
        best = int(np.argmax(scores)) if scores is not None else 0
        a, b = spans[best]
        b = min(b, a + EVIDENCE_CHARS)
        p = float(scores[best]) if scores is not None else float(self.scores([body])[0])
        return [Evidence(a, b, body[a:b], model_explanation(p, lang), "model")]


def _outermost(hits: list[Hit]) -> list[Hit]:
    """Hits not lying inside a longer hit of the same category (one passage, one reason)."""
    return [
        h
        for h in hits
        if not any(
            o is not h
            and o.category == h.category
            and o.start <= h.start
            and h.end <= o.end
            and (o.end - o.start) > (h.end - h.start)
            for o in hits
        )
    ]


def _rule_evidence(body: str, hit: Hit, lang: str) -> Evidence:
    return Evidence(
        hit.start,
        hit.end,
        body[hit.start : hit.end],
        rule_explanation(hit.category, lang),
        f"rule:{hit.rule}",
    )


_lock = threading.Lock()
_instance: Classifier | None = None


def get_classifier() -> Classifier:
    """The process-wide classifier, loaded on first use."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = Classifier()
        return _instance


def classify(text: object, network: str | None = None) -> Assessment:
    """Judge one post with the shipped model (see `Classifier.classify`)."""
    return get_classifier().classify(text, network)


def classify_many(texts: Sequence[object]) -> list[Assessment]:
    """Judge many posts with the shipped model (see `Classifier.classify_many`)."""
    return get_classifier().classify_many(texts)
