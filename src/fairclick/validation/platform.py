"""The platform's view for a batch: what the worker and `fairclick ingest` pass as context.

Reads (never writes) the campaigns' validation settings, the influencers' own sessions and the
posts judged inciting, for the campaigns and influencers of the batch only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.campaigns.models import Campaign
from fairclick.domain.click import ClickEvent
from fairclick.influencers.models import InfluencerSession
from fairclick.links.models import Post
from fairclick.validation.context import (
    CampaignPolicy,
    SelfClickEvidence,
    Strictness,
    ValidationContext,
)


def policy_of(campaign: Campaign) -> CampaignPolicy:
    """A campaign's validation policy; allow-list entries that parse as IP ranges are ranges,
    the others user-agent substrings."""
    cidrs, uas = [], []
    for entry in campaign.allow_list or []:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            uas.append(entry)
        else:
            cidrs.append(entry)
    return CampaignPolicy(
        dedupe_window=timedelta(hours=max(1, campaign.dedupe_window_hours or 24)),
        strictness=Strictness(campaign.strictness or Strictness.STANDARD),
        allow_cidrs=tuple(cidrs),
        allow_ua_substrings=tuple(uas),
        target_countries=frozenset(campaign.target_countries or ()),
    )


def platform_context(
    session: Session,
    clicks: Sequence[ClickEvent],
    *,
    batch_seq: int | None = None,
    headers_recorded: bool = True,
) -> ValidationContext:
    """The context for validating `clicks` on the platform (two or three small queries)."""
    campaign_ids = {c.campaign_id for c in clicks if c.campaign_id is not None}
    influencer_ids = {c.influencer_id for c in clicks if c.influencer_id is not None}
    post_ids = {c.post_id for c in clicks if c.post_id is not None}
    policies = {}
    if campaign_ids:
        for campaign in session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids))):
            policies[campaign.id] = policy_of(campaign)
    evidence: dict[int, tuple[set[str], set[str], set[tuple[str, str]]]] = {}
    if influencer_ids:
        rows = session.execute(
            select(
                InfluencerSession.influencer_id,
                InfluencerSession.visitor_id,
                InfluencerSession.ip_hash,
                InfluencerSession.ip_prefix,
                InfluencerSession.user_agent,
            ).where(InfluencerSession.influencer_id.in_(influencer_ids))
        )
        for influencer_id, visitor_id, hashed, prefix, ua in rows:
            visitors, hashes, devices = evidence.setdefault(influencer_id, (set(), set(), set()))
            if visitor_id:
                visitors.add(visitor_id)
            if hashed:
                hashes.add(hashed)
            if prefix and ua:
                devices.add((prefix, ua))
    incited: frozenset[int] = frozenset()
    if post_ids:
        incited = frozenset(
            session.scalars(
                select(Post.id).where(Post.id.in_(post_ids), Post.incitement_label == "incitement")
            )
        )
    return ValidationContext(
        platform=True,
        policies=policies,
        self_clicks={
            i: SelfClickEvidence(frozenset(v), frozenset(h), frozenset(d))
            for i, (v, h, d) in evidence.items()
        },
        incited_posts=incited,
        headers_recorded=headers_recorded,
        batch_seq=batch_seq,
    )
