"""Fleet's phone numbers (outside the domain, which is plain Python): read by
`portal_runtime.phones`, E.164 for storage, the national format for display."""

from __future__ import annotations

from portal_runtime.phones import parse_phone
from services.fleet.domain.lines import PhoneNumber

# Numbers typed without a country code are Belgian (the fleet's operator).
DEFAULT_REGION = "BE"


def parse_number(raw: str, region: str = DEFAULT_REGION) -> PhoneNumber | None:
    """A valid number in any usual spelling (`0470 12 34 56`, `+32 470 12 34 56`,
    `0032470123456`), or None."""
    text = raw.strip()
    if not text or len(text) > 32:
        return None
    parsed = parse_phone(text, region)
    return PhoneNumber(e164=parsed.e164, national=parsed.national) if parsed else None
