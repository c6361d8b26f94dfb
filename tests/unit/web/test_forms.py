"""The form helpers every area shares: euros typed by people, idempotency
keys, the problems of an imported file."""

from __future__ import annotations

import pytest

from web.forms import (
    IDEMPOTENCY_FIELD,
    Problem,
    file_problems,
    idempotency_header,
    new_idempotency_key,
    parse_euros,
    problem_rows,
)
from web.i18n import use_language


@pytest.fixture(autouse=True)
def english() -> None:
    use_language("en")


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("120,50", 12050),
        ("120.5", 12050),
        ("1 200", 120000),
        ("1\u202f200,05 €", 120005),  # as the French format prints it
        ("1\u00a0234,56", 123456),
        ("1,234.50", 123450),  # English grouping
        ("0,01", 1),
        ("999999999,99", 99999999999),
    ],
)
def test_euros_in_either_language_are_exact_cents(typed: str, cents: int) -> None:
    assert parse_euros(typed) == cents


def test_nothing_typed_is_none_unless_required() -> None:
    assert parse_euros("  ") is None
    with pytest.raises(ValueError, match=r"^Enter an amount\.$"):
        parse_euros("", required=True)


@pytest.mark.parametrize("typed", ["abc", "-5", "1.2.3", "12,", "1e3", "1234567890"])
def test_what_is_not_an_amount_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="Enter an amount in euros"):
        parse_euros(typed)


@pytest.mark.parametrize("typed", ["12,345", "12.345", "0,001"])
def test_a_fraction_of_a_cent_is_refused_never_read_as_thousands(typed: str) -> None:
    with pytest.raises(ValueError, match="At most two decimals"):
        parse_euros(typed)


def test_zero_only_where_allowed() -> None:
    with pytest.raises(ValueError, match="above zero"):
        parse_euros("0,00")
    assert parse_euros("0", zero=True) == 0


def test_the_reason_is_said_in_the_users_language() -> None:
    use_language("fr")
    with pytest.raises(ValueError, match="Saisissez un montant en euros"):
        parse_euros("douze")


def test_a_fresh_key_is_sent_once_per_form_and_nothing_foreign_is() -> None:
    key = new_idempotency_key()
    assert key != new_idempotency_key()
    assert idempotency_header(key) == {"Idempotency-Key": key}
    assert idempotency_header(key, "-pay") == {"Idempotency-Key": f"{key}-pay"}
    assert idempotency_header("") == {}
    assert idempotency_header("x\r\nSet-Cookie: a=b") == {}
    assert IDEMPOTENCY_FIELD == "idempotency_key"  # the name `idempotency_input` posts


def test_file_problems_by_line_and_for_the_whole_file() -> None:
    violations = {
        "line 12: email": ["is not a valid e-mail address"],
        "line 3": ["has 4 columns, 8 expected"],
        "header": ["is missing", "is wrong"],
    }
    rows, others = file_problems(violations, lambda column: column.upper())
    assert rows == [
        Problem("12", "EMAIL", "is not a valid e-mail address"),
        Problem("3", "", "has 4 columns, 8 expected"),
    ]
    assert others == {"header": "is missing; is wrong"}
    assert problem_rows(violations)[-1] == Problem("", "header", "is missing; is wrong")
