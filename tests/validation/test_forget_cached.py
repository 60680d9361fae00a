"""`Validator.forget_cached` drops pure caches only: what follows decides the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fairclick.audit.kept import give_back_memory
from fairclick.domain.click import ClickEvent
from fairclick.validation.context import ValidationContext
from fairclick.validation.engine import Validator

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
T0 = datetime(2025, 11, 17, 8, tzinfo=UTC)


def _clicks(first: int, n: int) -> list[ClickEvent]:
    # a few visitors coming back (duplicates, velocity), a crawler, a data-center address
    agents = [CHROME, CHROME, "curl/8.0", "Twitterbot/1.0"]
    ips = ["90.12.4.7", "90.12.4.8", "88.198.1.2", "2a01:cb00:1::7"]
    return [
        ClickEvent(
            click_id=f"c{k:06d}",
            ts=T0 + timedelta(seconds=7 * k),
            code=f"code{k % 3}",
            link_id=k % 3 + 1,
            campaign_id=1,
            ip=ips[k % 4],
            user_agent=agents[k % 4 if k % 5 else 0],
            method="GET",
        )
        for k in range(first, first + n)
    ]


@pytest.mark.parametrize("context", [ValidationContext(), ValidationContext.audit()])
def test_decisions_after_forgetting_the_caches_are_the_same(context: ValidationContext) -> None:
    kept, forgetful = Validator(secret_key="k" * 20), Validator(secret_key="k" * 20)
    first, second = _clicks(0, 40), _clicks(40, 40)
    assert kept.validate(first, context) == forgetful.validate(first, context)
    forgetful.forget_cached()
    give_back_memory()
    assert kept.validate(second, context) == forgetful.validate(second, context)
    assert forgetful._ip_cache  # filled again by the second batch
