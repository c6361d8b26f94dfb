"""The bank's CSV files (statements, direct-debit returns), read one way:
``;`` or ``,`` separated (whichever the first line uses more), UTF-8 with or
without BOM, else Latin-1, blank lines skipped, an optional header row."""

from __future__ import annotations

import csv
import io

from portal_runtime.errors import InvalidArgument

BOM = b"\xef\xbb\xbf"


def _decode(data: bytes) -> str:
    if data.startswith(BOM):
        return data[len(BOM) :].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _separator(first_line: str) -> str:
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def csv_rows(data: bytes, header: str) -> list[tuple[int, list[str]]]:
    """Every non-blank row with its line number, the file's first line left out
    when its first cell is `header` (any case); InvalidArgument EMPTY_FILE when
    the file holds nothing."""
    lines = _decode(data).splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise InvalidArgument.for_field("file", "is empty", reason="EMPTY_FILE")
    separator = _separator(first)
    rows: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        cells = next(csv.reader(io.StringIO(raw), delimiter=separator))
        if number == 1 and [cell.strip().lower() for cell in cells[:1]] == [header]:
            continue
        rows.append((number, cells))
    return rows
