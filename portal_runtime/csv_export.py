"""CSV exports that are safe to open in a spreadsheet.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as
a formula by Excel and LibreOffice (CSV injection, OWASP); such cells are
prefixed with a `'` so they show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, separator: str = ";"
) -> bytes:
    """UTF-8 with a BOM (Excel opens accents right), `;` by default (French
    locales read `,` as the decimal mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
