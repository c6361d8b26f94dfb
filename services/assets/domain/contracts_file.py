"""The operator's file of a customer's parking contracts.

CSV, UTF-8 with or without BOM (else Windows-1252), `;` or `,` told from the
header, header names in any case, spacing or accents (English or French);
blank lines skipped. Columns: "Number", "Car park", "Type" (RESIDENT,
LOW_USAGE_RESIDENT, BUSINESS, MOTORCYCLE), "Start date" (YYYY-MM-DD, or
DD/MM/YYYY as French spreadsheets write it), "Monthly price" (euros: `60`,
`59,90`, `59.90 €`) and "VAT rate" (a percentage: `20`, `5,5`, `2.1`)
required; "Plates" and "Badges" (separated by `|`), "Included exits" and
"Extra exit price" (euros) optional, and only for low-usage contracts.

Each line follows PutParkingContract's rules (`check_terms`); problems are
named `line <n>: <jsonName>` (`line 4: badges[1]`), every bad line listed and
nothing written then. A number is on one line; a badge opens one car park for
one contract at a time: on one line of the file, and on no stored contract the
file does not replace (`plan_contracts`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import portal_runtime.csv_import as csv_import
from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import InvalidArgument, Violations
from portal_runtime.money import VAT_RATES_BP, vat_rate_problem

from .parking import (
    ContractTerms,
    ContractType,
    ParkingContract,
    check_badges_free,
    check_number,
    check_terms,
    new_contract,
)

INVALID = "CONTRACTS_FILE_INVALID"
MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
TYPE_PROBLEM = "must be RESIDENT, LOW_USAGE_RESIDENT, BUSINESS or MOTORCYCLE"
DATE_PROBLEM = "must be a date YYYY-MM-DD (or DD/MM/YYYY)"
EUROS_PROBLEM = "must be an amount in euros (e.g. 59,90)"
VAT_PROBLEM = "must be one of {rates} (a percentage)".format(
    rates=", ".join(format(Decimal(bp) / 100, "f") for bp in sorted(VAT_RATES_BP))
)
# (JSON name, accepted header spellings once normalised: letters only, no accents)
COLUMNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("number", frozenset({"number", "contractnumber", "contract", "numero", "numerodecontrat",
                          "numerocontrat", "ncontrat", "contrat"})),
    ("carPark", frozenset({"carpark", "carparkname", "parking", "parc", "parcdestationnement",
                           "nomduparc", "nomduparking"})),
    ("type", frozenset({"type", "contracttype", "typedecontrat", "typecontrat"})),
    ("startDate", frozenset({"startdate", "start", "startson", "datededebut", "datedebut",
                             "debut", "dateeffet", "datedeffet"})),
    ("plates", frozenset({"plates", "plate", "licenceplates", "licenseplates", "plaques",
                          "plaque", "immatriculations", "immatriculation"})),
    ("badges", frozenset({"badges", "badge", "badgenumbers", "numerosdebadge", "numerosbadges"})),
    ("monthlyPrice", frozenset({"monthlyprice", "monthlypriceeur", "monthlypriceeuros",
                                "prixmensuel", "prixmensueleur", "prixmensueleuros",
                                "tarifmensuel", "mensualite"})),
    ("includedExits", frozenset({"includedexits", "exitsincluded", "sortiesincluses",
                                 "nombredesortiesincluses"})),
    ("extraExitPrice", frozenset({"extraexitprice", "extraexitpriceeur", "extraexitpriceeuros",
                                  "prixsortiesupplementaire", "prixsortiesupplementaireeur",
                                  "prixdelasortiesupplementaire", "sortiesupplementaire"})),
    ("vatRate", frozenset({"vatrate", "vat", "vatpercent", "tva", "tauxdetva", "tauxtva"})),
)  # fmt: skip
_BY_ALIAS = {alias: name for name, aliases in COLUMNS for alias in aliases}
# A line's problems are listed in the order of these columns.
_ORDER = {name: index for index, (name, _) in enumerate(COLUMNS)}
_REQUIRED = ["number", "carPark", "type", "startDate", "monthlyPrice", "vatRate"]
# check_terms names the API's fields (`contract.vatRateBp`); the file's columns
# are named after its header.
_RENAMED = {"vatRateBp": "vatRate"}
# Spreadsheets group thousands with (non-breaking) spaces: `1 250`.
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DECIMAL = re.compile(r"^[+-]?[0-9]+(?:[.,]([0-9]+))?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_FRENCH_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


@dataclass(frozen=True)
class FileContract:
    """One line: the contract's number and its checked terms."""

    line_number: int
    number: str
    terms: ContractTerms


@dataclass
class ContractsPlan:
    new_contracts: list[ParkingContract] = field(default_factory=list)
    updated_contracts: list[ParkingContract] = field(default_factory=list)


# ---- cells -------------------------------------------------------------------------------


def parse_euros_cents(raw: str) -> tuple[int | None, str | None]:
    """Euros (`59,90`, `59.90`, `60`, `59,90 €`) as exact cents, or why not. The
    sign is kept: whether the amount may be negative is the contract's rule."""
    text = _SPACES.sub("", raw).removesuffix("€").removeprefix("€")
    match = _DECIMAL.match(text)
    if match is None:
        return None, EUROS_PROBLEM
    # At most 2 decimals, so that `1.250` (a thousands dot) is refused, not read as 1.25.
    if len(match.group(1) or "") > 2:
        return None, "must have at most 2 decimals"
    return int(Decimal(text.replace(",", ".")) * 100), None


def parse_vat_rate_bp(raw: str) -> tuple[int | None, str | None]:
    """A VAT percentage (`20`, `5,5`, `2.1 %`) as basis points, or why not."""
    text = _SPACES.sub("", raw).removesuffix("%")
    if not _DECIMAL.match(text):
        return None, VAT_PROBLEM
    rate_bp = Decimal(text.replace(",", ".")) * 100
    if rate_bp != rate_bp.to_integral_value() or vat_rate_problem(int(rate_bp)):
        return None, VAT_PROBLEM
    return int(rate_bp), None


def parse_count(raw: str) -> int | None:
    text = _SPACES.sub("", raw)
    return int(text) if _INTEGER.match(text) else None


def parse_start_date(raw: str) -> date | None:
    """`2026-01-31` or `31/01/2026`, or None."""
    text = raw.strip()
    french = _FRENCH_DATE.match(text)
    if french is None:
        return parse_iso_date(text)
    day, month, year = (int(part) for part in french.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_type(raw: str) -> ContractType | None:
    name = re.sub(r"[\s-]+", "_", raw.strip().upper()).removeprefix("PARKING_CONTRACT_TYPE_")
    return ContractType.__members__.get(name)


def split_list(raw: str) -> list[str]:
    """`AA-111-AA | BB-222-BB` -> its items (empty ones dropped)."""
    return [item.strip() for item in raw.split("|") if item.strip()]


# ---- the lines ---------------------------------------------------------------------------


def parse_contracts_file(data: bytes, entity_id: str) -> list[FileContract]:
    """The file's contracts for `entity_id`; InvalidArgument naming every bad
    line (or the file)."""
    if not data:
        raise csv_import.file_error("is required", "REQUIRED_FIELD")
    problems = Violations()
    positions, rows = csv_import.open_table(
        data,
        kind="CONTRACTS_FILE",
        max_bytes=MAX_BYTES,
        aliases=_BY_ALIAS,
        required=_REQUIRED,
        problems=problems,
    )
    contracts: list[FileContract] = []
    numbers: dict[str, int] = {}
    badges: dict[str, FileContract] = {}
    for n, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(contracts) >= MAX_LINES:
            raise csv_import.file_error(
                f"has more than {MAX_LINES} lines: split it", "CONTRACTS_FILE_TOO_LARGE"
            )
        contract = _read_line(n, row, positions, entity_id, problems)
        if contract is None:
            continue
        first = numbers.setdefault(contract.number, n)
        if first != n:
            problems.add(f"line {n}: number", f"is already on line {first}")
            continue
        for index, badge in enumerate(contract.terms.badges):
            holder = badges.setdefault(badge, contract)
            if holder is not contract:
                problems.add(
                    f"line {n}: badges[{index}]",
                    f"{badge} is on contract {holder.number} (line {holder.line_number})",
                )
        contracts.append(contract)
    problems.raise_if_any(INVALID)
    if not contracts:
        raise csv_import.file_error("has no lines after its header", "CONTRACTS_FILE_EMPTY")
    return contracts


def _read_line(
    n: int, row: list[str], positions: dict[str, int], entity_id: str, problems: Violations
) -> FileContract | None:
    def cell(name: str) -> str:
        at = positions.get(name)
        return row[at].strip() if at is not None and at < len(row) else ""

    # Cells that cannot be read at all: named here, so the contract's rules
    # (which would see a placeholder) say nothing more of them.
    unread: dict[str, str] = {}
    number = ""
    try:
        number = check_number(cell("number"))
    except InvalidArgument as refused:
        unread["number"] = refused.violations[0].description
    contract_type = parse_type(cell("type")) if cell("type") else None
    if cell("type") and contract_type is None:
        unread["type"] = TYPE_PROBLEM
    start: str | date = ""
    if cell("startDate"):
        start = parse_start_date(cell("startDate")) or ""
        if not start:
            unread["startDate"] = DATE_PROBLEM
    amounts: dict[str, int] = {}
    for name, required in (("monthlyPrice", True), ("extraExitPrice", False)):
        if not cell(name):
            if required:
                unread[name] = "is required (0 when free)"
            continue
        cents, problem = parse_euros_cents(cell(name))
        if problem:
            unread[name] = problem
        elif cents is not None:
            amounts[name] = cents
    included = 0
    if cell("includedExits"):
        count = parse_count(cell("includedExits"))
        if count is None:
            unread["includedExits"] = "must be a whole number (e.g. 10)"
        included = count or 0
    vat_rate_bp = 0
    if not cell("vatRate"):
        unread["vatRate"] = "is required: a percentage (e.g. 20)"
    else:
        rate, problem = parse_vat_rate_bp(cell("vatRate"))
        if problem:
            unread["vatRate"] = problem
        vat_rate_bp = rate or 0
    terms = ContractTerms(
        entity_id=entity_id,
        car_park=cell("carPark"),
        type=contract_type,
        start_date=start,
        plates=split_list(cell("plates")),
        badges=split_list(cell("badges")),
        monthly_price_cents=amounts.get("monthlyPrice", 0),
        included_exits=included,
        extra_exit_price_cents=amounts.get("extraExitPrice", 0),
        vat_rate_bp=vat_rate_bp,
    )
    found = list(unread.items())
    checked = None
    try:
        checked = check_terms(terms, number)
    except InvalidArgument as refused:
        for violation in refused.violations:
            name = _column_of(violation.field)
            if _root(name) not in unread:
                found.append((name, violation.description))
    for name, description in sorted(found, key=lambda item: _ORDER.get(_root(item[0]), 99)):
        problems.add(f"line {n}: {name}", description)
    if found or checked is None:
        return None
    return FileContract(n, number, checked)


def _column_of(api_field: str) -> str:
    """`contract.badges[1]` -> `badges[1]`, `contract.vatRateBp` -> `vatRate`."""
    name = api_field.removeprefix("contract.")
    root = _root(name)
    return _RENAMED.get(root, root) + name[len(root) :]


def _root(name: str) -> str:
    return re.split(r"[.\[]", name, maxsplit=1)[0]


# ---- against the stored contracts --------------------------------------------------------


def plan_contracts(
    contracts: Iterable[FileContract],
    stored: Mapping[str, ParkingContract],
    holders: Mapping[str, ParkingContract],
    new_id: Callable[[], str],
    now: datetime,
) -> ContractsPlan:
    """The contracts the checked file creates (new numbers) and replaces (numbers
    of `stored`), or InvalidArgument naming every line with a badge another
    contract keeps (`holders`: badge -> its stored contract). A contract the
    file replaces keeps none of its stored badges, so the file may move them."""
    contracts = list(contracts)
    in_file = {contract.number for contract in contracts}
    kept = {badge: holder for badge, holder in holders.items() if holder.number not in in_file}
    problems = Violations()
    plan = ContractsPlan()
    for line in contracts:
        try:
            check_badges_free(line.terms.badges, kept, line.number)
        except InvalidArgument as refused:
            for violation in refused.violations:
                problems.add(
                    f"line {line.line_number}: {_column_of(violation.field)}",
                    violation.description,
                )
            continue
        contract = stored.get(line.number)
        if contract is not None and contract.entity_id != line.terms.entity_id:
            # A customer's import never takes another customer's contract.
            problems.add(
                f"line {line.line_number}: number",
                f"contract {line.number} belongs to another customer account",
            )
            continue
        if contract is None:
            plan.new_contracts.append(new_contract(new_id(), line.number, line.terms, now))
        else:
            contract.apply(line.terms, now)
            plan.updated_contracts.append(contract)
    problems.raise_if_any(INVALID)
    return plan
