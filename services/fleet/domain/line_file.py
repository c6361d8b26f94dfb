"""The operators' line file: the operator's inventory of a customer's lines.

CSV, UTF-8 with or without BOM (else Windows-1252), ``;`` or ``,`` told from the
header, header names in any case and spacing; blank lines skipped. Columns:
"Number", "ICCID", "User name", "Customer number", "Product", "Plan", "Status"
and, optionally, "Options" (separated by ``|``). Every problem of every line is
reported as ``line <n>: <jsonName>`` and nothing is written then."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import portal_runtime.csv_import as csv_import
from portal_runtime.errors import Violations

from .catalogue import Catalogue, CatalogueOption, Plan
from .lines import ICCID_PROBLEM, LineFields, PhoneNumber, parse_iccid, parse_status

INVALID = "LINE_FILE_INVALID"
MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 100_000
MAX_TEXT = 200
NUMBER_PROBLEM = "must be a valid phone number"
# (JSON name, accepted header spellings once normalised, required)
COLUMNS: tuple[tuple[str, frozenset[str], bool], ...] = (
    ("number", frozenset({"number", "phonenumber", "phone", "msisdn", "numero"}), True),
    ("iccid", frozenset({"iccid", "sim", "simcard", "simnumber"}), True),
    ("userName", frozenset({"username", "user", "utilisateur"}), True),
    ("customerNumber", frozenset({"customernumber", "customer", "numeroclient"}), True),
    ("product", frozenset({"product", "produit"}), True),
    ("plan", frozenset({"plan", "tariffplan", "tariff", "forfait"}), True),
    ("status", frozenset({"status", "statut"}), True),
    ("options", frozenset({"options", "option"}), False),
)
_BY_ALIAS = {alias: name for name, aliases, _ in COLUMNS for alias in aliases}
_REQUIRED = [name for name, _, required in COLUMNS if required]

NumberParser = Callable[[str], PhoneNumber | None]


@dataclass(frozen=True)
class FileLine:
    line_number: int
    fields: LineFields


def parse_line_file(data: bytes, parse_number: NumberParser) -> list[FileLine]:
    """The file's lines; InvalidArgument naming every bad line (or the file)."""
    problems = Violations()
    positions, rows = csv_import.open_table(
        data,
        kind="LINE_FILE",
        max_bytes=MAX_BYTES,
        aliases=_BY_ALIAS,
        required=_REQUIRED,
        problems=problems,
    )
    lines: list[FileLine] = []
    seen: dict[str, int] = {}
    for index, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(lines) >= MAX_LINES:
            raise csv_import.file_error(
                f"has more than {MAX_LINES} lines: split it", "LINE_FILE_TOO_LARGE"
            )
        line = _read_line(index, row, positions, parse_number, problems)
        if line is None:
            continue
        first = seen.setdefault(line.fields.number.e164, index)
        if first != index:
            problems.add(f"line {index}: number", f"is already on line {first}")
            continue
        lines.append(line)
    problems.raise_if_any(INVALID)
    if not lines:
        raise csv_import.file_error("has no lines after its header", "LINE_FILE_EMPTY")
    return lines


def _read_line(
    n: int,
    row: list[str],
    positions: dict[str, int],
    parse_number: NumberParser,
    problems: Violations,
) -> FileLine | None:
    def cell(name: str) -> str:
        at = positions.get(name)
        return row[at].strip() if at is not None and at < len(row) else ""

    count = len(problems.items)
    number = parse_number(cell("number"))
    if number is None:
        problems.add(f"line {n}: number", NUMBER_PROBLEM)
    iccid = parse_iccid(cell("iccid"))
    if iccid is None:
        problems.add(f"line {n}: iccid", ICCID_PROBLEM)
    status = parse_status(cell("status"))
    if status is None:
        problems.add(
            f"line {n}: status",
            "must be ACTIVE, SUSPENDED, PREPAID, PENDING_ACTIVATION or TERMINATED",
        )
    for name in ("userName", "customerNumber", "product", "plan"):
        value = cell(name)
        if not value:
            problems.add(f"line {n}: {name}", "is required")
        elif len(value) > MAX_TEXT:
            problems.add(f"line {n}: {name}", f"must be at most {MAX_TEXT} characters")
    options = tuple(dict.fromkeys(o.strip() for o in cell("options").split("|") if o.strip()))
    if any(len(o) > MAX_TEXT for o in options):
        problems.add(f"line {n}: options", f"must each be at most {MAX_TEXT} characters")
    if len(problems.items) != count or number is None or iccid is None or status is None:
        return None
    fields = LineFields(
        number=number,
        iccid=iccid,
        user_name=cell("userName"),
        customer_number=cell("customerNumber"),
        product=cell("product"),
        plan=cell("plan"),
        status=status,
        options=options,
    )
    return FileLine(n, fields)


def match_catalogue(lines: list[FileLine], catalogue: Catalogue) -> list[FileLine]:
    """The lines with their plan and options as catalogue codes (a file may name
    them by code or by name, in any case); every line naming a plan or option
    the catalogue lacks, or a product its plan does not belong to, is listed."""
    plans = _lookup(catalogue.plans.values())
    options = _lookup(catalogue.options.values())
    problems = Violations()
    matched: list[FileLine] = []
    for line in lines:
        fields = line.fields
        n = line.line_number
        plan = plans.get(fields.plan.casefold())
        if plan is None:
            problems.add(f"line {n}: plan", f"no plan {fields.plan!r} in the catalogue")
        elif plan.product.casefold() != fields.product.casefold():
            problems.add(
                f"line {n}: product", f"plan {plan.code} belongs to product {plan.product!r}"
            )
        codes = []
        for name in fields.options:
            option = options.get(name.casefold())
            if option is None:
                problems.add(f"line {n}: options", f"no option {name!r} in the catalogue")
            else:
                codes.append(option.code)
        if plan is not None:
            fields = replace(
                fields, plan=plan.code, product=plan.product, options=tuple(dict.fromkeys(codes))
            )
        matched.append(FileLine(n, fields))
    problems.raise_if_any(INVALID)
    return matched


def _lookup(entries: Iterable[Plan | CatalogueOption]) -> dict[str, Plan | CatalogueOption]:
    """By code and by name, case-insensitively (a code wins over a name)."""
    found: dict[str, Plan | CatalogueOption] = {}
    for entry in entries:
        found.setdefault(entry.name.casefold(), entry)
    for entry in entries:
        found[entry.code.casefold()] = entry
    return found
