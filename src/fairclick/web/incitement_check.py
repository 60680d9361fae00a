"""The incitement check as the pages show it, through `fairclick.incitement.classify`.

When the classifier is not installed in this build, `available()` is False and the pages say
that the check is not available: they never pretend a post was checked.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fairclick.links.models import Post


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the influencer sees: the label, the score, the language and the phrases why."""

    label: str
    score: float
    language: str
    evidence: list[dict[str, str]]
    model_version: str


def _classifier() -> Any | None:
    try:
        module = importlib.import_module("fairclick.incitement")
    except ImportError:
        return None
    return getattr(module, "classify", None)


def available() -> bool:
    """Whether the incitement classifier is installed."""
    return _classifier() is not None


def _plain(item: Any) -> dict[str, str]:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        item = dataclasses.asdict(item)
    if isinstance(item, dict):
        return {str(k): str(v) for k, v in item.items() if v is not None}
    return {"text": str(item)}


def check(text: str, network: str | None) -> CheckResult | None:
    """Classify a post's text; None when the text is empty or the classifier is missing."""
    classify = _classifier()
    if classify is None or not text.strip():
        return None
    result = classify(text, network)
    return CheckResult(
        label=str(getattr(result.label, "value", result.label)),
        score=float(result.score),
        language=str(getattr(result, "language", "") or ""),
        evidence=[_plain(item) for item in getattr(result, "evidence", [])][:20],
        model_version=str(getattr(result, "model_version", "") or ""),
    )


def assess(session: Session, post: Post, now: datetime) -> bool:
    """Store and enforce the classifier's judgement of a newly declared post (moderation
    service); False when the classifier is missing and the post stays unjudged."""
    if not available():
        return False
    from fairclick.moderation.service import assess_post

    assess_post(session, post, now=now)
    return True
