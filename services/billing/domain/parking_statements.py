"""Assets' closed parking months, issued as statements: each low-usage
contract's extra exits of the month (beyond those its contract includes) make
one statement for the contract's entity, over the month, once per assets
statement (`parking-statement:<statement id>`, which makes it unique). A
statement without extra exits (or whose exits cost nothing) issues nothing:
assets lists it with its own PDF.

Assets states each statement's amount; billing bills extra exits x their price,
and refuses the event if the two differ rather than bill another amount."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from portal_runtime.errors import InvalidArgument, Violations
from portal_runtime.money import MAX_OPERATION_CENTS, format_euros, vat_rate_problem

from .documents import MAX_QUANTITY, Line, source_key

PARKING_STATEMENT_SOURCE = "parking-statement:"
PARKING_AMOUNT_MISMATCH = "PARKING_AMOUNT_MISMATCH"
ENTITY_ID_MAX = 64  # documents.entity_id
CONTRACT_NUMBER_MAX = 64  # documents.contract_number
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class StatementExits:
    """One contract's statement for the month, as assets closed it."""

    statement_id: str
    entity_id: str
    contract_number: str
    extra_exits: int
    extra_exit_price_cents: int  # excluding VAT
    amount_excl_cents: int  # extra_exits x extra_exit_price_cents, as assets computed it
    vat_rate_bp: int


@dataclass(frozen=True)
class ParkingStatement:
    """A statement billing issues, ready to be numbered."""

    source_key: str
    entity_id: str
    contract_number: str
    period_start: date
    period_end: date
    lines: tuple[Line, ...]


def parking_statement_source(statement_id: str, field_name: str = "statementId") -> str:
    """The source key of an assets statement's document."""
    return source_key(PARKING_STATEMENT_SOURCE, statement_id, field_name)


def month_period(month: str) -> tuple[date, date]:
    """'2026-02' -> (2026-02-01, 2026-02-28): the month's first and last days."""
    match = _MONTH.match(month.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1000:
        raise InvalidArgument.for_field("month", "must be a month written YYYY-MM")
    year, number = int(match.group(1)), int(match.group(2))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def extra_exits_label(month_start: date, extra_exits: int, price_cents: int) -> str:
    """'Sorties supplémentaires 03/2026 - 4 x 2,50 € / extra exits'."""
    price = format_euros(price_cents, "fr")
    return f"Sorties supplémentaires {month_start:%m/%Y} - {extra_exits} x {price} / extra exits"


def parking_statements(month: str, statements: Sequence[StatementExits]) -> list[ParkingStatement]:
    """The statements to issue for the month: one per statement with extra exits
    that cost something, one line (extra exits x their price, at the statement's
    VAT rate). InvalidArgument naming every statement that cannot be issued
    (``statements[2].vatRateBp``), then PARKING_AMOUNT_MISMATCH naming each
    amount that is not extra exits x price: nothing is issued from such an event."""
    start, end = month_period(month)
    violations = Violations()
    mismatches = Violations()
    issued: list[ParkingStatement] = []
    for index, statement in enumerate(statements):
        at = f"statements[{index}]"
        problems = [(f"{at}.{name}", description) for name, description in _problems(statement)]
        source = ""
        if statement.extra_exits > 0:
            try:
                source = parking_statement_source(statement.statement_id, f"{at}.statementId")
            except InvalidArgument as err:
                problems += [(v.field, v.description) for v in err.violations]
        for field_name, description in problems:
            violations.add(field_name, description)
        if problems or statement.extra_exits == 0:
            continue
        computed = statement.extra_exits * statement.extra_exit_price_cents
        if statement.amount_excl_cents != computed:
            mismatches.add(
                f"{at}.amountExclTaxCents",
                f"is {statement.amount_excl_cents} cents but {statement.extra_exits} extra exits"
                f" x {statement.extra_exit_price_cents} cents make {computed} cents",
            )
            continue
        if computed == 0:
            continue
        line = Line(
            extra_exits_label(start, statement.extra_exits, statement.extra_exit_price_cents),
            statement.extra_exits,
            statement.extra_exit_price_cents,
            statement.vat_rate_bp,
        )
        issued.append(
            ParkingStatement(
                source_key=source,
                entity_id=statement.entity_id.strip(),
                contract_number=statement.contract_number.strip(),
                period_start=start,
                period_end=end,
                lines=(line,),
            )
        )
    violations.raise_if_any()
    mismatches.raise_if_any(PARKING_AMOUNT_MISMATCH)
    return issued


def _problems(statement: StatementExits) -> list[tuple[str, str]]:
    """What keeps the statement from being issued; a statement without extra
    exits issues nothing, so only its count is checked."""
    if statement.extra_exits < 0:
        return [("extraExits", "must not be negative")]
    if statement.extra_exits == 0:
        return []
    problems: list[tuple[str, str]] = []
    if statement.extra_exits > MAX_QUANTITY:
        problems.append(("extraExits", f"must be at most {MAX_QUANTITY}"))
    for field_name, value, limit in (
        ("entityId", statement.entity_id, ENTITY_ID_MAX),
        ("contractNumber", statement.contract_number, CONTRACT_NUMBER_MAX),
    ):
        if not value.strip():
            problems.append((field_name, "is required"))
        elif len(value.strip()) > limit:
            problems.append((field_name, f"must be at most {limit} characters"))
    if statement.extra_exit_price_cents < 0:
        problems.append(("extraExitPriceCents", "must not be negative"))
    elif statement.extra_exit_price_cents * statement.extra_exits > MAX_OPERATION_CENTS:
        problems.append(
            ("extraExitPriceCents", f"the statement must total at most {MAX_OPERATION_CENTS} cents")
        )
    vat_problem = vat_rate_problem(statement.vat_rate_bp)
    if vat_problem:
        problems.append(("vatRateBp", vat_problem))
    return problems
