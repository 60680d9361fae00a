"""Fixtures of the validation tests: a validator on the shipped data with in-memory state."""

from __future__ import annotations

import pytest

from fairclick.validation.engine import Validator
from fairclick.validation.enrich.ip import load_fallback_ranges
from fairclick.validation.enrich.ua import UaClassifier

from .clicks import SECRET


@pytest.fixture(scope="session")
def shared_data() -> tuple[object, UaClassifier]:
    """The shipped IP ranges and the built-in UA lists (what a fresh machine has)."""
    return load_fallback_ranges(), UaClassifier([])


@pytest.fixture
def validator(shared_data: tuple[object, UaClassifier]) -> Validator:
    """A validator with fresh in-memory state."""
    ranges, classifier = shared_data
    return Validator(secret_key=SECRET, ranges=ranges, classifier=classifier)  # type: ignore[arg-type]
