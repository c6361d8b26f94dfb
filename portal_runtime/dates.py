"""Calendar-date parsing shared by the runtime's filters and domain rules.

Standard library only, so domain code may import it (the domain-purity test
allows it)."""

from __future__ import annotations

import re
from datetime import date

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(raw: str) -> date | None:
    """`YYYY-MM-DD` exactly (no blanks) as a date, or None when it is not a real
    calendar date."""
    if not _ISO_DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
