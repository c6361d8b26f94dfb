"""Received bank transfers: matching them to what is expected, and reading a bank
statement CSV.

References compare once spaces are removed and letters upper-cased. A transfer of
the expected amount (or more: the surplus is recorded) pays what it refers to; less
is matched but partial; an unknown reference is unmatched and kept, never dropped.
An order paid by transfer is expected under its reference for its invoice's total;
a transfer is then matched against what remains to pay on that invoice.

The statement CSV has ``date;amount;reference;payer`` columns (``;`` or ``,``
separated, optional header), UTF-8 with or without BOM, else Latin-1; amounts with
``,`` or ``.`` decimals; dates ``YYYY-MM-DD`` or ``DD/MM/YYYY``. Every bad line is
reported as ``line <n>: <field>`` and nothing is recorded."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import InvalidArgument, Violations
from portal_runtime.money import amount_problem

from .csv_files import csv_rows
from .documents import Document

REFERENCE_MAX = 140
PAYER_MAX = 140
MAX_LINES = 100_000
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_AMOUNT = re.compile(r"^\+?\d+(?:[.,]\d{1,2})?$")
_FR_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
COLUMNS = ("date", "amount", "reference", "payer")


def normalise_reference(reference: str) -> str:
    return _SPACES.sub("", reference).upper()


@dataclass(frozen=True)
class Expected:
    """Something a transfer may pay: an order (its RF reference) or a document (its
    number), with the amount still expected."""

    reference: str
    amount_cents: int
    entity_id: str
    order_id: str = ""
    document_id: str = ""


def expected_for(invoice: Document, reference: str) -> Expected:
    """What billing expects under an order's transfer `reference`: its invoice's total."""
    return Expected(
        reference=normalise_reference(reference),
        amount_cents=invoice.totals.incl_cents,
        entity_id=invoice.entity_id,
        order_id=invoice.order_id,
        document_id=invoice.id,
    )


def still_expected(expected: Expected, document: Document | None) -> Expected:
    """`expected` for what remains to pay on its document (nothing once it is gone)."""
    return replace(expected, amount_cents=document.remaining_cents if document else 0)


@dataclass(frozen=True)
class TransferMatch:
    expected: Expected | None
    applied_cents: int = 0  # what pays the expected item
    surplus_cents: int = 0  # received beyond what was expected
    shortfall_cents: int = 0  # still expected after this transfer

    @property
    def matched(self) -> bool:
        return self.expected is not None

    @property
    def partial(self) -> bool:
        return self.shortfall_cents > 0


def match_transfer(
    reference: str, amount_cents: int, expected: Iterable[Expected]
) -> TransferMatch:
    """What a received transfer pays, if anything."""
    problem = amount_problem(amount_cents)
    if problem:
        raise InvalidArgument.for_field("amount", problem)
    key = normalise_reference(reference)
    found = next((item for item in expected if normalise_reference(item.reference) == key), None)
    if found is None or not key:
        return TransferMatch(expected=None)
    applied = min(amount_cents, found.amount_cents)
    return TransferMatch(
        expected=found,
        applied_cents=applied,
        surplus_cents=amount_cents - applied,
        shortfall_cents=found.amount_cents - applied,
    )


@dataclass(frozen=True)
class Transfer:
    """A received transfer, matched or not (kept either way)."""

    id: str
    received_on: date
    amount_cents: int
    reference: str
    payer: str
    matched: bool
    entity_id: str = ""
    order_id: str = ""
    document_id: str = ""
    payment_id: str = ""
    surplus_cents: int = 0
    created_at: datetime | None = None

    def paid_by(self, payment_id: str) -> Transfer:
        return replace(self, payment_id=payment_id)


def received_transfer(
    *,
    transfer_id: str,
    received_on: date,
    amount_cents: int,
    reference: str,
    payer: str,
    match: TransferMatch,
    at: datetime,
) -> Transfer:
    """The transfer as it is kept: what it matched, and what it brought beyond it."""
    found = match.expected
    return Transfer(
        id=transfer_id,
        received_on=received_on,
        amount_cents=amount_cents,
        reference=reference,
        payer=payer,
        matched=match.matched,
        entity_id=found.entity_id if found else "",
        order_id=found.order_id if found else "",
        document_id=found.document_id if found else "",
        surplus_cents=match.surplus_cents,
        created_at=at,
    )


def rematched(transfer: Transfer, match: TransferMatch) -> Transfer:
    """An unmatched transfer, kept, once a reference it quotes became expected:
    what it pays now (a transfer is matched once, never again)."""
    if transfer.matched:
        raise InvalidArgument.for_field("transfer", "is already matched")
    found = match.expected
    if found is None:
        return transfer
    return replace(
        transfer,
        matched=True,
        entity_id=found.entity_id,
        order_id=found.order_id,
        document_id=found.document_id,
        surplus_cents=match.surplus_cents,
    )


@dataclass(frozen=True)
class StatementLine:
    line_number: int
    received_on: date
    amount_cents: int
    reference: str
    payer: str


def parse_amount_cents(raw: str) -> int | None:
    """``1 234,56`` / ``1234.5`` / ``12`` -> cents; None if not a positive amount."""
    text = _SPACES.sub("", raw)
    if not _AMOUNT.match(text):
        return None
    try:
        cents = Decimal(text.replace(",", ".")) * 100
    except InvalidOperation:  # pragma: no cover - the pattern already rules it out
        return None
    return int(cents) if cents > 0 else None


def parse_date(raw: str) -> date | None:
    text = raw.strip()
    french = _FR_DATE.match(text)
    if not french:
        return parse_iso_date(text)
    try:
        return date(int(french.group(3)), int(french.group(2)), int(french.group(1)))
    except ValueError:
        return None


def parse_bank_statement(data: bytes) -> list[StatementLine]:
    """Every transfer of the statement, or InvalidArgument listing every bad line."""
    violations = Violations()
    parsed: list[StatementLine] = []
    for number, cells in csv_rows(data, header="date"):
        if len(parsed) + len(violations.items) >= MAX_LINES:
            violations.add("file", f"must have at most {MAX_LINES} lines")
            break
        at = f"line {number}"
        if len(cells) not in (3, 4):
            violations.add(at, "expected the columns date;amount;reference;payer")
            continue
        received_on = parse_date(cells[0])
        amount = parse_amount_cents(cells[1])
        reference = " ".join(cells[2].split())
        payer = " ".join(cells[3].split()) if len(cells) == 4 else ""
        if received_on is None:
            violations.add(f"{at}: date", "must be a date YYYY-MM-DD or DD/MM/YYYY")
        if amount is None:
            violations.add(f"{at}: amount", "must be a positive amount, e.g. 120,50")
        elif problem := amount_problem(amount):
            violations.add(f"{at}: amount", problem)
            amount = None
        if not reference:
            violations.add(f"{at}: reference", "is required")
        elif len(reference) > REFERENCE_MAX:
            violations.add(f"{at}: reference", f"must be at most {REFERENCE_MAX} characters")
        if len(payer) > PAYER_MAX:
            violations.add(f"{at}: payer", f"must be at most {PAYER_MAX} characters")
        if received_on is not None and amount is not None and reference:
            parsed.append(StatementLine(number, received_on, amount, reference, payer))
    violations.raise_if_any("INVALID_BANK_STATEMENT")
    return parsed
