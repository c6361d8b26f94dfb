"""What the meal cards spent, per beneficiary and month, as operators import it
from the card processor (the meal-card guide's "statistiques d'utilisation
carte": loads say what was put on the cards, not what was used).

The usage file follows the order file's conventions (`order_file`): UTF-8 with
or without BOM (else Windows-1252), ``;`` or ``,`` told from the header, RFC 4180
cells, header names in any case, accents and spacing, blank lines skipped. Its
columns: "Employee number" or "Beneficiary id" (either or both; each line fills
at least one), "Month" (``YYYY-MM``, or ``MM/YYYY`` as French spreadsheets write
it) and "Amount spent" (euros, 0 allowed). Employee numbers are an account's
(the import names the account); beneficiary ids name the account themselves, and
reach beneficiaries deleted since. Every problem of every line is reported as
``line <n>: <jsonName>`` and nothing is written.

A new import of a month replaces that month's figures for the account, never adds
to them: processors send corrected months again."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from portal_runtime.errors import FieldViolation, InvalidArgument, Violations
from portal_runtime.money import amount_problem

from .beneficiaries import BeneficiaryRef, employee_number_problem
from .order_file import (
    CONTROL,
    CONTROL_CHARACTERS,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_LINES,
    decode,
    detect_separator,
    filled_width,
    map_header,
    parse_amount_cents,
    read_rows,
)
from .order_template import COLUMNS as ORDER_COLUMNS

INVALID = "CARD_USAGE_FILE_INVALID"
_ORDER_ALIASES = {name: aliases for name, _, aliases in ORDER_COLUMNS}
# (JSON name, label in problems, accepted header spellings once normalised)
COLUMNS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("employeeNumber", "Employee number", _ORDER_ALIASES["employeeNumber"]),
    ("beneficiaryId", "Beneficiary id",
     frozenset({"beneficiaryid", "idbeneficiaire", "identifiantbeneficiaire"})),
    ("month", "Month", frozenset({"month", "mois", "period", "periode"})),
    ("amountSpent", "Amount spent",
     frozenset({"amountspent", "spent", "amount", "montant", "montantdepense", "depense",
                "depenses", "montantconsomme", "consommation", "utilisation"})),
)  # fmt: skip
_BY_ALIAS = {alias: name for name, _, aliases in COLUMNS for alias in aliases}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_FR_MONTH = re.compile(r"^(0[1-9]|1[0-2])/(\d{4})$")
MONTH_PROBLEM = "must be a month YYYY-MM (or MM/YYYY)"


@dataclass(frozen=True)
class UsageLine:
    line_number: int
    employee_number: str  # "" when the line names a beneficiary id only
    beneficiary_id: str  # "" when the line names an employee number only
    month: str  # YYYY-MM
    spent_cents: int


@dataclass(frozen=True)
class UsageFile:
    """The lines that read well, and the problems of the others (raised once the
    beneficiaries are known, so that a file's problems come all at once)."""

    lines: tuple[UsageLine, ...]
    problems: Violations

    @property
    def beneficiary_ids(self) -> list[str]:
        return sorted({line.beneficiary_id for line in self.lines if line.beneficiary_id})

    @property
    def by_employee_number(self) -> bool:
        return any(line.employee_number for line in self.lines)


@dataclass(frozen=True)
class CardUsage:
    """What one beneficiary's card spent in one month, named as the beneficiary
    was when imported (like an order line)."""

    entity_id: str
    month: str  # YYYY-MM
    beneficiary_id: str
    employee_number: str
    beneficiary_name: str
    spent_cents: int
    imported_at: datetime


@dataclass(frozen=True)
class ImportedMonth:
    entity_id: str
    month: str
    beneficiaries: int
    spent_cents: int
    replaced: bool  # figures imported before for this month were replaced


def parse_month(raw: str) -> str | None:
    """``YYYY-MM`` or ``MM/YYYY`` as ``YYYY-MM``, or None."""
    text = raw.strip()
    french = _FR_MONTH.match(text)
    if french:
        return f"{french.group(2)}-{french.group(1)}"
    return text if _MONTH.match(text) else None


def _file_error(description: str, reason: str) -> InvalidArgument:
    return InvalidArgument.for_field("file", description, reason=reason)


def read_usage_file(
    data: bytes,
    *,
    this_month: str,
    max_lines: int = DEFAULT_MAX_LINES,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> UsageFile:
    """The file's lines and the problems of its bad lines; InvalidArgument at once
    for a problem of the whole file (size, emptiness, header). Months after
    `this_month` (``YYYY-MM``) are refused: cards cannot have spent yet."""
    if len(data) > max_bytes:
        raise _file_error(
            f"is {len(data)} bytes; the limit is {max_bytes} bytes: split it",
            "CARD_USAGE_FILE_TOO_LARGE",
        )
    text, _ = decode(data)
    if not text.strip():
        raise _file_error(
            "is empty: it needs a header line and usage lines", "CARD_USAGE_FILE_EMPTY"
        )
    separator = detect_separator(text.split("\n", 1)[0].rstrip("\r"), _BY_ALIAS.keys())
    problems = Violations()
    rows = read_rows(text, separator, problems, INVALID)
    _, header = next(rows)
    positions = map_header(header, problems, _BY_ALIAS)
    if "employeeNumber" not in positions and "beneficiaryId" not in positions:
        problems.add("line 1: header", "needs an 'Employee number' or a 'Beneficiary id' column")
    for name, label, _ in COLUMNS[2:]:
        if name not in positions:
            problems.add("line 1: header", f"column {label!r} is missing")
    problems.raise_if_any(INVALID)
    lines: list[UsageLine] = []
    count = 0
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue  # blank lines and Excel's trailing ";;;" rows
        count += 1
        if count > max_lines:
            raise _file_error(
                f"has more than {max_lines} usage lines: split it", "CARD_USAGE_FILE_TOO_MANY_LINES"
            )
        line = _read_line(number, row, positions, this_month, problems)
        if line is not None:
            lines.append(line)
    if not lines and not problems:
        raise _file_error("has a header but no usage line", "CARD_USAGE_FILE_EMPTY")
    return UsageFile(tuple(lines), problems)


def _read_line(
    n: int, row: list[str], positions: dict[str, int], this_month: str, problems: Violations
) -> UsageLine | None:
    width = filled_width(row) if len(row) > len(positions) else len(row)
    if width != len(positions):
        problems.add(f"line {n}: columns", f"has {width} columns; the header has {len(positions)}")
        return None
    cells = {name: row[index].strip() for name, index in positions.items()}
    found: dict[str, str] = {}
    for name, cell in cells.items():
        if CONTROL.search(cell):
            found[name] = CONTROL_CHARACTERS
    number, beneficiary_id = cells.get("employeeNumber", ""), cells.get("beneficiaryId", "")
    if not number and not beneficiary_id:
        named_by = "employeeNumber" if "employeeNumber" in cells else "beneficiaryId"
        found.setdefault(named_by, "is required")
    elif number and (problem := employee_number_problem(number)):
        found.setdefault("employeeNumber", problem)
    month = parse_month(cells["month"])
    if month is None:
        found.setdefault("month", MONTH_PROBLEM)
    elif month > this_month:
        found.setdefault("month", "must not be in the future")
    cents, problem = parse_amount_cents(cells["amountSpent"])
    if problem is None and cents is not None and cents != 0:
        problem = "must not be negative" if cents < 0 else amount_problem(cents)
    if problem:
        found.setdefault("amountSpent", problem)
    for name, _, _ in COLUMNS:  # in the columns' order
        if name in found:
            problems.add(f"line {n}: {name}", found[name])
    if found or month is None or cents is None:
        return None
    return UsageLine(n, number, beneficiary_id, month, cents)


@dataclass(frozen=True)
class KnownBeneficiaries:
    """Where a usage file's lines find their beneficiary: by id (`by_id`: id ->
    (entity, ref), any account's, deleted ones too) or by employee number among
    the live beneficiaries of the account the import names (`by_number`)."""

    entity_id: str  # "" when the import names no account
    by_number: Mapping[str, BeneficiaryRef]
    by_id: Mapping[str, tuple[str, BeneficiaryRef]]

    def find(self, line: UsageLine, problems: Violations) -> tuple[str, BeneficiaryRef] | None:
        """(entity, beneficiary) of the line, or None with its problem added."""
        at = f"line {line.line_number}"
        if line.beneficiary_id:
            owner, ref = self.by_id.get(line.beneficiary_id, ("", None))
            if ref is None or (self.entity_id and owner != self.entity_id):
                problems.add(f"{at}: beneficiaryId", "is not a beneficiary of this account")
                return None
            if line.employee_number and line.employee_number != ref.employee_number:
                problems.add(
                    f"{at}: employeeNumber", f"is not this beneficiary's ({ref.employee_number})"
                )
                return None
            return owner, ref
        if not self.entity_id:
            return None  # said once, on entityId
        ref = self.by_number.get(line.employee_number)
        if ref is None:
            problems.add(
                f"{at}: employeeNumber", f"no beneficiary has the number {line.employee_number!r}"
            )
            return None
        return self.entity_id, ref


def usage_records(usage: UsageFile, known: KnownBeneficiaries, at: datetime) -> list[CardUsage]:
    """The file's figures, each line's beneficiary found, or InvalidArgument
    listing every problem of the file. One figure per beneficiary and month."""
    problems = Violations()
    if usage.by_employee_number and not known.entity_id:
        problems.add("entityId", "is required: lines name beneficiaries by employee number")
    problems.items.extend(usage.problems.items)
    records: list[CardUsage] = []
    seen: dict[tuple[str, str], int] = {}
    for line in usage.lines:
        found = known.find(line, problems)
        if found is None:
            continue
        owner, ref = found
        field = "beneficiaryId" if line.beneficiary_id else "employeeNumber"
        key = (ref.id, line.month)
        if key in seen:
            where = f"line {line.line_number}: {field}"
            problems.add(where, f"{line.month} of this beneficiary is already on line {seen[key]}")
            continue
        seen[key] = line.line_number
        records.append(CardUsage(owner, line.month, ref.id, ref.employee_number, ref.name,
                                 line.spent_cents, at))  # fmt: skip
    problems.items.sort(key=_line_order)
    problems.raise_if_any(INVALID)
    return records


def _line_order(problem: FieldViolation) -> int:
    """Problems in the file's order (those of no line first)."""
    head = problem.field.split(":")[0]
    return int(head.removeprefix("line ")) if head.startswith("line ") else 0


def imported_months(
    records: Sequence[CardUsage], replaced: set[tuple[str, str]]
) -> list[ImportedMonth]:
    """Each (account, month) of the records, with what it adds up to; `replaced`:
    those that had figures before."""
    totals: dict[tuple[str, str], list[int]] = {}
    for record in records:
        total = totals.setdefault((record.entity_id, record.month), [0, 0])
        total[0] += 1
        total[1] += record.spent_cents
    return [
        ImportedMonth(entity, month, count, cents, (entity, month) in replaced)
        for (entity, month), (count, cents) in sorted(totals.items())
    ]


def by_account_month(records: Sequence[CardUsage]) -> dict[tuple[str, str], list[CardUsage]]:
    """The records grouped as imports replace them: per (account, month)."""
    groups: dict[tuple[str, str], list[CardUsage]] = {}
    for record in records:
        groups.setdefault((record.entity_id, record.month), []).append(record)
    return groups
