"""Protobuf <-> domain objects and read models, for the servicers."""

from __future__ import annotations

from datetime import date

from portal.billing.v1 import billing_pb2 as pb
from portal_runtime.protos import (
    fill_priced_lines,
    money,
    set_money,
    set_timestamp,
    set_totals,
    to_timestamp,
)
from services.billing.domain.claims import Claim, ClaimStatus
from services.billing.domain.direct_debits import BatchStatus, DebitBatch, DebitStatus, DirectDebit
from services.billing.domain.documents import DocumentType, Line
from services.billing.domain.mandates import Mandate
from services.billing.domain.transfers import Transfer
from services.billing.store import DocumentView, PaymentView

DOCUMENT_TYPE = {
    DocumentType.INVOICE: pb.DOCUMENT_TYPE_INVOICE,
    DocumentType.CREDIT_NOTE: pb.DOCUMENT_TYPE_CREDIT_NOTE,
    DocumentType.STATEMENT: pb.DOCUMENT_TYPE_STATEMENT,
}
DOCUMENT_TYPE_OF = {number: kind for kind, number in DOCUMENT_TYPE.items()}
PAYMENT_STATE = {
    "PENDING": pb.PAYMENT_STATE_PENDING,
    "ACTION_REQUIRED": pb.PAYMENT_STATE_ACTION_REQUIRED,
    "SUCCEEDED": pb.PAYMENT_STATE_SUCCEEDED,
    "FAILED": pb.PAYMENT_STATE_FAILED,
    "RETURNED": pb.PAYMENT_STATE_RETURNED,
}
CLAIM_STATUS = {
    ClaimStatus.OPEN: pb.CLAIM_STATUS_OPEN,
    ClaimStatus.IN_PROGRESS: pb.CLAIM_STATUS_IN_PROGRESS,
    ClaimStatus.ACCEPTED: pb.CLAIM_STATUS_ACCEPTED,
    ClaimStatus.REJECTED: pb.CLAIM_STATUS_REJECTED,
}
CLAIM_STATUS_OF = {number: status for status, number in CLAIM_STATUS.items()}
DEBIT_STATUS = {
    DebitStatus.PENDING: pb.DIRECT_DEBIT_STATUS_PENDING,
    DebitStatus.COLLECTED: pb.DIRECT_DEBIT_STATUS_COLLECTED,
    DebitStatus.REJECTED: pb.DIRECT_DEBIT_STATUS_REJECTED,
    DebitStatus.RETURNED: pb.DIRECT_DEBIT_STATUS_RETURNED,
    DebitStatus.CANCELLED: pb.DIRECT_DEBIT_STATUS_CANCELLED,
}
BATCH_STATUS = {
    BatchStatus.OPEN: pb.DIRECT_DEBIT_BATCH_STATUS_OPEN,
    BatchStatus.SETTLED: pb.DIRECT_DEBIT_BATCH_STATUS_SETTLED,
}


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def document(view: DocumentView) -> pb.Document:
    message = pb.Document()
    fill_document(message, view)
    return message


def fill_document(message: pb.Document, view: DocumentView) -> None:
    """Writes the document into `message` (e.g. a page's `documents.add()`: no copy)."""
    doc = view.document
    totals = doc.totals
    message.id = doc.id
    message.type = DOCUMENT_TYPE[doc.type]
    message.number = doc.number
    message.contract_number = doc.contract_number
    message.issue_date = _day(doc.issue_date)
    message.period_start = _day(doc.period_start)
    message.period_end = _day(doc.period_end)
    fill_priced_lines(message.lines, doc.lines)
    set_totals(message, totals)
    set_money(message.remaining, doc.remaining_cents)
    message.paid = doc.paid
    message.due_date = _day(doc.due_date)
    message.order_id = doc.order_id
    message.credits_document_id = doc.credits_document_id
    set_timestamp(message.created_at, view.created_at)
    message.purchase_order_reference = doc.purchase_order_reference


def lines_input(lines) -> list[Line]:  # type: ignore[no-untyped-def]
    return [
        Line(
            label=line.label,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_excl_tax.amount_cents,
            vat_rate_bp=line.vat_rate_bp,
        )
        for line in lines
    ]


def payment(view: PaymentView) -> pb.Payment:
    p = view.payment
    return pb.Payment(
        id=p.id,
        state=PAYMENT_STATE[p.state.value],
        amount=money(p.amount_cents),
        method=p.method,
        redirect_url=view.redirect_url,
        document_ids=[a.document_id for a in p.allocations],
        order_id=p.order_id,
        failure_reason=p.failure_reason,
        created_at=to_timestamp(p.created_at),
        completed_at=to_timestamp(p.completed_at),
    )


def mandate(m: Mandate) -> pb.Mandate:
    return pb.Mandate(
        id=m.id,
        iban_masked=m.iban_masked,
        bic=m.bic,
        holder=m.holder,
        reference=m.reference,
        status=m.status.value,
        created_at=to_timestamp(m.created_at),
        revoked_at=to_timestamp(m.revoked_at),
        entity_id=m.entity_id,
    )


def claim(c: Claim) -> pb.Claim:
    return pb.Claim(
        id=c.id,
        document_id=c.document_id,
        document_number=c.document_number,
        reason=c.reason.value,
        message=c.message,
        status=CLAIM_STATUS[c.status],
        answer=c.answer,
        created_at=to_timestamp(c.created_at),
        answered_at=to_timestamp(c.answered_at),
        entity_id=c.entity_id,
    )


def transfer(t: Transfer) -> pb.Transfer:
    return pb.Transfer(
        id=t.id,
        received_on=_day(t.received_on),
        amount=money(t.amount_cents),
        reference=t.reference,
        payer=t.payer,
        entity_id=t.entity_id,
        order_id=t.order_id,
        document_id=t.document_id,
        matched=t.matched,
        payment_id=t.payment_id,
    )


def direct_debit(d: DirectDebit) -> pb.DirectDebit:
    return pb.DirectDebit(
        id=d.id,
        entity_id=d.entity_id,
        mandate_id=d.mandate_id,
        mandate_reference=d.mandate_reference,
        document_id=d.document_id,
        document_number=d.document_number,
        order_id=d.order_id,
        amount=money(d.amount_cents),
        sequence_type=d.sequence_type.value,
        end_to_end_id=d.end_to_end_id,
        status=DEBIT_STATUS[d.status],
        payment_id=d.payment_id,
        reason=d.reason,
        returned_on=_day(d.returned_on),
        iban_masked=d.iban_masked,
    )


def debit_batch(b: DebitBatch) -> pb.DirectDebitBatch:
    return pb.DirectDebitBatch(
        id=b.id,
        collection_date=_day(b.collection_date),
        status=BATCH_STATUS[b.status],
        creditor_id=b.creditor_id,
        message_id=b.message_id,
        debit_count=len(b.debits),
        total=money(b.total_cents),
        debits=[direct_debit(d) for d in b.debits],
        created_at=to_timestamp(b.created_at),
        settled_at=to_timestamp(b.settled_at),
    )
