"""What the classifier says about a post, and how to say it to the influencer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Label(StrEnum):
    """The classifier's decision about one post."""

    INCITEMENT = "incitement"
    OK = "ok"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A passage that drove the decision: `text == post[start:end]`, why, and which part said so.

    `source` is `rule:<name>` for a transparent rule or `model` for the trained model.
    """

    start: int
    end: int
    text: str
    explanation: str
    source: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """The classifier's verdict on a post.

    `score` is the calibrated probability that the post incites clicking; `label` follows from
    it and the thresholds shipped with the model; `language` is an ISO 639-1 code (`und` when
    the post has no words); `model_version` names the trained artefact that produced it.
    """

    label: Label
    score: float
    language: str
    evidence: tuple[Evidence, ...]
    model_version: str


def explain(assessment: Assessment) -> str:
    """A plain-language paragraph for the influencer (French for a French post, else English):
    the decision, then each passage and why."""
    from fairclick.incitement import wording

    lang = assessment.language
    lines = [
        wording.verdict(assessment.label, lang),
        wording.details(assessment.score, lang, assessment.model_version),
    ]
    for item in assessment.evidence:
        lines.append(f"- “{item.text}”: {item.explanation}")
    if assessment.label is not Label.OK:
        lines.append(wording.reminder(lang))
    return "\n".join(lines)
