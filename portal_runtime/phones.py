"""Phone numbers read with the phonenumbers library, the one way every service
does it: E.164 to store and compare, the national format to show."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class ParsedPhone:
    e164: str  # +32470123456
    national: str  # 0470 12 34 56


def parse_phone(raw: str, region: str) -> ParsedPhone | None:
    """A valid number in any usual spelling, numbers without a country code read
    in `region` (ISO 3166 code); None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return ParsedPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
    )
