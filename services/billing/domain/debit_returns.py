"""The bank's direct-debit returns (R-transactions): what one does, and the
file an operator imports them from.

A pending debit sent back is rejected (nothing was paid); a collected one sent
back is returned, and what its payment paid on the invoice is due again (exact
to the cent: the amount applied, kept at settlement); the payment is marked
returned. A return applied once changes nothing the second time.

CSV columns ``end_to_end_id;reason_code[;date]`` (``;`` or ``,`` separated,
optional header whose first cell is ``end_to_end_id``), read as the bank
statement is (`csv_files.py`). The reason is an ISO 20022 code of the SEPA
rulebook (e.g. ``AM04`` insufficient funds, ``MD06`` refund requested by the
debtor); the date, ``YYYY-MM-DD`` or ``DD/MM/YYYY``, defaults to the day of the
import. Every bad line is reported as ``line <n>: <field>`` and nothing is
applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from portal_runtime.errors import FailedPrecondition, Violations

from .csv_files import csv_rows
from .direct_debits import SEPA_ID_MAX, DebitStatus, DirectDebit
from .documents import Document, reverse_payment
from .payments import Payment, return_payment
from .transfers import parse_date

MAX_LINES = 100_000
COLUMNS = ("end_to_end_id", "reason_code", "date")

# The reason codes of SEPA Core R-transactions (EPC guidance on reason codes).
REASON_CODES = frozenset(
    {
        "AC01", "AC04", "AC06", "AC13", "AG01", "AG02", "AM04", "AM05", "BE05", "CNOR",
        "DNOR", "FF01", "FF05", "MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "RC01",
        "RR01", "RR02", "RR03", "RR04", "SL01", "CUST", "DUPL", "TECH", "FRAD",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ReturnLine:
    line_number: int
    end_to_end_id: str
    reason_code: str
    returned_on: date | None


def parse_returns(data: bytes) -> list[ReturnLine]:
    """Every return of the file, or InvalidArgument listing every bad line."""
    violations = Violations()
    parsed: list[ReturnLine] = []
    for index, (number, cells) in enumerate(csv_rows(data, header=COLUMNS[0])):
        if index >= MAX_LINES:
            violations.add("file", f"must have at most {MAX_LINES} lines")
            break
        at = f"line {number}"
        if len(cells) not in (2, 3):
            violations.add(at, "expected the columns end_to_end_id;reason_code[;date]")
            continue
        end_to_end = cells[0].strip()
        code = cells[1].strip().upper()
        raw_day = cells[2].strip() if len(cells) == 3 else ""
        day = parse_date(raw_day) if raw_day else None
        ok = True
        if not end_to_end:
            violations.add(f"{at}: end_to_end_id", "is required")
            ok = False
        elif len(end_to_end) > SEPA_ID_MAX:
            violations.add(f"{at}: end_to_end_id", f"must be at most {SEPA_ID_MAX} characters")
            ok = False
        if code not in REASON_CODES:
            violations.add(f"{at}: reason_code", "must be a SEPA return reason code, e.g. AM04")
            ok = False
        if raw_day and day is None:
            violations.add(f"{at}: date", "must be a date YYYY-MM-DD or DD/MM/YYYY")
            ok = False
        if ok:
            parsed.append(ReturnLine(number, end_to_end, code, day))
    violations.raise_if_any("INVALID_RETURNS_FILE")
    return parsed


def check_known(lines: Sequence[ReturnLine], known: Collection[str]) -> None:
    """InvalidArgument naming every line whose end-to-end id is no debit's."""
    violations = Violations()
    for line in lines:
        if line.end_to_end_id not in known:
            violations.add(f"line {line.line_number}: end_to_end_id", "matches no direct debit")
    violations.raise_if_any("INVALID_RETURNS_FILE")


@dataclass(frozen=True)
class DirectDebitReturned:
    """The bank sent a debit back; `reopened`: it had been collected, its invoice
    is due again."""

    entity_id: str
    debit_id: str
    document_id: str
    document_number: str
    amount_cents: int
    reason_code: str
    returned_on: date
    mandate_reference: str
    reopened: bool


# ---- applying a return --------------------------------------------------------------------------
@dataclass(frozen=True)
class ReturnApplied:
    debit: DirectDebit
    fact: DirectDebitReturned
    document: Document | None = None  # the invoice reopened
    payment: Payment | None = None  # the payment marked returned


def apply_return(
    debit: DirectDebit,
    *,
    reason_code: str,
    returned_on: date,
    document: Document | None = None,
    payment: Payment | None = None,
) -> ReturnApplied | None:
    """A return of `debit` (for a collected one, its invoice and payment are
    needed); None when it changes nothing (applied already, or cancelled)."""
    reopened = debit.status is DebitStatus.COLLECTED
    if debit.status is DebitStatus.PENDING:
        status = DebitStatus.REJECTED
    elif reopened:
        status = DebitStatus.RETURNED
        if document is None or payment is None:
            raise FailedPrecondition(
                "DIRECT_DEBIT_PAYMENT_MISSING", f"{debit.end_to_end_id}: its payment is unknown"
            )
        if debit.applied_cents > 0:
            document = reverse_payment(document, debit.applied_cents)
        payment = return_payment(payment, reason=reason_code)
    else:
        return None
    changed = dataclasses.replace(debit, status=status, reason=reason_code, returned_on=returned_on)
    fact = DirectDebitReturned(
        entity_id=debit.entity_id,
        debit_id=debit.id,
        document_id=debit.document_id,
        document_number=debit.document_number,
        amount_cents=debit.amount_cents,
        reason_code=reason_code,
        returned_on=returned_on,
        mandate_reference=debit.mandate_reference,
        reopened=reopened,
    )
    if not reopened:
        return ReturnApplied(changed, fact)
    return ReturnApplied(changed, fact, document, payment)
