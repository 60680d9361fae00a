"""Enforcement of post judgements on clicks, violations and enrolments.

These tests give the post's label directly (the classifier itself is tested in
tests/incitement); the end-to-end test in tests/moderation/test_end_to_end.py uses the real one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from fairclick.campaigns.models import Enrolment
from fairclick.clicks.models import Click
from fairclick.clicks.reverdict import history
from fairclick.domain.ids import new_click_id
from fairclick.influencers.models import Influencer
from fairclick.links.models import Link, Post
from fairclick.moderation.models import ModerationCase, Violation
from fairclick.moderation.service import assess_post, decide_case, held_post_ids
from tests.conftest import TestDb
from tests.factories import load_world

NOW = datetime(2025, 11, 18, 9, tzinfo=UTC)


@dataclass
class Judgement:
    label: str
    score: float = 0.9
    language: str = "fr"
    evidence: list[dict[str, Any]] = field(default_factory=lambda: [{"text": "cliquez svp"}])
    model_version: str = "test"


def _label(label: str) -> Any:
    return lambda text, network: Judgement(label)


def _post(session: Any) -> tuple[Link, Post]:
    link = session.scalars(select(Link).where(Link.code == "bviabRurGt")).one()
    return link, session.scalars(select(Post).where(Post.link_id == link.id)).one()


def test_inciting_post_invalidates_its_clicks_and_records_a_violation(test_db: TestDb) -> None:
    load_world(test_db.db)
    reversed_: list[str] = []
    with test_db.db.session() as session:
        link, post = _post(session)
        for i in range(3):
            session.add(Click(click_id=new_click_id(), seq=i + 1, ts=NOW, code=link.code,
                              link_id=link.id, campaign_id=link.campaign_id,
                              influencer_id=link.influencer_id, post_id=post.id, method="GET",
                              status=302, verdict="valid", reasons=[], billing="billed",
                              amount_minor=46, currency="EUR"))  # fmt: skip
        session.flush()
        assess_post(
            session,
            post,
            now=NOW,
            classify=_label("incitement"),
            reverser=lambda s, cid, reason, at, by: reversed_.append(cid),
        )
        clicks = session.scalars(select(Click).where(Click.post_id == post.id)).all()
        assert {c.verdict for c in clicks} == {"invalid"}
        assert all(c.reasons == ["incited"] and c.amount_minor == 0 for c in clicks)
        assert len(reversed_) == 3
        change = history(session, clicks[0].click_id)[0]
        assert (change.old_verdict, change.new_verdict, change.new_reasons) == (
            "valid",
            "invalid",
            ["incited"],
        )
        violation = session.scalars(select(Violation)).one()
        assert violation.consequence == "warning"  # the example campaign suspends at 2
        assert session.get_one(Influencer, post.influencer_id).trust_score == 80
        # judged again (text edited, same verdict): idempotent
        assess_post(session, post, now=NOW, classify=_label("incitement"))
        assert len(session.scalars(select(Violation)).all()) == 1
        assert len(history(session, clicks[0].click_id)) == 1


def test_second_violation_suspends_the_enrolment(test_db: TestDb) -> None:
    load_world(test_db.db)
    with test_db.db.session() as session:
        _, post = _post(session)
        assess_post(session, post, now=NOW, classify=_label("incitement"))
        other = Post(link_id=session.scalars(select(Link).where(Link.is_default.is_(True),
                     Link.influencer_id == post.influencer_id)).one().id,
                     influencer_id=post.influencer_id, network="x", text="x")  # fmt: skip
        session.add(other)
        session.flush()
        assess_post(session, other, now=NOW, classify=_label("incitement"))
        enrolment = session.scalars(
            select(Enrolment).where(Enrolment.influencer_id == post.influencer_id)
        ).one()
        assert enrolment.status == "suspended"
        assert [
            v.consequence for v in session.scalars(select(Violation).order_by(Violation.id))
        ] == [
            "warning",
            "suspension",
        ]


def test_review_opens_a_case_and_a_decision_applies_retroactively(test_db: TestDb) -> None:
    load_world(test_db.db)
    with test_db.db.session() as session:
        link, post = _post(session)
        assess_post(session, post, now=NOW, classify=_label("review"))
        case = session.scalars(select(ModerationCase)).one()
        assert held_post_ids(session) == {post.id}
        session.add(Click(click_id=new_click_id(), seq=1, ts=NOW, code=link.code, link_id=link.id,
                          campaign_id=link.campaign_id, influencer_id=link.influencer_id,
                          post_id=post.id, method="GET", status=302, verdict="valid", reasons=[],
                          billing="unbilled", unbilled_cause="held_for_review"))  # fmt: skip
        session.flush()
        released: list[str] = []
        decide_case(
            session,
            case,
            "ok",
            moderator_id=1,
            note="points to the polling-station finder",
            now=NOW,
            release_held=lambda s, clicks, at: released.extend(c.click_id for c in clicks),
        )
        assert len(released) == 1
        assert case.status == "decided"
        assert case.decided_by == 1
        assert held_post_ids(session) == set()
        assert session.scalars(select(Violation)).all() == []
