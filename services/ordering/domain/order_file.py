"""The order import file: a CSV with one line per beneficiary to load.

`parse_order_file(data, ...)` decodes (UTF-8 with or without BOM, else Windows-1252
/ Latin-1), detects the separator (``;`` or ``,``) from the header, maps header
names whatever their case, accents and spacing, then checks every line and reports
ALL problems at once as ``line <n>: <jsonName>`` field violations (the header is
line 1). A valid file gives the parsed lines; nothing is created here.

Cells follow RFC 4180: a quoted cell may hold the separator (``"50,00"`` in a
``,`` file). Empty cells after the last column (``a;b;c;``, as spreadsheets
export) are ignored, in the header and in the lines; a value there is a line
error. A cell holding a control character (NUL, ESC, a tab or line break inside
quotes) is a line error: every column is one line of text.

One file makes one draft order, and an order goes to one delivery point: every line
must name the first line's delivery point code.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from portal_runtime.errors import FieldViolation, InvalidArgument, Violations

from .beneficiaries import Beneficiary, employee_number_problem, name_problem
from .file_problems import problems_of
from .order_file_cells import (
    CONTROL,
    CONTROL_CHARACTERS,
    FALSE_WORDS,
    TRUE_WORDS,
    parse_amount_cents,
    parse_file_date,
)
from .order_template import BOM, COLUMNS, LABELS, NAMES
from .orders import LoadBounds
from .values import INVALID_DATE, email_problem, normalise_email

DEFAULT_MAX_LINES = 100_000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
SEPARATORS = (";", ",")
_BY_ALIAS = {alias: name for name, _, aliases in COLUMNS for alias in aliases}


class FileLine(NamedTuple):
    """One checked line (a tuple: a file brings up to 100,000)."""

    line_number: int
    employee_number: str
    last_name: str
    first_name: str
    email: str
    birth_date: str  # YYYY-MM-DD or ""
    delivery_point_code: str
    new_card: bool
    load_amount_cents: int

    def new_beneficiary(
        self, *, id: str, entity_id: str, default_delivery_point_id: str, now: datetime
    ) -> Beneficiary:
        """The beneficiary this line brings (the parser checked its fields)."""
        return Beneficiary(
            id=id,
            entity_id=entity_id,
            employee_number=self.employee_number,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            birth_date=self.birth_date,
            hire_date="",
            default_delivery_point_id=default_delivery_point_id,
            created_at=now,
            updated_at=now,
        )


@dataclass(frozen=True)
class OrderFile:
    delivery_point_code: str
    lines: list[FileLine]
    separator: str
    encoding: str


def normalise_header(raw: str) -> str:
    decomposed = unicodedata.normalize("NFKD", raw)
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    if data.startswith(BOM):
        try:
            return data[len(BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def detect_separator(header_line: str, aliases: Collection[str] = _BY_ALIAS.keys()) -> str:
    """The separator whose split maps the most expected header names (``;`` on a tie)."""

    def known(separator: str) -> int:
        return sum(normalise_header(cell) in aliases for cell in header_line.split(separator))

    return max(SEPARATORS, key=known)  # max keeps the first on a tie


def _file_error(description: str, reason: str, field: str = "file") -> InvalidArgument:
    return InvalidArgument.for_field(field, description, reason=reason)


def filled_width(row: list[str]) -> int:
    """The row's cells up to its last non-blank one."""
    width = len(row)
    while width and not row[width - 1].strip():
        width -= 1
    return width


def map_header(
    cells: list[str], violations: Violations, by_alias: Mapping[str, str]
) -> dict[str, int]:
    """Where each known column is (by its JSON name); unknown and repeated
    columns are header problems."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells[: filled_width(cells)]):
        name = by_alias.get(normalise_header(cell))
        if name is None:
            violations.add("line 1: header", f"unknown column {cell.strip()!r}")
        elif name in positions:
            violations.add("line 1: header", f"column {cell.strip()!r} appears twice")
        else:
            positions[name] = index
    return positions


def _map_header(cells: list[str], violations: Violations) -> dict[str, int]:
    positions = map_header(cells, violations, _BY_ALIAS)
    for name in NAMES:
        if name not in positions:
            violations.add("line 1: header", f"column {LABELS[name]!r} is missing")
    return positions


def parse_order_file(
    data: bytes,
    *,
    known_codes: Collection[str],
    today: date,
    bounds: LoadBounds | None = None,
    max_lines: int = DEFAULT_MAX_LINES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int], object] | None = None,
    progress_every: int = 5_000,
) -> OrderFile:
    """The file's lines, or InvalidArgument listing every problem of every line.

    `known_codes`: the entity's delivery point codes (compared case-insensitively).
    `max_lines` counts order lines, not the header. `progress(lines checked)`
    is called every `progress_every` order lines (a background import shows it)."""
    bounds = bounds or LoadBounds()
    if len(data) > max_bytes:
        raise _file_error(
            f"is {len(data)} bytes; the limit is {max_bytes} bytes: split it",
            "ORDER_FILE_TOO_LARGE",
        )
    text, encoding = decode(data)
    if not text.strip():
        raise _file_error("is empty: it needs a header line and order lines", "ORDER_FILE_EMPTY")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    separator = detect_separator(first_line)
    violations = Violations()
    rows = read_rows(text, separator, violations)
    _, header = next(rows)
    positions = _map_header(header, violations)
    if violations:
        violations.raise_if_any("ORDER_FILE_INVALID")
    checker = _LineChecker(positions, separator, {c.strip().upper() for c in known_codes},
                           bounds, today, violations)  # fmt: skip
    count = 0
    every = max(progress_every, 1)
    for line_number, row in rows:
        if not "".join(row).strip():
            continue  # blank lines and Excel's trailing ";;;;;;;" rows
        count += 1
        if count > max_lines:
            raise _file_error(
                f"has more than {max_lines} order lines: split it", "ORDER_FILE_TOO_MANY_LINES"
            )
        checker.check(line_number, row)
        if progress is not None and count % every == 0:
            progress(count)
    if count == 0:
        raise _file_error("has a header but no order line", "ORDER_FILE_EMPTY")
    violations.raise_if_any("ORDER_FILE_INVALID")
    return OrderFile(checker.first_code or "", checker.lines, separator, encoding)


def file_problems(
    data: bytes, *, known_codes: Collection[str], today: date, bounds: LoadBounds | None = None
) -> list[FieldViolation]:
    """Every problem `parse_order_file` finds in the file; none: it imports."""
    try:
        parse_order_file(data, known_codes=known_codes, today=today, bounds=bounds)
    except InvalidArgument as error:
        return problems_of(error)
    return []


def read_rows(
    text: str, separator: str, violations: Violations, reason: str = "ORDER_FILE_INVALID"
) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row starts, cells). A row the csv module cannot
    read (a field over its 128 KiB limit...) ends the file with that line named,
    after the problems found so far (InvalidArgument `reason`)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=False)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            violations.add(
                f"line {start}", f"cannot be read as CSV ({exc}); nothing after it was read"
            )
            violations.raise_if_any(reason)
        yield start, row
        start = reader.line_num + 1


def count_order_lines(data: bytes) -> int:
    """The file's non-blank rows after the header: a cheap first pass to choose
    between importing at once and in the background (raises like the parser on
    an unreadable file)."""
    text, _ = decode(data)
    separator = detect_separator(text.split("\n", 1)[0].rstrip("\r"))
    if '"' not in text and "\0" not in text:
        # Cut where the csv module ends a row outside quotes: at "\r\n", or a
        # lone "\r" or "\n" (plain replaces: a regular expression took 50 ms
        # on 100,000 lines, in one call that holds the interpreter).
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if max(map(len, lines)) <= csv.field_size_limit():
            # Without quotes a row is a line and its cells lie between the
            # separators: what the csv module reads, ten times cheaper.
            return max(sum(1 for line in lines if line.replace(separator, "").strip()) - 1, 0)
    rows = read_rows(text, separator, Violations())
    return max(sum(1 for _, row in rows if "".join(row).strip()) - 1, 0)


class _LineChecker:
    """Checks one line at a time, remembering what spans lines (duplicates, the
    delivery point). Amounts and birth dates repeat from line to line: each
    distinct value is checked once (a file has up to 100,000 lines)."""

    def __init__(
        self,
        positions: dict[str, int],
        separator: str,
        known_codes: set[str],
        bounds: LoadBounds,
        today: date,
        violations: Violations,
    ) -> None:
        self.order = [positions[name] for name in NAMES]
        self.width = len(positions)
        self.separator = separator
        self.known_codes = known_codes
        self.bounds = bounds
        self.today = today
        self.violations = violations
        self.seen: dict[str, int] = {}
        self.first_code: str | None = None
        self.lines: list[FileLine] = []
        self._amounts: dict[str, tuple[int | None, str | None]] = {}
        self._births: dict[str, tuple[str | None, str | None]] = {}

    def check(self, n: int, row: list[str]) -> None:
        width = filled_width(row) if len(row) > self.width else len(row)
        if width != self.width:
            self.violations.add(f"line {n}: columns", self._width_problem(width))
            return
        cells = [row[i].strip() for i in self.order]
        # One problem per column and line: the first found.
        problems: dict[str, str] = {}
        add = problems.setdefault
        if CONTROL.search("".join(cells)):  # one search per line; per cell once found
            for name, cell in zip(NAMES, cells, strict=True):
                if CONTROL.search(cell):
                    add(name, CONTROL_CHARACTERS)
        number, last, first, raw_email, raw_birth, raw_code, raw_new, raw_amount = cells
        problem = employee_number_problem(number)
        if problem:
            add("employeeNumber", problem)
        elif number in self.seen:
            add("employeeNumber", f"{number!r} is already on line {self.seen[number]}")
        elif "employeeNumber" not in problems:
            self.seen[number] = n
        last, first = " ".join(last.split()), " ".join(first.split())
        for name, value in (("lastName", last), ("firstName", first)):
            problem = name_problem(value)
            if problem:
                add(name, problem)
        email = normalise_email(raw_email)
        problem = email_problem(email) if email else None
        if problem:
            add("email", problem)
        birth, problem = self._birth(raw_birth) if raw_birth else ("", None)
        if problem:
            add("birthDate", problem)
        code = raw_code.upper()
        self._check_code(code, raw_code, add)
        new_word = raw_new.casefold()
        if new_word not in TRUE_WORDS and new_word not in FALSE_WORDS:
            add("newCard", "must be yes/no, oui/non, 1/0 or true/false")
        cents, problem = self._amount(raw_amount)
        if problem:
            add("loadAmount", problem)
        if problems:
            for name in NAMES:  # in the columns' order, whatever order they were found in
                if name in problems:
                    self.violations.add(f"line {n}: {name}", problems[name])
        elif cents is not None:
            self.lines.append(
                FileLine(
                    n, number, last, first, email, birth or "", code, new_word in TRUE_WORDS, cents
                )
            )

    def _amount(self, raw: str) -> tuple[int | None, str | None]:
        """(cents, problem) of a load amount, bounds included."""
        known = self._amounts.get(raw)
        if known is None:
            cents, problem = parse_amount_cents(raw)
            if problem is None and cents is not None:
                problem = self.bounds.problem(cents)
            known = self._amounts[raw] = (cents, problem)
        return known

    def _birth(self, raw: str) -> tuple[str | None, str | None]:
        """(ISO date or None, problem) of a birth date given."""
        known = self._births.get(raw)
        if known is None:
            birth = parse_file_date(raw)
            if birth is None:
                known = (None, INVALID_DATE)
            elif date.fromisoformat(birth) >= self.today:
                known = (birth, "must be in the past")
            else:
                known = (birth, None)
            self._births[raw] = known
        return known

    def _width_problem(self, width: int) -> str:
        problem = f"has {width} columns; the header has {self.width}"
        if width > self.width and self.separator == ",":
            problem += ' (in a file separated by ",", quote a decimal comma: "50,00")'
        return problem

    def _check_code(self, code: str, raw_code: str, add: Callable[[str, str], object]) -> None:
        if not code:
            add("deliveryPointCode", "is required")
        elif code not in self.known_codes:
            add("deliveryPointCode", f"unknown delivery point code {raw_code!r}")
        elif self.first_code is None:
            self.first_code = code
        elif code != self.first_code:
            add(
                "deliveryPointCode",
                f"is {code!r} but the first line's is {self.first_code!r}: "
                "one order goes to one delivery point; use one file per point",
            )
