"""The one money rule: VAT per rate rounded half-up, amounts' bounds and currency."""

from __future__ import annotations

import pytest

from portal_runtime.money import (
    MAX_OPERATION_CENTS,
    amount_problem,
    currency_problem,
    format_amount,
    format_euros,
    totals_by_rate,
    vat_cents,
)


@pytest.mark.parametrize(
    ("base", "rate", "vat"),
    [(1_000, 2000, 200), (25, 2000, 5), (2, 2500, 1), (-25, 2000, -5), (7, 550, 0), (10, 550, 1)],
)
def test_vat_is_rounded_half_up_away_from_zero(base: int, rate: int, vat: int) -> None:
    assert vat_cents(base, rate) == vat


def test_totals_round_once_per_rate() -> None:
    # Three lines of 0.25 at 20 %: 0.05 VAT each would make 0.15; on their sum, 0.15.
    # Three lines of 0.03 at 5.5 %: 0 each, 0.00495 -> 0 on the sum too; 0.10 -> 0.01.
    totals = totals_by_rate([(25, 2000), (25, 2000), (25, 2000), (10, 550), (0, 0)])
    assert totals.base_by_rate == ((0, 0), (550, 10), (2000, 75))
    assert totals.tax_by_rate == ((0, 0), (550, 1), (2000, 15))
    assert (totals.excl_cents, totals.tax_cents, totals.incl_cents) == (85, 16, 101)


def test_amount_bounds() -> None:
    assert amount_problem(1) is None
    assert amount_problem(MAX_OPERATION_CENTS) is None
    assert amount_problem(0) == "must be greater than 0 cents"
    assert amount_problem(-5) == "must be greater than 0 cents"
    too_much = f"must be at most {MAX_OPERATION_CENTS} cents (100 000 000,00 €)"
    assert amount_problem(MAX_OPERATION_CENTS + 1) == too_much
    assert amount_problem(2**63 - 1) == too_much


def test_currency() -> None:
    assert currency_problem("") is None
    assert currency_problem("eur") is None
    assert currency_problem(" EUR ") is None
    assert currency_problem("USD") == "must be EUR: amounts here are in EUR, not USD"


def test_formats() -> None:
    assert format_euros(123456789) == "1 234 567,89 €"
    assert format_euros(-5, "en") == "-€0.05"
    assert format_amount(123456) == "1234,56"
    assert format_amount(-1, ".") == "-0.01"
