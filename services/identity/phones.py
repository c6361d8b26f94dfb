"""Adapter: phone numbers to E.164 with the phonenumbers library."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "FR"


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (`+33612345678`) or None when it is not a valid number. National
    numbers are read as French ones."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
