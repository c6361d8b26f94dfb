from __future__ import annotations

import pytest

from portal_runtime.errors import InvalidArgument
from services.ordering.domain.references import (
    is_valid_rf,
    order_number,
    rf_reference,
    transfer_reference,
)

# Published ISO 11649 examples (the standard's and the EPC's).
KNOWN_VALID = [
    "RF18539007547034",
    "RF18 5390 0754 7034",
    "RF18000000000539007547034",
    "RF712348231",
    "RF45G72UUR",
    "RF6518K5",
]


@pytest.mark.parametrize("reference", KNOWN_VALID)
def test_known_references_are_valid(reference: str) -> None:
    assert is_valid_rf(reference)


@pytest.mark.parametrize(
    "reference",
    # "RF71A" (quoted as an example in the brief) fails mod 97: RF25A is the valid one.
    ["RF71A", "RF19539007547034", "RF18539007547035", "XX18539007547034", "RF1", "RF18", ""],
)
def test_altered_references_are_invalid(reference: str) -> None:
    assert not is_valid_rf(reference)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("539007547034", "RF18539007547034"),
        ("2348231", "RF712348231"),
        ("g72u ur", "RF45G72UUR"),
        ("18K5", "RF6518K5"),
        ("A", "RF25A"),
    ],
)
def test_rf_reference_computes_known_check_digits(body: str, expected: str) -> None:
    assert rf_reference(body) == expected
    assert is_valid_rf(expected)


@pytest.mark.parametrize("body", ["", "A" * 22, "AB/12", "É1"])
def test_rf_body_must_be_1_to_21_alphanumerics(body: str) -> None:
    with pytest.raises(InvalidArgument):
        rf_reference(body)


def test_order_number_format() -> None:
    assert order_number(2026, 123) == "CMD-2026-000123"
    assert order_number(2026, 999_999) == "CMD-2026-999999"
    for bad in (0, 1_000_000):
        with pytest.raises(InvalidArgument):
            order_number(2026, bad)


def test_transfer_reference_from_order_number() -> None:
    reference = transfer_reference("CMD-2026-000123")
    assert reference.endswith("2026000123")
    assert is_valid_rf(reference)
    with pytest.raises(InvalidArgument):
        transfer_reference("PTL-1")
