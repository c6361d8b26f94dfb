"""Billing's integration events: the domain's facts as the protobuf messages of
`portal/billing/v1/events.proto`, ready for the outbox."""

from __future__ import annotations

from portal.billing.v1 import events_pb2
from portal_runtime.outbox import new_event
from portal_runtime.protos import money
from services.billing.domain.claims import ClaimAnswered, ClaimOpened
from services.billing.domain.debit_returns import DirectDebitReturned
from services.billing.domain.direct_debits import DirectDebitScheduled
from services.billing.domain.documents import DocumentIssued
from services.billing.domain.payments import InvoiceSettled, PaymentFailed, PaymentSucceeded


def document_issued(fact: DocumentIssued) -> events_pb2.DocumentIssued:
    return new_event(
        events_pb2.DocumentIssued,
        entity_id=fact.entity_id,
        document_id=fact.document_id,
        number=fact.number,
        type=fact.type.value,
        total_incl_tax=money(fact.total_incl_cents),
        due_date=fact.due_date.isoformat(),
        order_id=fact.order_id,
    )


def payment_succeeded(fact: PaymentSucceeded) -> events_pb2.PaymentSucceeded:
    return new_event(
        events_pb2.PaymentSucceeded,
        entity_id=fact.entity_id,
        payment_id=fact.payment_id,
        amount=money(fact.amount_cents),
        method=fact.method,
        order_id=fact.order_id,
        document_ids=list(fact.document_ids),
    )


def invoice_settled(fact: InvoiceSettled) -> events_pb2.InvoiceSettled:
    return new_event(
        events_pb2.InvoiceSettled,
        entity_id=fact.entity_id,
        document_id=fact.document_id,
        document_number=fact.number,
        order_id=fact.order_id,
        total_incl_tax=money(fact.total_incl_cents),
    )


def payment_failed(fact: PaymentFailed) -> events_pb2.PaymentFailed:
    return new_event(
        events_pb2.PaymentFailed,
        entity_id=fact.entity_id,
        payment_id=fact.payment_id,
        amount=money(fact.amount_cents),
        method=fact.method,
        order_id=fact.order_id,
        reason=fact.reason,
    )


def claim_opened(fact: ClaimOpened) -> events_pb2.ClaimOpened:
    return new_event(
        events_pb2.ClaimOpened,
        entity_id=fact.entity_id,
        claim_id=fact.claim_id,
        document_id=fact.document_id,
        document_number=fact.document_number,
        reason=fact.reason.value,
        message=fact.message,
    )


def claim_answered(fact: ClaimAnswered) -> events_pb2.ClaimAnswered:
    return new_event(
        events_pb2.ClaimAnswered,
        entity_id=fact.entity_id,
        claim_id=fact.claim_id,
        document_number=fact.document_number,
        status=fact.status.value,
        answer=fact.answer,
    )


def direct_debit_scheduled(fact: DirectDebitScheduled) -> events_pb2.DirectDebitScheduled:
    return new_event(
        events_pb2.DirectDebitScheduled,
        entity_id=fact.entity_id,
        debit_id=fact.debit_id,
        document_id=fact.document_id,
        document_number=fact.document_number,
        amount=money(fact.amount_cents),
        collection_date=fact.collection_date.isoformat(),
        mandate_reference=fact.mandate_reference,
        creditor_id=fact.creditor_id,
        iban_masked=fact.iban_masked,
        sequence_type=fact.sequence_type.value,
    )


def direct_debit_returned(fact: DirectDebitReturned) -> events_pb2.DirectDebitReturned:
    return new_event(
        events_pb2.DirectDebitReturned,
        entity_id=fact.entity_id,
        debit_id=fact.debit_id,
        document_id=fact.document_id,
        document_number=fact.document_number,
        amount=money(fact.amount_cents),
        reason_code=fact.reason_code,
        returned_on=fact.returned_on.isoformat(),
        mandate_reference=fact.mandate_reference,
        reopened=fact.reopened,
    )
