"""Money, rounding and VAT: the one rule every service computes amounts with.

Standard library only, so domain code may import it (the domain-purity test
allows it). Amounts are integer minor units (cents) of one currency; VAT rates are
integer basis points (2000 = 20 %). VAT is computed per rate on the sum of the
amounts at that rate and rounded half-up (away from zero) to the cent, with
`Decimal`, never float: an order's total and its invoice's are the same number
because both come from `totals_by_rate`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "EUR"
BASIS_POINTS_PER_UNIT = 10_000
# The largest amount one operation (a payment, a transfer, a document line or
# total) may carry: 100,000,000.00. No real customer payment comes near it, and
# refusing more keeps every sum far from integer limits.
MAX_OPERATION_CENTS = 10_000_000_000
_BP = Decimal(BASIS_POINTS_PER_UNIT)


# The VAT rates documents may carry (France: 0, 2.1, 5.5, 10 and 20 %), in
# basis points: whatever prices a charge (fleet options, order fees) uses one,
# so that billing can invoice it.
VAT_RATES_BP = frozenset({0, 210, 550, 1000, 2000})


def vat_rate_problem(rate_bp: int) -> str | None:
    """Why `rate_bp` cannot be invoiced, or None."""
    if rate_bp in VAT_RATES_BP:
        return None
    known = ", ".join(str(rate) for rate in sorted(VAT_RATES_BP))
    return f"must be one of {known} (basis points)"


def amount_problem(cents: int) -> str | None:
    """Why `cents` cannot be received or paid in one operation, or None."""
    if cents <= 0:
        return "must be greater than 0 cents"
    if cents > MAX_OPERATION_CENTS:
        return f"must be at most {MAX_OPERATION_CENTS} cents ({format_euros(MAX_OPERATION_CENTS)})"
    return None


def currency_problem(currency: str, expected: str = CURRENCY) -> str | None:
    """Why an amount in `currency` cannot be taken where amounts are in `expected`
    (an empty currency means `expected`), or None."""
    code = currency.strip().upper()
    if code and code != expected:
        return f"must be {expected}: amounts here are in {expected}, not {currency.strip()}"
    return None


def vat_cents(base_cents: int, rate_bp: int) -> int:
    """VAT on `base_cents` at `rate_bp`, rounded half-up (away from zero) to the cent."""
    exact = Decimal(base_cents) * Decimal(rate_bp) / _BP
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Totals:
    """What a set of amounts adds up to, VAT grouped per rate."""

    excl_cents: int
    tax_cents: int
    incl_cents: int
    tax_by_rate: tuple[tuple[int, int], ...]  # (rate in bp, VAT in cents), by rate
    base_by_rate: tuple[tuple[int, int], ...]  # (rate in bp, base excl. in cents), by rate


def totals_by_rate(amounts: Iterable[tuple[int, int]]) -> Totals:
    """Totals of `(amount excl. VAT in cents, VAT rate in bp)` pairs: bases summed
    per rate, VAT rounded once per rate (as an invoice shows it)."""
    bases: dict[int, int] = {}
    for base_cents, rate_bp in amounts:
        bases[rate_bp] = bases.get(rate_bp, 0) + base_cents
    taxes = {rate: vat_cents(base, rate) for rate, base in bases.items()}
    excl = sum(bases.values())
    tax = sum(taxes.values())
    return Totals(
        excl_cents=excl,
        tax_cents=tax,
        incl_cents=excl + tax,
        tax_by_rate=tuple(sorted(taxes.items())),
        base_by_rate=tuple(sorted(bases.items())),
    )


def format_amount(cents: int, decimal_mark: str = ",") -> str:
    """`-1234,50`: the amount in units with two decimals and no grouping, as a
    spreadsheet cell reads it."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}{decimal_mark}{rest:02d}"


def format_euros(cents: int, language: str = "fr") -> str:
    """1234 -> `12,34 €` (French) / `€12.34` (English); thousands grouped."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    if (language or "").strip().lower().replace("_", "-").split("-", 1)[0] == "en":
        return f"{sign}€{whole:,}.{rest:02d}"
    return f"{sign}{whole:,}".replace(",", " ") + f",{rest:02d} €"
