"""Words shown for stable codes (reasons, statuses, labels), marked for translation.

The English texts of reasons are `fairclick.domain.reasons.REASON_MEANINGS`; they are repeated
here as literals only so that the extractor finds them (a test checks they stay identical).
"""

from __future__ import annotations

from fairclick.domain.reasons import Reason
from fairclick.web.i18n import N_
from fairclick.web.i18n import gettext_ as _

REASONS: dict[str, str] = {
    "known_crawler": N_("The visitor was a declared bot, crawler, spider or monitor."),
    "link_preview": N_("A social network or messenger fetched the link to build a preview; no person clicked."),
    "prefetch": N_("The browser prefetched or prerendered the link; nobody clicked it."),
    "non_browser": N_("The request came from a script or tool, not a web browser."),
    "datacenter": N_("The request came from a hosting, cloud or proxy network, not a person's connection."),
    "duplicate": N_("The same visitor had already clicked this link within the campaign's dedupe window."),
    "automation": N_("The browser was driven by automation (headless or webdriver) or lied about itself."),
    "velocity": N_("One visitor, address or network clicked faster than a person does."),
    "burst": N_("The link's traffic spiked in a way that organic sharing does not explain."),
    "click_farm": N_("The click belongs to traffic concentrated on few networks or devices across many links."),
    "click_ring": N_("The visitor belongs to a group that clicks many influencers' links: a click exchange."),
    "incited": N_("The click came through a post that asks people to click for the influencer's sake."),
    "self_click": N_("The influencer clicked their own link."),
    "low_engagement": N_("The landing page never confirmed a human visit."),
}  # fmt: skip

STATUSES: dict[str, str] = {
    "draft": N_("draft"),
    "active": N_("active"),
    "paused": N_("paused"),
    "ended": N_("ended"),
    "pending": N_("pending"),
    "suspended": N_("suspended"),
    "invited": N_("invited"),
    "applied": N_("applied"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "valid": N_("valid"),
    "invalid": N_("invalid"),
    "billed": N_("billed"),
    "unbilled": N_("unbilled"),
    "open": N_("open"),
    "on_approval": N_("on approval"),
    "invite_only": N_("by invitation only"),
    "strict": N_("strict"),
    "standard": N_("standard"),
    "lenient": N_("lenient"),
    "incitement": N_("incitement"),
    "ok": N_("ok"),
    "review": N_("needs review"),
    "budget_exhausted": N_("budget exhausted"),
    "daily_cap": N_("daily cap reached"),
    "influencer_cap": N_("influencer cap reached"),
    "campaign_inactive": N_("campaign inactive"),
    "geo_not_targeted": N_("country not targeted"),
    "held_for_review": N_("held for review"),
}


ACTIONS: dict[str, str] = {
    "active": N_("Activate"),
    "paused": N_("Pause"),
    "ended": N_("End the campaign"),
}


def status_action(code: str) -> str:
    """The button text that moves a campaign to status `code`."""
    return _(ACTIONS[code]) if code in ACTIONS else code


def reason_text(code: str) -> str:
    """The reason's meaning in plain words, in the request's language."""
    try:
        return _(REASONS[Reason(code).value])
    except (ValueError, KeyError):
        return code


def status_text(code: str | None) -> str:
    """A status or label code in the request's language (unknown codes as they are)."""
    if not code:
        return ""
    return _(STATUSES[code]) if code in STATUSES else code
