"""Imports every capability's tables so that `Base.metadata` is complete (Alembic, tests).

A capability that adds tables adds its models module here.
"""

from fairclick.accounts import models as accounts
from fairclick.campaigns import models as campaigns
from fairclick.clicks import models as clicks
from fairclick.influencers import models as influencers
from fairclick.journal import models as journal
from fairclick.ledger import models as ledger
from fairclick.links import models as links
from fairclick.moderation import models as moderation
from fairclick.redirect import models as redirect
from fairclick.store.base import Base

__all__ = [
    "Base",
    "accounts",
    "campaigns",
    "clicks",
    "influencers",
    "journal",
    "ledger",
    "links",
    "moderation",
    "redirect",
]
