"""The order file's cells: amounts, dates, yes/no, and the characters no cell
may hold. Plain functions, shared by the order file and the card-usage file."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from portal_runtime.dates import parse_iso_date

TRUE_WORDS = frozenset({"yes", "oui", "1", "true", "y", "o", "x"})
FALSE_WORDS = frozenset({"no", "non", "0", "false", "n", ""})
_AMOUNT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_FR_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# C0 and C1 control characters (NUL, ESC, tab, CR, LF...) and the Unicode line
# breaks: every column holds one line of text, and PostgreSQL refuses NUL.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_CHARACTERS = "must not contain control characters"


def parse_amount_cents(raw: str) -> tuple[int | None, str | None]:
    """Euros (``50``, ``50,00``, ``50.5``, ``1 000,00 €``) as exact integer cents."""
    text = _SPACES.sub("", raw).removesuffix("€").removeprefix("€")
    if not text:
        return None, "is required"
    if not _AMOUNT.match(text):
        return None, "is not a number (e.g. 50 or 50,00)"
    try:
        cents = Decimal(text.replace(",", ".")) * 100
    except InvalidOperation:  # pragma: no cover - the pattern excludes it
        return None, "is not a number (e.g. 50 or 50,00)"
    if cents != cents.to_integral_value():
        return None, "has more than 2 decimals"
    return int(cents), None


def parse_file_date(raw: str) -> str | None:
    """``YYYY-MM-DD`` (or ``DD/MM/YYYY`` as Excel writes it in France) as ISO, or None."""
    match = _FR_DATE.match(raw)
    if match:
        raw = f"{match.group(3)}-{match.group(2)}-{match.group(1)}"
    day = parse_iso_date(raw)
    return day.isoformat() if day else None
