"""The operators' usage file: a month's consumption per line of a customer.

CSV, UTF-8 with or without BOM (else Windows-1252), ``;`` or ``,`` told from the
header, header names in any case, accents and spacing (English or French);
blank lines skipped. Columns: "Number", "Month" (``YYYY-MM``, or ``MM/YYYY`` as
French spreadsheets write it), "Voice minutes", "SMS", "Data MB" (non-negative
integers) and "Out of bundle" (euros excluding VAT, ``12,50`` or ``12.50``).
Every problem of every line is reported as ``line <n>: <jsonName>`` and nothing
is written then; a number's month given twice is an error on the second line.

The numbers must then be lines of the customer's fleet (`usage_of_lines`): a
file is for one account, and a figure of a line it does not have is refused."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import portal_runtime.csv_import as csv_import
from portal_runtime.errors import Violations
from portal_runtime.money import MAX_OPERATION_CENTS, format_euros

from .lines import PhoneNumber
from .usage import Usage

INVALID = "USAGE_FILE_INVALID"
MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 100_000
NUMBER_PROBLEM = "must be a valid phone number"
MONTH_PROBLEM = "must be a month YYYY-MM (or MM/YYYY)"
UNKNOWN_LINE = "no such line in this account's fleet"
# Far above any real month of one line, and within the 32-bit columns and fields
# that carry minutes and SMS counts.
MAX_COUNT = 10_000_000
# 100 TB in a month: no SIM comes near it.
MAX_DATA_MB = 100_000_000
# The runtime's bound of one amount: keeps every sum of a fleet far from limits.
MAX_OUT_OF_BUNDLE_CENTS = MAX_OPERATION_CENTS
# (JSON name, accepted header spellings once normalised)
COLUMNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("number", frozenset({"number", "phonenumber", "phone", "msisdn", "line", "numero",
                          "numerodetelephone", "telephone", "ligne"})),
    ("month", frozenset({"month", "period", "mois", "periode"})),
    ("voiceMinutes", frozenset({"voiceminutes", "voice", "minutes", "callminutes",
                                "minutesvoix", "voix", "minutesdappel", "appels"})),
    ("sms", frozenset({"sms", "smscount", "texts", "nombresms", "nombredesms"})),
    ("dataMb", frozenset({"datamb", "data", "megabytes", "datamo", "donnees", "donneesmo",
                          "mo"})),
    ("outOfBundle", frozenset({"outofbundle", "outofbundleeur", "outofbundleeuros",
                               "outofbundlecharges", "overage", "horsforfait",
                               "horsforfaiteur", "horsforfaiteuros", "montanthorsforfait"})),
)  # fmt: skip
_BY_ALIAS = {alias: name for name, aliases in COLUMNS for alias in aliases}
_REQUIRED = [name for name, _ in COLUMNS]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_FR_MONTH = re.compile(r"^(0[1-9]|1[0-2])/(\d{4})$")
# Spreadsheets group thousands with (non-breaking) spaces: `1 250`.
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_EUROS = re.compile(r"^[+-]?[0-9]+(?:[.,]([0-9]+))?$")

NumberParser = Callable[[str], PhoneNumber | None]


@dataclass(frozen=True)
class UsageLine:
    line_number: int
    number: str  # E.164
    month: str  # YYYY-MM
    voice_minutes: int
    sms: int
    data_mb: int
    out_of_bundle_cents: int


def parse_month(raw: str) -> str | None:
    """``YYYY-MM`` or ``MM/YYYY`` as ``YYYY-MM``, or None."""
    text = raw.strip()
    french = _FR_MONTH.match(text)
    if french:
        return f"{french.group(2)}-{french.group(1)}"
    return text if _MONTH.match(text) else None


def parse_count(raw: str, maximum: int) -> tuple[int | None, str | None]:
    """A non-negative integer (thousands may be spaced: ``1 250``), or why not."""
    text = _SPACES.sub("", raw)
    if not text:
        return None, "is required"
    if not _INTEGER.match(text):
        return None, "must be a whole number (e.g. 120)"
    value = int(text)
    if value < 0:
        return None, "must not be negative"
    if value > maximum:
        return None, f"must be at most {maximum}"
    return value, None


def parse_euros_cents(raw: str) -> tuple[int | None, str | None]:
    """Non-negative euros (``12,50``, ``12.50``, ``12``, ``12,50 €``) as exact cents."""
    text = _SPACES.sub("", raw).removesuffix("€").removeprefix("€")
    if not text:
        return None, "is required"
    match = _EUROS.match(text)
    if match is None:
        return None, "must be an amount in euros (e.g. 12,50)"
    # At most 2 decimals, so that `1.250` (a thousands dot) is refused, not read as 1.25.
    if len(match.group(1) or "") > 2:
        return None, "must have at most 2 decimals"
    euros = Decimal(text.replace(",", "."))
    if euros < 0:
        return None, "must not be negative"
    cents = int(euros * 100)
    if cents > MAX_OUT_OF_BUNDLE_CENTS:
        return None, f"must be at most {format_euros(MAX_OUT_OF_BUNDLE_CENTS)}"
    return cents, None


def parse_usage_file(
    data: bytes, parse_number: NumberParser, *, this_month: str = ""
) -> list[UsageLine]:
    """The file's lines; InvalidArgument naming every bad line (or the file).
    `this_month` (``YYYY-MM``, "" for no check): later months are refused, a
    line cannot have consumed yet."""
    problems = Violations()
    positions, rows = csv_import.open_table(
        data,
        kind="USAGE_FILE",
        max_bytes=MAX_BYTES,
        aliases=_BY_ALIAS,
        required=_REQUIRED,
        problems=problems,
    )
    lines: list[UsageLine] = []
    seen: dict[tuple[str, str], int] = {}
    count = 0
    for n, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > MAX_LINES:
            raise csv_import.file_error(
                f"has more than {MAX_LINES} lines: split it", "USAGE_FILE_TOO_LARGE"
            )
        line = _read_line(n, row, positions, parse_number, this_month, problems)
        if line is None:
            continue
        first = seen.setdefault((line.number, line.month), n)
        if first != n:
            problems.add(
                f"line {n}: number", f"{line.month} of this number is already on line {first}"
            )
            continue
        lines.append(line)
    problems.raise_if_any(INVALID)
    if not lines:
        raise csv_import.file_error("has no lines after its header", "USAGE_FILE_EMPTY")
    return lines


def _read_line(
    n: int,
    row: list[str],
    positions: dict[str, int],
    parse_number: NumberParser,
    this_month: str,
    problems: Violations,
) -> UsageLine | None:
    def cell(name: str) -> str:
        at = positions[name]
        return row[at].strip() if at < len(row) else ""

    count = len(problems.items)
    number = parse_number(cell("number"))
    if number is None:
        problems.add(f"line {n}: number", NUMBER_PROBLEM)
    month = parse_month(cell("month"))
    if month is None:
        problems.add(f"line {n}: month", MONTH_PROBLEM)
    elif this_month and month > this_month:
        problems.add(f"line {n}: month", "must not be in the future")
    figures: dict[str, int] = {}
    for name, maximum in (("voiceMinutes", MAX_COUNT), ("sms", MAX_COUNT), ("dataMb", MAX_DATA_MB)):
        value, problem = parse_count(cell(name), maximum)
        if problem:
            problems.add(f"line {n}: {name}", problem)
        elif value is not None:
            figures[name] = value
    cents, problem = parse_euros_cents(cell("outOfBundle"))
    if problem:
        problems.add(f"line {n}: outOfBundle", problem)
    if len(problems.items) != count or number is None or month is None or cents is None:
        return None
    return UsageLine(
        line_number=n,
        number=number.e164,
        month=month,
        voice_minutes=figures["voiceMinutes"],
        sms=figures["sms"],
        data_mb=figures["dataMb"],
        out_of_bundle_cents=cents,
    )


def usage_of_lines(
    entity_id: str, lines: Sequence[UsageLine], line_ids: Mapping[str, str]
) -> list[Usage]:
    """The file's figures on the entity's lines (`line_ids`: E.164 -> line id),
    or InvalidArgument naming every line whose number the fleet does not have."""
    problems = Violations()
    usage: list[Usage] = []
    for line in lines:
        line_id = line_ids.get(line.number)
        if line_id is None:
            problems.add(f"line {line.line_number}: number", UNKNOWN_LINE)
            continue
        usage.append(
            Usage(
                line_id=line_id,
                entity_id=entity_id,
                month=line.month,
                voice_minutes=line.voice_minutes,
                sms=line.sms,
                data_mb=line.data_mb,
                out_of_bundle_cents=line.out_of_bundle_cents,
            )
        )
    problems.raise_if_any(INVALID)
    return usage
