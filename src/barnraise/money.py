"""Money: integer minor units plus an ISO 4217 code, immutable, never a float.

Precision and formatting come from babel's currency data (JPY has 0 decimals, KWD 3). Rounding
of derived amounts (percentages, fees) happens in `round_minor` and nowhere else.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

from barnraise.errors import InvalidInput


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_decimals(currency: str) -> int:
    return int(get_currency_precision(currency))


def check_currency(currency: str, field: str = "currency") -> str:
    code = currency.upper()
    if code not in known_currencies():
        raise InvalidInput(details={field: [f"{currency!r} is not an ISO 4217 currency code."]})
    return code


def round_minor(value: Decimal) -> int:
    """The one place where a fractional amount of minor units becomes whole (banker's rounding)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("amount_minor must be an int")
        if self.currency not in known_currencies():
            raise ValueError(f"unknown currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} with {getattr(other, 'currency', other)}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def times(self, factor: Decimal | int) -> "Money":
        return Money(round_minor(Decimal(self.amount_minor) * Decimal(factor)), self.currency)

    def percent(self, rate: Decimal) -> "Money":
        """`rate` percent of this amount, e.g. Decimal("12.5")."""
        return self.times(Decimal(rate) / Decimal(100))

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-currency_decimals(self.currency))

    def format(self, locale: str = "en") -> str:
        return format_currency(self.decimal, self.currency, locale=Locale.parse(locale))

    def as_json(self, locale: str = "en") -> dict[str, object]:
        return {
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "formatted": self.format(locale),
        }
