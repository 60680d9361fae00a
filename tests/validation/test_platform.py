"""The platform context built from a real database (the example world) drives the rules."""

from __future__ import annotations

from sqlalchemy import select, update

from fairclick.campaigns.models import Campaign
from fairclick.domain.reasons import Reason, Verdict
from fairclick.influencers.models import Influencer
from fairclick.links.models import Link, Post
from fairclick.validation.context import Strictness
from fairclick.validation.engine import Validator
from fairclick.validation.platform import platform_context
from tests.conftest import TestDb
from tests.factories import TEST_SECRET, load_world

from .clicks import FREE_IP, click


def test_context_from_the_example_world(sqlite_db: TestDb) -> None:
    load_world(sqlite_db.db)
    with sqlite_db.db.session() as session:
        lucas = session.scalar(select(Influencer).where(Influencer.key == "lucasl77"))
        assert lucas is not None
        link = session.scalar(select(Link).where(Link.influencer_id == lucas.id))
        assert link is not None
        session.execute(
            update(Campaign)
            .where(Campaign.id == link.campaign_id)
            .values(
                strictness="lenient",
                allow_list=["203.0.113.0/24", "vox-monitor"],
                dedupe_window_hours=6,
            )
        )
        post = session.scalar(select(Post).where(Post.influencer_id == lucas.id))
        assert post is not None
        post.incitement_label = "incitement"
        session.flush()
        own = click(
            0,
            link_id=link.id,
            campaign_id=link.campaign_id,
            influencer_id=lucas.id,
            visitor_id="v-lucas-iphone",
            post_id=None,
        )
        other = click(
            10,
            link_id=link.id,
            campaign_id=link.campaign_id,
            influencer_id=lucas.id,
            ip=FREE_IP,
            visitor_id="someone",
            post_id=post.id,
        )
        context = platform_context(session, [own, other], batch_seq=None)
        policy = context.policy_for(link.campaign_id)
        assert policy.strictness is Strictness.LENIENT
        assert policy.allow_cidrs == ("203.0.113.0/24",)
        assert policy.allow_ua_substrings == ("vox-monitor",)
        assert policy.dedupe_window.total_seconds() == 6 * 3600
        assert "v-lucas-iphone" in context.self_clicks[lucas.id].visitor_ids
        decisions = Validator(secret_key=TEST_SECRET).validate([own, other], context)
        assert decisions[0].reasons == (Reason.SELF_CLICK,)
        assert decisions[1].reasons == (Reason.INCITED,)
        assert decisions[1].verdict is Verdict.INVALID
        session.rollback()
