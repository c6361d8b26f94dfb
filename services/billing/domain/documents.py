"""Documents: invoices, credit notes and statements.

Amounts are integer cents, VAT rates integer basis points (2000 = 20 %). VAT is
computed per rate on the sum of the lines of that rate, rounded half-up to the
cent, by the shared rule of `portal_runtime.money`. Numbers are gapless per type
and year across all customers (the issuer's sequence), from a sequence number the
caller draws in its own transaction. Only
invoices are paid; a credit note cancels an invoice once and for all. Issuing a
document (an invoice, a statement, a credit note) states the `DocumentIssued` fact."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations
from portal_runtime.money import (
    MAX_OPERATION_CENTS,
    Totals,
    totals_by_rate,
    vat_rate_problem,
)

DEFAULT_PAYMENT_TERM_DAYS = 30
RETENTION_YEARS = 5
MAX_SEQUENCE = 99_999_999
LABEL_MAX = 200
MAX_QUANTITY = 1_000_000
SOURCE_KEY_MAX = 100  # documents.source_key


class DocumentType(StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"
    STATEMENT = "STATEMENT"


NUMBER_PREFIXES = {
    DocumentType.INVOICE: "FAC",
    DocumentType.CREDIT_NOTE: "AV",
    DocumentType.STATEMENT: "REL",
}
_NUMBER = re.compile(r"^(FAC|AV|REL)-(\d{4})-(\d{6,8})$")


@dataclass(frozen=True)
class Line:
    label: str
    quantity: int
    unit_price_cents: int  # excluding tax
    vat_rate_bp: int

    @property
    def total_excl_cents(self) -> int:
        return self.quantity * self.unit_price_cents


def compute_totals(lines: Sequence[Line]) -> Totals:
    """The document's totals by the shared money rule (VAT per rate, half-up)."""
    return totals_by_rate((line.total_excl_cents, line.vat_rate_bp) for line in lines)


def source_key(prefix: str, identifier: str, field_name: str) -> str:
    """`<prefix><identifier>`: what a document that is no order's bills (the
    fleet request, the quote, the parking statement), unique per type of
    document; InvalidArgument naming `field_name` when the identifier is
    missing or too long to be stored."""
    identifier = identifier.strip()
    if not identifier:
        raise InvalidArgument.for_field(field_name, "is required", reason="REQUIRED_FIELD")
    if len(prefix) + len(identifier) > SOURCE_KEY_MAX:
        limit = SOURCE_KEY_MAX - len(prefix)
        raise InvalidArgument.for_field(field_name, f"must be at most {limit} characters")
    return f"{prefix}{identifier}"


def document_number(doc_type: DocumentType, year: int, sequence: int) -> str:
    """``FAC-<year>-<6 digits>`` (invoices), ``AV-`` (credit notes), ``REL-``
    (statements), from the issuer's sequence for that type and year: one
    sequence across all customers, so that a number identifies one document (EU VAT
    Directive art. 226(2)). Six digits at least, more past 999,999."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise InvalidArgument.for_field(
            "sequence",
            f"must be between 1 and {MAX_SEQUENCE}",
            reason="DOCUMENT_SEQUENCE_EXHAUSTED",
        )
    if not 1000 <= year <= 9999:
        raise InvalidArgument.for_field("year", "must have four digits")
    return f"{NUMBER_PREFIXES[doc_type]}-{year:04d}-{sequence:06d}"


def parse_document_number(number: str) -> tuple[DocumentType, int, int] | None:
    """(type, year, sequence) of a well-formed number, else None."""
    match = _NUMBER.match(number.strip().upper())
    if not match:
        return None
    by_prefix = {prefix: kind for kind, prefix in NUMBER_PREFIXES.items()}
    return by_prefix[match.group(1)], int(match.group(2)), int(match.group(3))


def due_date(issue_date: date, days: int = DEFAULT_PAYMENT_TERM_DAYS) -> date:
    return issue_date + timedelta(days=days)


def retention_until(issue_date: date) -> date:
    """The last day a document must be kept: its issue date plus five years."""
    try:
        return issue_date.replace(year=issue_date.year + RETENTION_YEARS)
    except ValueError:  # 29 February -> 1 March
        return date(issue_date.year + RETENTION_YEARS, 3, 1)


def is_retained(issue_date: date, today: date) -> bool:
    """Whether a document is still within its retention period (lists show these)."""
    return today <= retention_until(issue_date)


def kept_since(today: date) -> date:
    """The oldest issue date still listed (retention: five years)."""
    try:
        return today.replace(year=today.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - RETENTION_YEARS, day=28) + timedelta(days=1)


@dataclass(frozen=True)
class Document:
    id: str
    entity_id: str
    type: DocumentType
    number: str
    issue_date: date
    due_date: date
    lines: tuple[Line, ...]
    contract_number: str = ""
    period_start: date | None = None
    period_end: date | None = None
    order_id: str = ""
    credits_document_id: str = ""  # a credit note: the invoice it cancels
    credited_by_id: str = ""  # an invoice: the credit note that cancelled it
    paid_cents: int = 0
    # What a document bills when it is no order ("fleet-request:<id>",
    # "quote:<id>", "parking-statement:<id>"): one invoice (or statement) per
    # source, however often its event comes.
    source_key: str = ""
    # The customer's purchase-order reference, printed on the document.
    purchase_order_reference: str = ""

    @cached_property
    def totals(self) -> Totals:
        # Lines never change (frozen): computed once, not for each of
        # remaining_cents, paid and the totals a page prints.
        return compute_totals(self.lines)

    @property
    def credited(self) -> bool:
        return bool(self.credited_by_id)

    @property
    def remaining_cents(self) -> int:
        """What is still to pay: only an invoice not credited has something to pay."""
        if self.type is not DocumentType.INVOICE or self.credited:
            return 0
        return max(self.totals.incl_cents - self.paid_cents, 0)

    @property
    def paid(self) -> bool:
        return self.remaining_cents == 0

    @property
    def payment_status(self) -> str:
        """What the PDF says of an invoice's payment ("" for other documents)."""
        if self.type is not DocumentType.INVOICE:
            return ""
        if self.credited:
            return "CREDITED"
        if self.paid:
            return "PAID"
        return "PARTIALLY_PAID" if self.paid_cents else "UNPAID"


@dataclass(frozen=True)
class DocumentIssued:
    """A document was numbered and issued (DocumentIssued)."""

    document_id: str
    entity_id: str
    number: str
    type: DocumentType
    total_incl_cents: int
    due_date: date
    order_id: str


def _issued(document: Document) -> DocumentIssued:
    return DocumentIssued(
        document_id=document.id,
        entity_id=document.entity_id,
        number=document.number,
        type=document.type,
        total_incl_cents=document.totals.incl_cents,
        due_date=document.due_date,
        order_id=document.order_id,
    )


def issue_document(
    *,
    document_id: str,
    entity_id: str,
    doc_type: DocumentType,
    number: str,
    issue_date: date,
    lines: Sequence[Line],
    contract_number: str = "",
    period_start: date | None = None,
    period_end: date | None = None,
    order_id: str = "",
    source_key: str = "",
    purchase_order_reference: str = "",
) -> tuple[Document, DocumentIssued]:
    """A new document issued on `issue_date` under `number`: an invoice falls due
    after the payment term, any other document on the day it is issued."""
    document = Document(
        id=document_id,
        entity_id=entity_id,
        type=doc_type,
        number=number,
        issue_date=issue_date,
        due_date=due_date(issue_date) if doc_type is DocumentType.INVOICE else issue_date,
        lines=tuple(lines),
        contract_number=contract_number,
        period_start=period_start,
        period_end=period_end,
        order_id=order_id,
        source_key=source_key,
        purchase_order_reference=purchase_order_reference,
    )
    return document, _issued(document)


def validate_lines(doc_type: DocumentType, lines: Sequence[Line]) -> tuple[Line, ...]:
    """The lines of an operator-issued document with labels tidied, or
    InvalidArgument naming every problem (``lines[2].vatRateBp``)."""
    violations = Violations()
    if not lines:
        violations.add("lines", "at least one line is required")
    clean: list[Line] = []
    for index, line in enumerate(lines):
        at = f"lines[{index}]"
        label = " ".join(line.label.split())
        if not label:
            violations.add(f"{at}.label", "is required")
        elif len(label) > LABEL_MAX:
            violations.add(f"{at}.label", f"must be at most {LABEL_MAX} characters")
        if line.quantity <= 0:
            violations.add(f"{at}.quantity", "must be greater than 0")
        elif line.quantity > MAX_QUANTITY:
            violations.add(f"{at}.quantity", f"must be at most {MAX_QUANTITY}")
        if doc_type is DocumentType.INVOICE and line.unit_price_cents < 0:
            violations.add(f"{at}.unitPriceExclTax", "must not be negative on an invoice")
        elif abs(line.unit_price_cents) * max(line.quantity, 1) > MAX_OPERATION_CENTS:
            violations.add(
                f"{at}.unitPriceExclTax", f"the line must total at most {MAX_OPERATION_CENTS} cents"
            )
        vat_problem = vat_rate_problem(line.vat_rate_bp)
        if vat_problem:
            violations.add(f"{at}.vatRateBp", vat_problem)
        clean.append(dataclasses.replace(line, label=label))
    if not violations and compute_totals(clean).incl_cents > MAX_OPERATION_CENTS:
        violations.add("lines", f"the document must total at most {MAX_OPERATION_CENTS} cents")
    violations.raise_if_any()
    return tuple(clean)


def ensure_creditable(invoice: Document) -> None:
    """Only an invoice is credited, and only once."""
    if invoice.type is not DocumentType.INVOICE:
        raise FailedPrecondition(
            "DOCUMENT_NOT_CREDITABLE",
            f"{invoice.number} is not an invoice; only invoices are credited",
        )
    if invoice.credited:
        raise FailedPrecondition(
            "DOCUMENT_ALREADY_CREDITED", f"{invoice.number} has already been credited"
        )


def credit_note_for(
    invoice: Document, *, credit_note_id: str, number: str, issue_date: date
) -> tuple[Document, Document, DocumentIssued]:
    """The credit note cancelling `invoice` (same lines, so its totals read positive),
    the invoice, now credited (nothing left to pay on it), and the note's issue."""
    ensure_creditable(invoice)
    note = Document(
        id=credit_note_id,
        entity_id=invoice.entity_id,
        type=DocumentType.CREDIT_NOTE,
        number=number,
        issue_date=issue_date,
        due_date=issue_date,
        lines=invoice.lines,
        contract_number=invoice.contract_number,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        order_id=invoice.order_id,
        credits_document_id=invoice.id,
        purchase_order_reference=invoice.purchase_order_reference,
    )
    return note, dataclasses.replace(invoice, credited_by_id=credit_note_id), _issued(note)


def ensure_payable(document: Document) -> None:
    """Refuses a credited invoice, a paid one, and anything that is not an invoice."""
    if document.type is DocumentType.INVOICE and document.credited:
        raise FailedPrecondition(
            "DOCUMENT_CREDITED", f"{document.number} was cancelled by a credit note"
        )
    if document.type is not DocumentType.INVOICE:
        raise FailedPrecondition(
            "DOCUMENT_NOT_PAYABLE", f"{document.number} is not an invoice; nothing to pay"
        )
    if document.remaining_cents == 0:
        raise FailedPrecondition("DOCUMENT_ALREADY_PAID", f"{document.number} is already paid")


def record_payment(document: Document, amount_cents: int) -> Document:
    """`document` with `amount_cents` more paid (at most its remaining)."""
    ensure_payable(document)
    if not 0 < amount_cents <= document.remaining_cents:
        raise InvalidArgument.for_field(
            "amount", f"must be between 1 and {document.remaining_cents} cents"
        )
    return dataclasses.replace(document, paid_cents=document.paid_cents + amount_cents)


def reverse_payment(document: Document, amount_cents: int) -> Document:
    """`document` with `amount_cents` less paid: money that paid it came back (a
    returned direct debit). A credited invoice stays credited."""
    if not 0 < amount_cents <= document.paid_cents:
        raise InvalidArgument.for_field(
            "amount", f"must be between 1 and {document.paid_cents} cents (what was paid)"
        )
    return dataclasses.replace(document, paid_cents=document.paid_cents - amount_cents)
