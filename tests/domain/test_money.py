from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairclick.domain.money import Money, MoneyError, check_currency


def test_parse_major_units_exactly() -> None:
    assert Money.parse("0.35", "eur") == Money(35, "EUR")
    assert Money.parse("12,50", "EUR").minor == 1250
    assert Money.parse("500", "JPY").minor == 500
    assert Money(1234, "EUR").format() == "12.34 EUR"


@pytest.mark.parametrize("bad", ["0.355", "abc", ""])
def test_parse_refuses_sub_unit_or_garbage(bad: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(bad, "EUR")


def test_unknown_currency_and_floats_are_refused() -> None:
    with pytest.raises(MoneyError, match="unknown currency"):
        check_currency("EURO")
    with pytest.raises(MoneyError):
        Money(0.35, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="cannot combine"):
        Money(1, "EUR") + Money(1, "USD")


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12))
def test_addition_is_exact(a: int, b: int) -> None:
    assert (Money(a, "EUR") + Money(b, "EUR")).minor == a + b
    assert (Money(a, "EUR") - Money(b, "EUR") + Money(b, "EUR")).minor == a


@given(st.integers(0, 10**9), st.integers(0, 500))
def test_percent_rounds_half_even_to_the_minor_unit(amount: int, percent: int) -> None:
    exact = Decimal(amount) * percent / 100
    got = Money(amount, "EUR").percent(percent).minor
    assert abs(Decimal(got) - exact) <= Decimal("0.5")
