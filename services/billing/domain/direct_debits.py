"""SEPA Core direct debits: a batch collecting the due invoices of accounts with
an active mandate, and its settlement once the bank collected it.

Collecting: the collection date is at least the pre-notification period after
today (the SEPA rulebook's default is 14 calendar days). An invoice is due when
something remains to pay on it, it falls due on or before the collection date,
it is not credited and no pending debit holds it already: one debit per
invoice at a time, for what remains. Each entity is debited under its newest
active mandate whose IBAN billing holds (mandates recorded before the IBAN was
kept cannot be collected). A mandate's debits are FRST in its first collection
(every debit of that batch under it) and RCUR once the bank has had one: a
debit rejected before collection, or cancelled, does not count.

Settling: each pending debit becomes a succeeded DIRECT_DEBIT payment of what it
collects; a debit whose invoice was credited meanwhile is cancelled instead.
A settled batch never changes again.

The bank's returns are in `debit_returns.py`."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from portal_runtime.money import amount_problem

from .documents import Document, DocumentType
from .mandates import Mandate, MandateStatus
from .payments import Allocation

DEFAULT_MIN_NOTICE_DAYS = 14
SEPA_ID_MAX = 35
CANCELLED_CREDITED = "INVOICE_CREDITED"


class DebitStatus(StrEnum):
    PENDING = "PENDING"
    COLLECTED = "COLLECTED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


class SequenceType(StrEnum):
    FIRST = "FRST"
    RECURRING = "RCUR"


class BatchStatus(StrEnum):
    OPEN = "OPEN"
    SETTLED = "SETTLED"


# A mandate under which the bank has had a debit: the next one is recurring.
PRESENTED = frozenset({DebitStatus.PENDING, DebitStatus.COLLECTED, DebitStatus.RETURNED})


@dataclass(frozen=True)
class DirectDebit:
    id: str
    batch_id: str
    entity_id: str
    mandate_id: str
    mandate_reference: str
    document_id: str
    document_number: str
    amount_cents: int
    sequence_type: SequenceType
    end_to_end_id: str
    collection_date: date
    iban_masked: str = ""
    order_id: str = ""
    status: DebitStatus = DebitStatus.PENDING
    payment_id: str = ""
    # What its payment paid on the invoice (less than the amount when the invoice
    # was partly paid meanwhile): a return takes back exactly this.
    applied_cents: int = 0
    reason: str = ""  # the bank's return code, or why it was cancelled
    returned_on: date | None = None
    created_at: datetime | None = None

    @property
    def allocation(self) -> Allocation:
        """What its DIRECT_DEBIT payment pays: its invoice, the amount collected."""
        return Allocation(self.document_id, self.document_number, self.amount_cents)

    def collected(self, payment_id: str, applied_cents: int) -> DirectDebit:
        self._ensure_pending()
        return dataclasses.replace(
            self, status=DebitStatus.COLLECTED, payment_id=payment_id, applied_cents=applied_cents
        )

    def cancelled(self, reason: str) -> DirectDebit:
        self._ensure_pending()
        return dataclasses.replace(self, status=DebitStatus.CANCELLED, reason=reason)

    def _ensure_pending(self) -> None:
        if self.status is not DebitStatus.PENDING:
            raise FailedPrecondition(
                "DIRECT_DEBIT_NOT_PENDING", f"direct debit {self.end_to_end_id} is {self.status}"
            )


@dataclass(frozen=True)
class DebitBatch:
    id: str
    message_id: str
    collection_date: date
    creditor_id: str
    debits: tuple[DirectDebit, ...]
    status: BatchStatus = BatchStatus.OPEN
    created_at: datetime | None = None
    settled_at: datetime | None = None

    @property
    def total_cents(self) -> int:
        return sum(debit.amount_cents for debit in self.debits)

    @property
    def settled(self) -> bool:
        return self.status is BatchStatus.SETTLED

    def settle(self, changed: Iterable[DirectDebit], at: datetime) -> DebitBatch:
        """The batch collected: `changed` debits in place of their pending selves."""
        if self.settled:
            raise FailedPrecondition("BATCH_ALREADY_SETTLED", f"batch {self.id} is settled")
        by_id = {debit.id: debit for debit in changed}
        return dataclasses.replace(
            self,
            debits=tuple(by_id.get(debit.id, debit) for debit in self.debits),
            status=BatchStatus.SETTLED,
            settled_at=at,
        )


@dataclass(frozen=True)
class DirectDebitScheduled:
    """A debit was put in a batch: the customer's pre-notification."""

    entity_id: str
    debit_id: str
    document_id: str
    document_number: str
    amount_cents: int
    collection_date: date
    mandate_reference: str
    creditor_id: str
    iban_masked: str
    sequence_type: SequenceType


# ---- collecting -----------------------------------------------------------------------
def earliest_collection(today: date, min_notice_days: int) -> date:
    return today + timedelta(days=min_notice_days)


def collection_date_for(day: date | None, *, today: date, min_notice_days: int) -> date:
    """The requested collection date, if the customers can be told in time."""
    if day is None:
        raise InvalidArgument.for_field("collectionDate", "must be a date YYYY-MM-DD")
    earliest = earliest_collection(today, min_notice_days)
    if day < earliest:
        raise InvalidArgument.for_field(
            "collectionDate",
            f"must be on or after {earliest.isoformat()}: customers are told "
            f"{min_notice_days} days before a debit",
        )
    return day


def collecting_mandates(mandates: Iterable[Mandate]) -> dict[str, Mandate]:
    """Per entity, the newest active mandate whose IBAN billing holds."""
    chosen: dict[str, Mandate] = {}
    for mandate in mandates:
        if mandate.status is not MandateStatus.ACTIVE or not mandate.iban_secret_id:
            continue
        known = chosen.get(mandate.entity_id)
        if known is None or (mandate.created_at, mandate.id) > (known.created_at, known.id):
            chosen[mandate.entity_id] = mandate
    return chosen


def is_due(invoice: Document, collection_date: date, pending_documents: Collection[str]) -> bool:
    return (
        invoice.type is DocumentType.INVOICE
        and not invoice.credited
        and invoice.remaining_cents > 0
        and invoice.due_date <= collection_date
        and invoice.id not in pending_documents
    )


def _sepa_id(text: str) -> str:
    """Letters, digits and dashes, 35 at most (what every bank takes in an id)."""
    return re.sub(r"[^A-Za-z0-9-]", "", text)[:SEPA_ID_MAX]


def message_id(batch_id: str, collection_date: date) -> str:
    return _sepa_id(f"PTL-{collection_date:%Y%m%d}-{batch_id[:16].upper()}")


def end_to_end_id(document_number: str, debit_id: str) -> str:
    """The invoice's number and a part of the debit's id: the customer's bank
    statement quotes it, and so do the bank's returns."""
    return _sepa_id(f"{document_number[:20]}-{debit_id[:12].upper()}")


def plan_batch(
    *,
    batch_id: str,
    collection_date: date,
    creditor_id: str,
    invoices: Iterable[Document],
    mandates: Mapping[str, Mandate],
    presented_mandates: Collection[str],
    pending_documents: Collection[str],
    new_id: Callable[[], str],
    at: datetime,
) -> tuple[DebitBatch, list[DirectDebitScheduled]]:
    """The batch of every due invoice of an entity in `mandates` (see
    `collecting_mandates`), oldest first, and each debit's pre-notification;
    FAILED_PRECONDITION NOTHING_TO_COLLECT when there is none."""
    due = sorted(
        (
            invoice
            for invoice in invoices
            if invoice.entity_id in mandates and is_due(invoice, collection_date, pending_documents)
        ),
        key=lambda invoice: (invoice.entity_id, invoice.due_date, invoice.number),
    )
    if not due:
        raise FailedPrecondition(
            "NOTHING_TO_COLLECT",
            f"no invoice of an account with an active mandate is due by {collection_date}",
        )
    debits: list[DirectDebit] = []
    for invoice in due:
        mandate = mandates[invoice.entity_id]
        amount = invoice.remaining_cents
        if problem := amount_problem(amount):
            raise InvalidArgument.for_field("amount", f"{invoice.number}: {problem}")
        debit_id = new_id()
        debits.append(
            DirectDebit(
                id=debit_id,
                batch_id=batch_id,
                entity_id=invoice.entity_id,
                mandate_id=mandate.id,
                mandate_reference=mandate.reference,
                document_id=invoice.id,
                document_number=invoice.number,
                amount_cents=amount,
                sequence_type=(
                    SequenceType.RECURRING
                    if mandate.id in presented_mandates
                    else SequenceType.FIRST
                ),
                end_to_end_id=end_to_end_id(invoice.number, debit_id),
                collection_date=collection_date,
                iban_masked=mandate.iban_masked,
                order_id=invoice.order_id,
                created_at=at,
            )
        )
    batch = DebitBatch(
        id=batch_id,
        message_id=message_id(batch_id, collection_date),
        collection_date=collection_date,
        creditor_id=creditor_id,
        debits=tuple(debits),
        created_at=at,
    )
    return batch, [_scheduled(debit, creditor_id) for debit in debits]


def _scheduled(debit: DirectDebit, creditor_id: str) -> DirectDebitScheduled:
    return DirectDebitScheduled(
        entity_id=debit.entity_id,
        debit_id=debit.id,
        document_id=debit.document_id,
        document_number=debit.document_number,
        amount_cents=debit.amount_cents,
        collection_date=debit.collection_date,
        mandate_reference=debit.mandate_reference,
        creditor_id=creditor_id,
        iban_masked=debit.iban_masked,
        sequence_type=debit.sequence_type,
    )


# ---- settling -------------------------------------------------------------------------
@dataclass(frozen=True)
class SettlementPlan:
    """What settling a batch does: the pending debits to collect (each with its
    invoice) and those cancelled because their invoice was credited."""

    collect: tuple[tuple[DirectDebit, Document], ...]
    cancelled: tuple[DirectDebit, ...]


def plan_settlement(batch: DebitBatch, documents: Sequence[Document]) -> SettlementPlan:
    if batch.settled:
        raise FailedPrecondition("BATCH_ALREADY_SETTLED", f"batch {batch.id} is settled")
    by_id = {doc.id: doc for doc in documents}
    collect: list[tuple[DirectDebit, Document]] = []
    cancelled: list[DirectDebit] = []
    for debit in batch.debits:
        if debit.status is not DebitStatus.PENDING:
            continue
        invoice = by_id.get(debit.document_id)
        if invoice is None or invoice.credited:
            cancelled.append(debit.cancelled(CANCELLED_CREDITED))
        else:
            collect.append((debit, invoice))
    return SettlementPlan(tuple(collect), tuple(cancelled))


def applied_cents(before: Document, after: Sequence[Document]) -> int:
    """What a settlement paid on `before` (0 when it had nothing left to pay)."""
    now = next((doc for doc in after if doc.id == before.id), before)
    return now.paid_cents - before.paid_cents
