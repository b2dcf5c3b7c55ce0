"""What calls cost: a prices file, and a duration range priced.

A prices file is CSV with a header, one price a row:

    prefix,price_per_minute,increment_seconds,currency
    +30,0.020,60,EUR
    +3069,0.050,30,EUR

`prefix` is an E.164 prefix ("+" and 1 to 15 digits); a number is priced
by the longest prefix it starts with. `increment_seconds` is the billing
step: a call is billed ceil(seconds / increment) increments, each
increment / 60 of `price_per_minute`. A call of 0 seconds (not answered)
costs nothing. `currency` is optional (one for the whole file, or blank).
Blank lines and lines starting with "#" are skipped. Money is Decimal.

Used by menus' timing (a path's cost) and by a campaign's dry run
(`estimate_campaign`); it imports nothing from the subpackages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable

from .errors import DialplanError

HEADER = ("prefix", "price_per_minute", "increment_seconds")
OPTIONAL = ("currency",)
PREFIX = re.compile(r"\+[0-9]{1,15}")
CURRENCY = re.compile(r"[A-Z]{3}")
#: An unpriced country's region code (not a number phonenumbers can place).
UNKNOWN_REGION = "ZZ"


class PriceError(ValueError):
    """A prices file that cannot be read: where (`path`, `line`, `column`,
    1-based) and why. str() is "path:line:column: message"."""

    def __init__(self, message: str, path: str, line: int, column: int) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.message, self.path, self.line, self.column = message, path, line, column


@dataclass(frozen=True)
class Price:
    prefix: str
    per_minute: Decimal
    increment: int
    currency: str | None = None
    #: Where it was read (line of the prices file).
    line: int = 0

    def cost(self, seconds: float) -> Decimal:
        """A call of `seconds`, billed: ceil(seconds / increment) increments."""
        return call_cost(seconds, self)


@dataclass(frozen=True)
class Prices:
    """The prices of a file, by prefix."""
    by_prefix: dict[str, Price]
    path: str = "<prices>"

    def find(self, number: str) -> Price | None:
        """The price of `number` (E.164; spaces and dashes ignored, a
        missing "+" assumed): its longest prefix's, or None."""
        digits = normalize(number)
        for end in range(len(digits), 1, -1):
            price = self.by_prefix.get(digits[:end])
            if price is not None:
                return price
        return None

    @property
    def currency(self) -> str | None:
        found = {p.currency for p in self.by_prefix.values() if p.currency}
        return found.pop() if len(found) == 1 else None


def normalize(number: str) -> str:
    text = re.sub(r"[\s\-().]", "", str(number))
    return text if text.startswith("+") else "+" + text


def load_prices(path: str | Path) -> Prices:
    """The prices file at `path` (PriceError when a row is wrong; OSError
    when it cannot be read)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise PriceError("not UTF-8 text", str(path), line, column) from None
    return parse_prices(text, str(path))


class PricesUnusable(DialplanError):
    """A prices file a command cannot use: str() is the one line to show
    ("path:line:column: why; help: …", or why it cannot be read)."""


def read_prices(path: str | Path) -> Prices:
    """`load_prices`, every problem a PricesUnusable saying how to fix it."""
    try:
        return load_prices(path)
    except PriceError as error:
        raise PricesUnusable(f"{error}; help: the header is {','.join(HEADER)}[,currency], "
                             "one E.164 prefix a row") from None
    except OSError as error:
        raise PricesUnusable(f"cannot read {path}: {error.strerror}") from None


def parse_prices(text: str, path: str = "<prices>") -> Prices:
    """A prices file's text (see the module's docstring)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    header: tuple[str, ...] | None = None
    prices: dict[str, Price] = {}
    currencies: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _fields(line)
        if header is None:
            names = tuple(name.lower() for name, _ in fields)
            if names[:3] != HEADER or names[3:] not in ((), OPTIONAL):
                raise PriceError(f"the header must be {','.join(HEADER)}[,currency], "
                                 f"not {line.strip()!r}", path, number, 1)
            header = names
            continue
        if len(fields) != len(header):
            column = fields[len(header)][1] if len(fields) > len(header) else len(line) + 1
            raise PriceError(f"{len(header)} fields expected ({','.join(header)}), "
                             f"found {len(fields)}", path, number, column)
        (prefix, c1), (per_minute, c2), (increment, c3) = fields[:3]
        if not PREFIX.fullmatch(prefix):
            raise PriceError(f"{prefix!r} is not an E.164 prefix (+ and 1 to 15 digits)",
                             path, number, c1)
        if prefix in prices:
            raise PriceError(f"{prefix} is priced twice (first on line {prices[prefix].line})",
                             path, number, c1)
        try:
            price = Decimal(per_minute)
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or price < 0:
            raise PriceError(f"{per_minute!r} is not a price (a number, 0 or more)",
                             path, number, c2)
        if not increment.isdigit() or int(increment) < 1:
            raise PriceError(f"{increment!r} is not an increment (whole seconds, 1 or more)",
                             path, number, c3)
        currency = None
        if len(fields) > 3 and fields[3][0]:
            currency, c4 = fields[3]
            if not CURRENCY.fullmatch(currency):
                raise PriceError(f"{currency!r} is not a currency code (e.g. EUR)",
                                 path, number, c4)
            other = next((c for c in currencies if c != currency), None)
            if other is not None:
                raise PriceError(f"{currency} after {other} (line {currencies[other]}): "
                                 f"one currency a file", path, number, c4)
            currencies.setdefault(currency, number)
        prices[prefix] = Price(prefix, price, int(increment), currency, number)
    if header is None:
        raise PriceError(f"no header ({','.join(HEADER)}[,currency]) and no prices",
                         path, 1, 1)
    return Prices(prices, path)


def _fields(line: str) -> list[tuple[str, int]]:
    """The comma-separated fields of `line`, stripped, with the 1-based
    column each starts at."""
    found = []
    start = 0
    for part in line.split(","):
        stripped = part.strip()
        offset = len(part) - len(part.lstrip())
        found.append((stripped, start + offset + 1))
        start += len(part) + 1
    return found


def call_cost(seconds: float, price: Price) -> Decimal:
    """ceil(seconds / increment) * increment / 60 * price_per_minute; 0 for
    a call of 0 seconds. An infinite duration costs Decimal("Infinity")."""
    if seconds <= 0:
        return Decimal(0)
    if math.isinf(seconds):
        return Decimal("Infinity")
    exact = Decimal(repr(float(seconds)))
    increments = (exact / price.increment).to_integral_value(rounding=ROUND_CEILING)
    return increments * price.increment * price.per_minute / 60


def cost_range(duration: tuple[float, float], number: str,
               prices: Prices) -> tuple[Decimal, Decimal] | None:
    """What a call to `number` lasting `duration` (min, max seconds) costs,
    (min, max); None when no prefix prices it."""
    price = prices.find(number)
    if price is None:
        return None
    return call_cost(duration[0], price), call_cost(duration[1], price)


def region(number: str) -> str:
    """The number's region code ("GR", "CY"), UNKNOWN_REGION if unplaced."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(normalize(number), None)
    except phonenumbers.NumberParseException:
        return UNKNOWN_REGION
    return phonenumbers.region_code_for_number(parsed) or UNKNOWN_REGION


@dataclass
class CountryEstimate:
    calls: int = 0
    cost: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))

    def to_dict(self) -> dict:
        return {"calls": self.calls, "cost": {"min": str(self.cost[0]),
                                              "max": str(self.cost[1])}}


@dataclass
class CampaignEstimate:
    """A campaign's calls priced: totals, by region code, and the numbers
    that no prefix prices (counted in `calls`, not in the cost)."""
    calls: int
    cost: tuple[Decimal, Decimal]
    currency: str | None
    countries: dict[str, CountryEstimate]
    unpriced: list[str]
    #: Seconds to place every call at `rate` calls a second.
    placing_seconds: float
    #: The calls' total duration (min, max seconds).
    talk_seconds: tuple[float, float]
    rate: float = 1.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"calls": self.calls, "currency": self.currency,
                "cost": {"min": str(self.cost[0]), "max": str(self.cost[1])},
                "countries": {code: c.to_dict() for code, c in sorted(self.countries.items())},
                "unpriced": list(self.unpriced), "rate": self.rate,
                "placing_seconds": self.placing_seconds,
                "talk_seconds": {"min": _finite(self.talk_seconds[0]),
                                 "max": _finite(self.talk_seconds[1])}}


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def estimate_campaign(recipients: Iterable[str], duration: tuple[float, float],
                      prices: Prices, *, rate: float = 1.0) -> CampaignEstimate:
    """A campaign of one call to each of `recipients`, each lasting
    `duration` (min, max seconds), placed at `rate` calls a second."""
    if not (rate > 0 and math.isfinite(rate)):
        raise ValueError(f"rate must be a number of calls a second above 0, not {rate!r}")
    low_total = high_total = Decimal(0)
    countries: dict[str, CountryEstimate] = {}
    unpriced: list[str] = []
    calls = 0
    for number in recipients:
        calls += 1
        country = countries.setdefault(region(number), CountryEstimate())
        country.calls += 1
        costs = cost_range(duration, number, prices)
        if costs is None:
            unpriced.append(number)
            continue
        country.cost = (country.cost[0] + costs[0], country.cost[1] + costs[1])
        low_total += costs[0]
        high_total += costs[1]
    notes = [f"{len(unpriced)} numbers have no price"] if unpriced else []
    return CampaignEstimate(calls, (low_total, high_total), prices.currency, countries, unpriced,
                            calls / rate, (duration[0] * calls, duration[1] * calls), rate,
                            notes)
