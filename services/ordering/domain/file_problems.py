"""The problems of an order file, in full, for customers to fix them in a
spreadsheet: one row per problem, ``line;column;problem``.

The parser states each problem as a field violation (``line 12: email``, ``line
3`` for a line it cannot read, ``file`` for the file as a whole); an error status
carries only the first ones, so the whole list is also given as rows (by
``POST /v1/orders:check`` and a failed import's ``errors.csv``)."""

from __future__ import annotations

import re

from portal_runtime.errors import DomainError, FieldViolation

PROBLEM_HEADER = ("line", "column", "problem")
_LINE_FIELD = re.compile(r"^line (\d+)(?:: (.*))?$")


def problems_of(error: DomainError) -> list[FieldViolation]:
    """The error's field problems, or its message as a problem of the file."""
    return list(error.violations) or [FieldViolation("file", error.message)]


def problem_row(problem: FieldViolation) -> tuple[int | str, str, str]:
    """(line, column, problem): ``line 12: email`` -> (12, "email", ...); a
    problem of no line has an empty line and its field as the column."""
    match = _LINE_FIELD.match(problem.field)
    if match is None:
        return "", problem.field, problem.description
    return int(match.group(1)), match.group(2) or "", problem.description
