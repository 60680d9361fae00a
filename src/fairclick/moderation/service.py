"""Enforce the incitement policy: judge posts, hold or invalidate their clicks, record violations.

- `incitement`: every click through the post's link is invalid with reason `incited`, from the
  first click and retroactively (billed clicks are reversed by the ledger); a violation is
  recorded, and after the campaign's `violation_limit` the enrolment is suspended.
- `review`: a moderation case opens for the campaign's advertiser and the operator; valid clicks
  arriving meanwhile are held unbilled (`held_for_review`) until a decision.
- A decision is recorded (who, when, why) and applied retroactively to the post's clicks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fairclick.campaigns.enrolments import decide
from fairclick.campaigns.models import Campaign, Enrolment, EnrolmentStatus
from fairclick.clicks.models import Click
from fairclick.clicks.reverdict import Reverser, invalidate
from fairclick.domain.errors import Conflict, InvalidInput, NotFound
from fairclick.domain.influence import Network
from fairclick.domain.reasons import Reason, UnbilledCause
from fairclick.influencers.models import Influencer
from fairclick.links.models import Link, Post
from fairclick.links.service import declare_post
from fairclick.moderation.models import ModerationCase, PostAssessment, Violation

TRUST_PENALTY = 20  # points of trust lost per violation (score 0–100)


class AssessmentLike(Protocol):
    """What the classifier returns (`fairclick.incitement.Assessment`)."""

    @property
    def label(self) -> Any: ...
    @property
    def score(self) -> float: ...
    @property
    def language(self) -> str: ...
    @property
    def evidence(self) -> Sequence[Any]: ...
    @property
    def model_version(self) -> str: ...


Classify = Callable[[str, str | None], AssessmentLike]
# Bills clicks that were held for review once a moderator finds the post acceptable.
ReleaseHeld = Callable[[Session, Sequence[Click], datetime], None]


def _default_classify(text: str, network: str | None) -> AssessmentLike:
    from fairclick.incitement import classify

    return classify(text, network)


class _LedgerReverser:
    """`ledger.posting.reverser` imported when first used: per click, or `many` for a batch."""

    def __call__(
        self, session: Session, click_id: str, reason: str, at: datetime, by: str
    ) -> object:
        from fairclick.ledger.posting import reverser

        return reverser(session, click_id, reason, at, by)

    def many(
        self, session: Session, click_ids: Sequence[str], reason: str, at: datetime, by: str
    ) -> object:
        from fairclick.ledger.posting import reverser

        return reverser.many(session, click_ids, reason, at, by)


_ledger_reverser = _LedgerReverser()


def _ledger_release(session: Session, clicks: Sequence[Click], at: datetime) -> None:
    from fairclick.ledger.posting import release_clicks

    release_clicks(session, clicks, at)


def _ledger_drop(session: Session, click_ids: Sequence[str], at: datetime) -> None:
    from fairclick.ledger.posting import drop_held

    drop_held(session, click_ids, at=at)


def _evidence(items: Sequence[Any]) -> list[dict[str, object]]:
    out = []
    for item in items:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            out.append({k: _plain(v) for k, v in dataclasses.asdict(item).items()})
        elif isinstance(item, dict):
            out.append({k: _plain(v) for k, v in item.items()})
        else:
            out.append({"text": str(item)})
    return out


def _plain(value: object) -> object:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def assess_post(
    session: Session,
    post: Post,
    *,
    now: datetime,
    classify: Classify = _default_classify,
    reverser: Reverser | None = _ledger_reverser,
) -> PostAssessment:
    """Judge the post's text with the classifier, store the result and enforce it."""
    result = classify(post.text or "", post.network)
    label = str(getattr(result.label, "value", result.label))
    assessment = PostAssessment(
        post_id=post.id,
        at=now,
        label=label,
        score=float(result.score),
        language=result.language,
        evidence=_evidence(result.evidence),
        source="model",
        model_version=result.model_version,
        text_excerpt=(post.text or "")[:2000],
    )
    session.add(assessment)
    post.incitement_label = label
    post.incitement_score = float(result.score)
    post.incitement_evidence = assessment.evidence
    post.model_version = result.model_version
    session.flush()
    _enforce(
        session,
        post,
        label,
        source="model",
        by=f"incitement:{result.model_version}",
        now=now,
        reverser=reverser,
        evidence=assessment.evidence,
    )
    return assessment


def declare_and_assess(
    session: Session,
    enrolment: Enrolment,
    *,
    network: Network,
    url: str | None,
    text: str,
    posted_at: datetime | None,
    now: datetime,
    code: str | None = None,
) -> Post:
    """Declare a post (with its own link) and judge its text at once, as the policy requires
    for every door (API, CLI, web, world files)."""
    post = declare_post(
        session, enrolment, network=network, url=url, text=text, posted_at=posted_at, code=code
    )
    assess_post(session, post, now=now)
    return post


def edit_post(session: Session, post: Post, *, text: str, now: datetime) -> bool:
    """Replace the post's text and judge it again (True) — unless it did not change (False)."""
    if text == (post.text or ""):
        return False
    post.text = text
    assess_post(session, post, now=now)
    return True


def _campaign_of(session: Session, post: Post) -> Campaign:
    link = session.get_one(Link, post.link_id)
    return session.get_one(Campaign, link.campaign_id)


def _enforce(
    session: Session,
    post: Post,
    label: str,
    *,
    source: str,
    by: str,
    now: datetime,
    reverser: Reverser | None,
    evidence: list[dict[str, object]],
) -> None:
    campaign = _campaign_of(session, post)
    if label == "incitement":
        click_ids = list(session.scalars(select(Click.click_id).where(Click.post_id == post.id)))
        held = list(
            session.scalars(
                select(Click.click_id).where(
                    Click.post_id == post.id,
                    Click.unbilled_cause == UnbilledCause.HELD_FOR_REVIEW.value,
                )
            )
        )
        if held and reverser is not None:
            _ledger_drop(session, held, now)
        invalidate(
            session,
            click_ids,
            Reason.INCITED,
            by=by,
            at=now,
            evidence={"post_id": post.id, "phrases": [e.get("text") for e in evidence][:10]},
            reverser=reverser,
        )
        _record_violation(session, post, campaign, source=source, now=now)
    elif label == "review":
        open_case = session.scalar(
            select(ModerationCase).where(
                ModerationCase.post_id == post.id, ModerationCase.status == "open"
            )
        )
        if open_case is None:
            session.add(ModerationCase(post_id=post.id, campaign_id=campaign.id, opened_at=now))
    session.flush()


def _record_violation(
    session: Session, post: Post, campaign: Campaign, *, source: str, now: datetime
) -> None:
    if session.scalar(select(Violation.id).where(Violation.post_id == post.id)) is not None:
        return
    earlier = session.scalar(
        select(func.count(Violation.id)).where(
            Violation.influencer_id == post.influencer_id, Violation.campaign_id == campaign.id
        )
    )
    suspend = (earlier or 0) + 1 >= campaign.violation_limit
    session.add(
        Violation(
            influencer_id=post.influencer_id,
            campaign_id=campaign.id,
            post_id=post.id,
            at=now,
            source=source,
            consequence="suspension" if suspend else "warning",
        )
    )
    session.flush()
    if suspend:
        enrolment = session.scalar(
            select(Enrolment).where(
                Enrolment.campaign_id == campaign.id,
                Enrolment.influencer_id == post.influencer_id,
            )
        )
        if enrolment is not None and enrolment.status == EnrolmentStatus.APPROVED:
            decide(session, enrolment, EnrolmentStatus.SUSPENDED.value, now)
    influencer = session.get_one(Influencer, post.influencer_id)
    total = session.scalar(
        select(func.count(Violation.id)).where(Violation.influencer_id == influencer.id)
    )
    influencer.trust_score = max(0, 100 - TRUST_PENALTY * int(total or 0))


def decide_case(
    session: Session,
    case: ModerationCase,
    decision: str,
    *,
    moderator_id: int,
    note: str,
    now: datetime,
    reverser: Reverser | None = _ledger_reverser,
    release_held: ReleaseHeld | None = _ledger_release,
) -> ModerationCase:
    """Record a moderator's decision (`incitement` or `ok`) and apply it to the post's clicks."""
    if decision not in ("incitement", "ok"):
        raise InvalidInput("a decision is `incitement` or `ok`", field="decision")
    if case.status != "open":
        raise Conflict("this case was already decided")
    if not note.strip():
        raise InvalidInput("say why: the influencer and the advertiser will read it", field="note")
    post = session.get(Post, case.post_id)
    if post is None:
        raise NotFound("the post no longer exists")
    case.status, case.decision = "decided", decision
    case.decided_by, case.decided_at, case.note = moderator_id, now, note.strip()
    session.add(
        PostAssessment(
            post_id=post.id,
            at=now,
            label=decision,
            score=1.0 if decision == "incitement" else 0.0,
            language=None,
            evidence=[{"text": note.strip(), "explanation": "moderator's decision"}],
            source="moderator",
            model_version=None,
            text_excerpt=(post.text or "")[:2000],
        )
    )
    post.incitement_label = decision
    held = list(
        session.scalars(
            select(Click).where(
                Click.post_id == post.id,
                Click.unbilled_cause == UnbilledCause.HELD_FOR_REVIEW.value,
            )
        )
    )
    if decision == "incitement":
        _enforce(
            session,
            post,
            "incitement",
            source="moderator",
            by=f"moderator:{moderator_id}",
            now=now,
            reverser=reverser,
            evidence=[{"text": note.strip()}],
        )
    elif held and release_held is not None:
        release_held(session, held, now)
    session.flush()
    return case


def held_post_ids(session: Session, campaign_ids: Sequence[int] | None = None) -> set[int]:
    """Posts whose clicks are held for review (an open moderation case)."""
    query = select(ModerationCase.post_id).where(ModerationCase.status == "open")
    if campaign_ids:
        query = query.where(ModerationCase.campaign_id.in_(campaign_ids))
    return set(session.scalars(query))


def held_among(session: Session, post_ids: Iterable[int]) -> set[int]:
    """Which of these posts await a moderation decision (their clicks are held)."""
    wanted = list(post_ids)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(ModerationCase.post_id).where(
                ModerationCase.status == "open", ModerationCase.post_id.in_(wanted)
            )
        )
    )


def inciting_post_ids(session: Session) -> set[int]:
    """Posts judged inciting: clicks through them are invalid with reason `incited`."""
    return set(session.scalars(select(Post.id).where(Post.incitement_label == "incitement")))
