"""How operators' CSV files (fleet's lines and usage, assets' parks and
car-park exits...) are read, the same way everywhere (stdlib only: domain code
may use it): UTF-8 with or without a BOM (else Windows-1252), `;` or `,` told
from the header, header names in any case, spacing or accents, each row with
the line it starts on (a quoted cell may span lines), and a row the csv module
cannot read named, not crashed on."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

from portal_runtime.errors import InvalidArgument, Violations


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def separator_of(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") >= header.count(",") else ","


def header_key(raw: str) -> str:
    """`Numéro client` -> `numeroclient`: letters only, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", raw)
    return "".join(ch for ch in decomposed.casefold() if ch.isascii() and ch.isalpha())


def file_error(description: str, reason: str) -> InvalidArgument:
    return InvalidArgument.for_field("file", description, reason=reason)


def rows(
    text: str, separator: str, problems: Violations, invalid_reason: str
) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells). A row the csv module cannot read (a
    cell over its 128 KiB limit...) ends the file: it is named after the
    problems found so far."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(
                f"line {start}", f"cannot be read as CSV ({exc}); nothing after it was read"
            )
            problems.raise_if_any(invalid_reason)
        yield start, row
        start = reader.line_num + 1


def header_positions(
    cells: list[str],
    aliases: Mapping[str, str],
    required: Iterable[str],
    problems: Violations,
) -> dict[str, int]:
    """Where each column is (by JSON name); a missing required one is a problem
    of line 1."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = aliases.get(header_key(cell))
        if name and name not in positions:
            positions[name] = index
    for name in required:
        if name not in positions:
            problems.add("line 1: header", f"needs a '{name}' column")
    return positions


def open_table(
    data: bytes,
    *,
    kind: str,
    max_bytes: int,
    aliases: Mapping[str, str],
    required: Iterable[str],
    problems: Violations,
) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    """The header's column positions and the rows after it, or the file's one
    problem (`<kind>_TOO_LARGE`, `<kind>_EMPTY`, `<kind>_INVALID` for the header)."""
    if len(data) > max_bytes:
        raise file_error(f"is larger than {max_bytes} bytes: split it", f"{kind}_TOO_LARGE")
    text = decode(data)
    if not text.strip():
        raise file_error("is empty: it needs a header line and lines", f"{kind}_EMPTY")
    table = rows(text, separator_of(text), problems, f"{kind}_INVALID")
    _, header = next(table)
    positions = header_positions(header, aliases, required, problems)
    problems.raise_if_any(f"{kind}_INVALID")
    return positions, table
