"""Phone numbers read with `phonenumbers` (outside the domain, which is plain
Python): E.164 for storage, the national format for display."""

from __future__ import annotations

import phonenumbers

from services.fleet.domain.lines import PhoneNumber

# Numbers typed without a country code are Belgian (the fleet's operator).
DEFAULT_REGION = "BE"


def parse_number(raw: str, region: str = DEFAULT_REGION) -> PhoneNumber | None:
    """A valid number in any usual spelling (`0470 12 34 56`, `+32 470 12 34 56`,
    `0032470123456`), or None."""
    text = raw.strip()
    if not text or len(text) > 32:
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return PhoneNumber(
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
    )
