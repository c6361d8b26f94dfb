"""Adapter: account contacts' phone numbers to E.164 (`portal_runtime.phones`)."""

from __future__ import annotations

from portal_runtime.phones import parse_phone

DEFAULT_REGION = "FR"


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (`+33612345678`) or None when it is not a valid number. National
    numbers are read as French ones."""
    parsed = parse_phone(raw, region)
    return parsed.e164 if parsed else None
