"""Money as integer minor units with an ISO 4217 currency: never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 currencies the platform accepts, with their minor-unit exponent.
CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "BRL": 2,
    "MXN": 2, "INR": 2, "CNY": 2, "HKD": 2, "SGD": 2, "ZAR": 2, "TRY": 2, "MAD": 2,
    "XOF": 0, "XAF": 0, "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "TND": 3, "KWD": 3,
}  # fmt: skip


class MoneyError(ValueError):
    """Raised for an unknown currency, a non-integer amount or a currency mismatch."""


def check_currency(code: str) -> str:
    """Return the upper-cased ISO 4217 code, or raise `MoneyError` for an unknown one."""
    normalised = code.strip().upper()
    if normalised not in CURRENCY_EXPONENTS:
        raise MoneyError(f"unknown currency {code!r} (expected an ISO 4217 code such as EUR)")
    return normalised


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (cents for EUR) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyError(f"money must be an integer number of minor units, got {self.minor!r}")
        object.__setattr__(self, "currency", check_currency(self.currency))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def percent(self, percent: int | Decimal) -> Money:
        """This amount times `percent`/100, rounded half-even to the minor unit."""
        value = (Decimal(self.minor) * Decimal(percent) / Decimal(100)).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN
        )
        return Money(int(value), self.currency)

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    def to_decimal(self) -> Decimal:
        """The amount in major units, exactly (for display and exports only)."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def format(self) -> str:
        """A plain display form such as `12.35 EUR`."""
        return f"{self.to_decimal():.{self.exponent}f} {self.currency}"

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a major-unit string such as `0.35` into minor units, refusing sub-unit precision."""
        cur = check_currency(currency)
        try:
            value = Decimal(text.strip().replace(",", "."))
        except Exception as exc:  # decimal.InvalidOperation and friends
            raise MoneyError(f"not an amount: {text!r}") from exc
        minor = value.scaleb(CURRENCY_EXPONENTS[cur])
        if minor != minor.to_integral_value():
            raise MoneyError(f"{text!r} has more precision than {cur} allows")
        return cls(int(minor), cur)
