"""Order numbers and transfer references.

A transfer reference is an RF creditor reference (ISO 11649): ``RF`` + two check
digits + up to 21 letters or digits, checked with ISO 7064 mod 97-10 like an IBAN,
so a mistyped reference is caught by the bank or by us."""

from __future__ import annotations

import re

from portal_runtime.errors import InvalidArgument

ORDER_NUMBER_PREFIX = "CMD"
MAX_SEQUENCE = 999_999
_RF_BODY = re.compile(r"^[A-Z0-9]{1,21}$")
_ORDER_NUMBER = re.compile(r"^CMD-(\d{4})-(\d{6})$")


def order_number(year: int, sequence: int) -> str:
    """``CMD-<year>-<6 digits>`` from the entity-wide (or global) sequence number."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise InvalidArgument.for_field(
            "sequence", f"must be between 1 and {MAX_SEQUENCE}", reason="ORDER_SEQUENCE_EXHAUSTED"
        )
    if not 1000 <= year <= 9999:
        raise InvalidArgument.for_field("year", "must have four digits")
    return f"{ORDER_NUMBER_PREFIX}-{year:04d}-{sequence:06d}"


def _as_digits(text: str) -> str:
    """Letters become two digits (A=10 ... Z=35), digits stay."""
    return "".join(str(int(ch, 36)) for ch in text)


def _mod97(text: str) -> int:
    return int(_as_digits(text)) % 97


def rf_reference(body: str) -> str:
    """The RF creditor reference for `body` (letters and digits; spaces and dashes
    dropped, case ignored)."""
    clean = re.sub(r"[\s-]", "", body).upper()
    if not _RF_BODY.match(clean):
        raise InvalidArgument.for_field(
            "reference", "must be 1 to 21 letters or digits", reason="INVALID_REFERENCE"
        )
    check = 98 - _mod97(clean + "RF00")
    return f"RF{check:02d}{clean}"


def is_valid_rf(reference: str) -> bool:
    clean = reference.replace(" ", "").upper()
    if len(clean) < 5 or not clean.startswith("RF") or not clean[2:4].isdigit():
        return False
    body = clean[4:]
    if not _RF_BODY.match(body):
        return False
    return _mod97(body + clean[:4]) == 1


def transfer_reference(number: str) -> str:
    """The RF reference for an order number: ``CMD-2026-000123`` -> ``RFxx2026000123``."""
    match = _ORDER_NUMBER.match(number)
    if not match:
        raise InvalidArgument.for_field(
            "number", "is not an order number", reason="INVALID_ORDER_NUMBER"
        )
    return rf_reference(match.group(1) + match.group(2))
