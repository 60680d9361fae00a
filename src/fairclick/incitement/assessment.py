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


_VERDICT = {
    Label.INCITEMENT: (
        "This post asks people to click for your sake rather than for the content. Under the "
        "platform's rule, clicks obtained this way are not counted and not paid."
    ),
    Label.REVIEW: (
        "This post may be asking people to click for your sake rather than for the content. "
        "A moderator will read it; until then its clicks are held, not paid."
    ),
    Label.OK: (
        "This post points people to the content. Nothing in it asks for clicks for your sake, "
        "so its clicks are counted normally."
    ),
}


def explain(assessment: Assessment) -> str:
    """A plain-language paragraph for the influencer: the decision, then each passage and why."""
    lines = [_VERDICT[assessment.label]]
    lines.append(
        f"(Likelihood of incitement: {assessment.score:.0%}; language: {assessment.language}; "
        f"model {assessment.model_version}.)"
    )
    for item in assessment.evidence:
        lines.append(f"- “{item.text}”: {item.explanation}")
    if assessment.label is not Label.OK:
        lines.append(
            "Pointing to the content is always fine (“read the full story here”), and so are "
            "the advertising disclosures the law requires (“Publicité”, #ad)."
        )
    return "\n".join(lines)
