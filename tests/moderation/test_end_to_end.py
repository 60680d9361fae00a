"""Issue 6 acceptance, end to end with the real classifier, engine, worker and ledger:
an influencer declares an inciting post in French, clicks arrive through its link, the clicks
are `incited`, the ledger holds nothing for them, and the moderation record shows why.
A legitimate sponsored post with a legal disclosure is not flagged and its clicks are paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import func, select

from fairclick.accounts.models import User
from fairclick.campaigns.models import Enrolment
from fairclick.clicks.ingest import ingest
from fairclick.clicks.models import Click
from fairclick.clicks.pipeline import LedgerBiller, default_validator
from fairclick.clicks.worker import ClickWorker
from fairclick.config import load_settings
from fairclick.domain.influence import Network
from fairclick.influencers.models import Influencer
from fairclick.ledger.models import ClickPosting
from fairclick.links.models import Link, Post
from fairclick.moderation.models import ModerationCase, PostAssessment, Violation
from fairclick.moderation.service import decide_case, declare_and_assess
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, load_world

INCITING = (
    "Les amis j'ai besoin de vous 🙏 chaque clic sur ce lien me rapporte 50 centimes, "
    "cliquez plusieurs fois et depuis vos deux téléphones svp !! 👉"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
T0 = datetime(2025, 11, 18, 18, tzinfo=UTC)


def _clicks(code: str, prefix: str, n: int) -> list[bytes]:
    # n different people on French residential lines (Orange), each clicking once
    return [
        orjson.dumps(
            {
                "id": f"{prefix}-{i}",
                "ts": (T0 + timedelta(minutes=7 * i)).isoformat(),
                "code": code,
                "ip": f"90.{20 + i}.{i}.{10 + i}",
                "method": "GET",
                "user_agent": IPHONE,
                "referer": "https://t.co/",
                "accept_language": "fr-FR,fr;q=0.9",
                "headers": {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"},
                "visitor_id": f"{prefix}-visitor-{i}",
            }
        )
        for i in range(n)
    ]


def test_inciting_french_post_is_never_paid_and_the_record_says_why(
    test_db: TestDb, tmp_path: Path
) -> None:
    load_world(test_db.db)
    with test_db.db.session() as session:
        lucas = session.scalars(select(Influencer).where(Influencer.key == "lucasl77")).one()
        enrolment = session.scalars(
            select(Enrolment).where(Enrolment.influencer_id == lucas.id)
        ).one()
        post = declare_and_assess(
            session, enrolment, network=Network.X, url="https://x.com/lucasl77/status/9",
            text=INCITING, posted_at=T0, now=T0,
        )  # fmt: skip
        assert post.incitement_label == "incitement"
        inciting_code = session.get_one(Link, post.link_id).code
    settings = load_settings(secret_key=TEST_SECRET, database_url=test_db.url, data_dir=tmp_path)
    worker = ClickWorker(
        test_db.db, default_validator(settings), LedgerBiller(), secret_key=TEST_SECRET, clock=None
    )
    lines = _clicks(inciting_code, "inc", 6) + _clicks("bviabRurGt", "ok", 4)
    summary = ingest(test_db.db, lines, worker)
    assert summary.validated == 10
    with test_db.db.session() as session:
        incited = session.scalars(select(Click).where(Click.code == inciting_code)).all()
        assert len(incited) == 6
        assert {c.verdict for c in incited} == {"invalid"}
        assert all("incited" in c.reasons for c in incited)
        assert all(c.amount_minor == 0 and c.billing == "unbilled" for c in incited)
        # the ledger holds nothing for them
        billed = session.scalar(
            select(func.count(ClickPosting.click_id)).where(
                ClickPosting.click_id.in_([c.click_id for c in incited]),
                ClickPosting.state.in_(["pending", "available", "paid"]),
            )
        )
        assert billed == 0
        # the moderation record shows why, in the influencer's language
        assessment = session.scalars(
            select(PostAssessment).where(PostAssessment.post_id == post.id)
        ).one()
        assert assessment.source == "model"
        assert assessment.language == "fr"
        assert any("clic" in str(e.get("text", "")).lower() for e in assessment.evidence)
        violation = session.scalars(select(Violation)).one()
        assert violation.post_id == post.id
        assert session.get_one(Influencer, lucas.id).trust_score < 100
        # the legitimate sponsored post ("#Publicité") is not flagged and is paid
        sponsored = session.scalars(
            select(Post).where(Post.url == "https://x.com/lucasl77/status/1")
        ).one()
        assert sponsored.incitement_label == "ok"
        paid = session.scalars(select(Click).where(Click.code == "bviabRurGt")).all()
        assert {c.verdict for c in paid} == {"valid"}
        assert all(c.billing == "billed" and c.amount_minor > 0 for c in paid)


def test_post_under_review_holds_its_clicks_until_a_decision(
    test_db: TestDb, tmp_path: Path
) -> None:
    load_world(test_db.db)
    with test_db.db.session() as session:
        lucas = session.scalars(select(Influencer).where(Influencer.key == "lucasl77")).one()
        enrolment = session.scalars(
            select(Enrolment).where(Enrolment.influencer_id == lucas.id)
        ).one()
        post = declare_and_assess(
            session, enrolment, network=Network.X, url="https://x.com/lucasl77/status/10",
            text="Passez voir mon lien, ça m aide beaucoup en ce moment", posted_at=T0, now=T0,
        )  # fmt: skip
        assert post.incitement_label == "review"
        code = session.get_one(Link, post.link_id).code
        post_id = post.id
    settings = load_settings(secret_key=TEST_SECRET, database_url=test_db.url, data_dir=tmp_path)
    worker = ClickWorker(
        test_db.db, default_validator(settings), LedgerBiller(), secret_key=TEST_SECRET, clock=None
    )
    ingest(test_db.db, _clicks(code, "rev", 3), worker)
    with test_db.db.session() as session:
        held = session.scalars(select(Click).where(Click.post_id == post_id)).all()
        assert [(c.verdict, c.billing, c.unbilled_cause) for c in held] == [
            ("valid", "unbilled", "held_for_review")
        ] * 3
        case = session.scalars(
            select(ModerationCase).where(ModerationCase.post_id == post_id)
        ).one()
        admin = session.scalars(select(User).where(User.role == "admin")).one()
        decide_case(
            session, case, "ok", moderator_id=admin.id, note="asks to read the guide", now=T0
        )
    with test_db.db.session() as session:
        released = session.scalars(select(Click).where(Click.post_id == post_id)).all()
        assert {c.billing for c in released} == {"billed"}
        assert all(c.amount_minor > 0 for c in released)
        case = session.scalars(
            select(ModerationCase).where(ModerationCase.post_id == post_id)
        ).one()
        assert (case.status, case.decision, case.note) == (
            "decided",
            "ok",
            "asks to read the guide",
        )


def test_an_edited_post_is_judged_again(sqlite_db: TestDb) -> None:
    from fairclick.moderation.service import edit_post

    load_world(sqlite_db.db)
    with sqlite_db.db.session() as session:
        post = session.scalars(
            select(Post).where(Post.url == "https://x.com/lucasl77/status/1")
        ).one()
        assert post.incitement_label == "ok"
        assert not edit_post(session, post, text=post.text, now=T0)
        assert edit_post(session, post, text=INCITING, now=T0)
        assert post.incitement_label == "incitement"
        judged = session.scalars(
            select(PostAssessment).where(PostAssessment.post_id == post.id)
        ).all()
        assert [a.label for a in judged] == ["ok", "incitement"]
