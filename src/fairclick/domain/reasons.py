"""The closed sets of verdicts, reason codes and billing causes (DESIGN.md contracts)."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """Every click ends valid or invalid."""

    VALID = "valid"
    INVALID = "invalid"


class IvtClass(StrEnum):
    """MRC invalid-traffic classes: general (GIVT) and sophisticated (SIVT)."""

    GIVT = "GIVT"
    SIVT = "SIVT"


class Reason(StrEnum):
    """Why a click is invalid. Stable codes: exports, reports and tests depend on them."""

    KNOWN_CRAWLER = "known_crawler"
    LINK_PREVIEW = "link_preview"
    PREFETCH = "prefetch"
    NON_BROWSER = "non_browser"
    DATACENTER = "datacenter"
    DUPLICATE = "duplicate"
    AUTOMATION = "automation"
    VELOCITY = "velocity"
    BURST = "burst"
    CLICK_FARM = "click_farm"
    CLICK_RING = "click_ring"
    INCITED = "incited"
    SELF_CLICK = "self_click"
    LOW_ENGAGEMENT = "low_engagement"

    @property
    def ivt_class(self) -> IvtClass:
        return IvtClass.GIVT if self in _GIVT else IvtClass.SIVT

    @property
    def meaning(self) -> str:
        """One sentence in plain words, for influencers and advertisers."""
        return REASON_MEANINGS[self]


_GIVT = frozenset(
    {
        Reason.KNOWN_CRAWLER,
        Reason.LINK_PREVIEW,
        Reason.PREFETCH,
        Reason.NON_BROWSER,
        Reason.DATACENTER,
        Reason.DUPLICATE,
    }
)

REASON_MEANINGS: dict[Reason, str] = {
    Reason.KNOWN_CRAWLER: "The visitor was a declared bot, crawler, spider or monitor.",
    Reason.LINK_PREVIEW: "A social network or messenger fetched the link to build a preview; no person clicked.",
    Reason.PREFETCH: "The browser prefetched or prerendered the link; nobody clicked it.",
    Reason.NON_BROWSER: "The request came from a script or tool, not a web browser.",
    Reason.DATACENTER: "The request came from a hosting, cloud or proxy network, not a person's connection.",
    Reason.DUPLICATE: "The same visitor had already clicked this link within the campaign's dedupe window.",
    Reason.AUTOMATION: "The browser was driven by automation (headless or webdriver) or lied about itself.",
    Reason.VELOCITY: "One visitor, address or network clicked faster than a person does.",
    Reason.BURST: "The link's traffic spiked in a way that organic sharing does not explain.",
    Reason.CLICK_FARM: "The click belongs to traffic concentrated on few networks or devices across many links.",
    Reason.CLICK_RING: "The visitor belongs to a group that clicks many influencers' links: a click exchange.",
    Reason.INCITED: "The click came through a post that asks people to click for the influencer's sake.",
    Reason.SELF_CLICK: "The influencer clicked their own link.",
    Reason.LOW_ENGAGEMENT: "The landing page never confirmed a human visit.",
}


class Billing(StrEnum):
    """Billing status of a click, separate from its verdict."""

    BILLED = "billed"
    UNBILLED = "unbilled"
    PENDING = "pending"  # not yet posted by the ledger (or held for moderation)


class UnbilledCause(StrEnum):
    """Why a valid click was not billed."""

    BUDGET_EXHAUSTED = "budget_exhausted"
    DAILY_CAP = "daily_cap"
    INFLUENCER_CAP = "influencer_cap"
    CAMPAIGN_INACTIVE = "campaign_inactive"
    GEO_NOT_TARGETED = "geo_not_targeted"
    INVALID = "invalid"  # an invalid click is never billed
    HELD_FOR_REVIEW = "held_for_review"
