from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.billing.domain.documents import Line, credit_note_for, record_payment
from services.billing.domain.payments import (
    Allocation,
    Payment,
    PaymentState,
    allocate_balance,
    allocate_document,
    apply_notification,
    balance_cents,
    new_payment,
    settle,
    settle_succeeded,
    validate_amount,
)

from .helpers import invoice

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
ONE_HUNDRED = (Line("x", 1, 10_000, 0),)


def _payment(state: PaymentState = PaymentState.PENDING) -> Payment:
    return Payment(id="p1", entity_id="ent-1", amount_cents=100, method="CARD", state=state)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (PaymentState.PENDING, PaymentState.ACTION_REQUIRED),
        (PaymentState.PENDING, PaymentState.SUCCEEDED),
        (PaymentState.PENDING, PaymentState.FAILED),
        (PaymentState.ACTION_REQUIRED, PaymentState.SUCCEEDED),
        (PaymentState.ACTION_REQUIRED, PaymentState.FAILED),
    ],
)
def test_forward_notifications_apply(start: PaymentState, target: PaymentState) -> None:
    after, changed = apply_notification(_payment(start), target, at=AT, failure_reason="declined")
    assert changed and after.state is target
    assert after.terminal == (target in (PaymentState.SUCCEEDED, PaymentState.FAILED))
    assert (after.completed_at == AT) == after.terminal
    assert after.failure_reason == ("declined" if target is PaymentState.FAILED else "")


@pytest.mark.parametrize(
    ("start", "late"),
    [
        (PaymentState.SUCCEEDED, PaymentState.PENDING),
        (PaymentState.SUCCEEDED, PaymentState.FAILED),
        (PaymentState.SUCCEEDED, PaymentState.SUCCEEDED),
        (PaymentState.FAILED, PaymentState.SUCCEEDED),
        (PaymentState.ACTION_REQUIRED, PaymentState.PENDING),
        (PaymentState.ACTION_REQUIRED, PaymentState.ACTION_REQUIRED),
        (PaymentState.PENDING, PaymentState.PENDING),
    ],
)
def test_replayed_or_late_notifications_change_nothing(
    start: PaymentState, late: PaymentState
) -> None:
    before = _payment(start)
    after, changed = apply_notification(before, late, at=AT)
    assert not changed and after == before


def test_out_of_order_sequence() -> None:
    payment, _ = apply_notification(_payment(), PaymentState.SUCCEEDED, at=AT)
    for late in (PaymentState.ACTION_REQUIRED, PaymentState.PENDING):
        payment, changed = apply_notification(payment, late, at=AT)
        assert not changed
    assert payment.state is PaymentState.SUCCEEDED


def test_amounts_are_positive_cents() -> None:
    assert validate_amount(1) == 1
    for bad in (0, -5):
        with pytest.raises(InvalidArgument) as caught:
            validate_amount(bad)
        assert caught.value.violations[0].field == "amount"


def _docs() -> list:
    return [
        invoice("FAC-2026-000003", issued=date(2026, 2, 1), lines=ONE_HUNDRED),
        invoice("FAC-2026-000002", issued=date(2026, 1, 10), lines=ONE_HUNDRED),
        invoice("FAC-2026-000001", issued=date(2026, 1, 10), lines=ONE_HUNDRED),
        invoice("FAC-2025-000009", issued=date(2025, 12, 1), lines=ONE_HUNDRED, paid_cents=10_000),
    ]


def test_paying_the_balance_settles_oldest_first() -> None:
    docs = _docs()
    assert balance_cents(docs) == 30_000
    allocations = allocate_balance(docs)
    assert [a.document_number for a in allocations] == [
        "FAC-2026-000001",
        "FAC-2026-000002",
        "FAC-2026-000003",
    ]
    assert sum(a.amount_cents for a in allocations) == 30_000
    settled = settle(docs, allocations)
    assert all(doc.paid for doc in settled) and len(settled) == 3


def test_partial_payment_settles_in_order_then_part_of_the_next() -> None:
    docs = _docs()
    allocations = allocate_balance(docs, 15_000)
    assert allocations == [
        Allocation("id-FAC-2026-000001", "FAC-2026-000001", 10_000),
        Allocation("id-FAC-2026-000002", "FAC-2026-000002", 5_000),
    ]
    settled = {doc.number: doc for doc in settle(docs, allocations)}
    assert settled["FAC-2026-000001"].paid
    assert settled["FAC-2026-000002"].remaining_cents == 5_000


def test_partially_paid_invoice_counts_for_its_remaining() -> None:
    doc = record_payment(invoice(lines=ONE_HUNDRED), 2_500)
    assert allocate_balance([doc]) == [Allocation(doc.id, doc.number, 7_500)]
    assert allocate_document(doc) == [Allocation(doc.id, doc.number, 7_500)]


def test_balance_refusals() -> None:
    docs = _docs()
    with pytest.raises(InvalidArgument) as above:
        allocate_balance(docs, 30_001)
    assert above.value.violations[0].field == "amount"
    with pytest.raises(InvalidArgument):
        allocate_balance(docs, 0)
    paid = invoice(lines=ONE_HUNDRED, paid_cents=10_000)
    with pytest.raises(FailedPrecondition) as nothing:
        allocate_balance([paid])
    assert nothing.value.reason == "NOTHING_TO_PAY"
    with pytest.raises(FailedPrecondition) as none_at_all:
        allocate_balance([])
    assert none_at_all.value.reason == "NOTHING_TO_PAY"


def test_paying_one_document_refusals() -> None:
    paid = invoice(lines=ONE_HUNDRED, paid_cents=10_000)
    with pytest.raises(FailedPrecondition) as already:
        allocate_document(paid)
    assert already.value.reason == "DOCUMENT_ALREADY_PAID"
    _, credited, _ = credit_note_for(
        invoice(), credit_note_id="cn", number="AV-2026-000001", issue_date=date(2026, 2, 1)
    )
    with pytest.raises(FailedPrecondition) as cancelled:
        allocate_document(credited)
    assert cancelled.value.reason == "DOCUMENT_CREDITED"
    # a credited invoice is left out of the balance
    assert balance_cents([credited]) == 0


def test_a_succeeded_payment_pays_what_is_still_owed_and_states_it() -> None:
    paid = invoice("FAC-2026-000001", lines=ONE_HUNDRED, paid_cents=10_000)
    partly = invoice("FAC-2026-000002", lines=ONE_HUNDRED, paid_cents=9_000)
    allocations = [Allocation(d.id, d.number, 10_000) for d in (paid, partly)]
    payment = new_payment(
        payment_id="p1", entity_id="ent-1", method="CARD", allocations=allocations,
        documents=[paid, partly], at=AT, state=PaymentState.SUCCEEDED,
    )  # fmt: skip
    settlement = settle_succeeded(payment, [paid, partly])
    assert [d.number for d in settlement.documents] == ["FAC-2026-000002"]
    assert settlement.documents[0].paid and settlement.unapplied == ("FAC-2026-000001",)
    assert settlement.succeeded.amount_cents == 20_000
    assert settlement.succeeded.document_ids == (paid.id, partly.id)
    with pytest.raises(FailedPrecondition):
        settle_succeeded(_payment(), [paid])


def _succeeded(allocations: list[Allocation]) -> Payment:
    return Payment(
        id="p-settle",
        entity_id="ent-1",
        amount_cents=sum(a.amount_cents for a in allocations),
        method="CARD",
        state=PaymentState.SUCCEEDED,
        allocations=tuple(allocations),
    )


def test_the_payment_that_pays_the_last_cent_settles_the_invoice_once() -> None:
    doc = invoice("FAC-2026-000010", lines=ONE_HUNDRED)
    first = settle_succeeded(_succeeded([Allocation(doc.id, doc.number, 2_377)]), [doc])
    assert first.settled == ()
    [partly_paid] = first.documents
    rest = settle_succeeded(_succeeded([Allocation(doc.id, doc.number, 7_623)]), [partly_paid])
    [settled] = rest.settled
    assert (settled.document_id, settled.number, settled.total_incl_cents) == (
        doc.id,
        doc.number,
        10_000,
    )
    [paid] = rest.documents
    again = settle_succeeded(_succeeded([Allocation(doc.id, doc.number, 100)]), [paid])
    assert again.settled == () and again.unapplied == (doc.number,)


def test_a_balance_payment_settles_each_invoice_it_pays_in_full() -> None:
    older = invoice("FAC-2026-000011", lines=ONE_HUNDRED, issued=date(2026, 1, 1))
    newer = invoice("FAC-2026-000012", lines=ONE_HUNDRED, issued=date(2026, 2, 1))
    third = invoice("FAC-2026-000013", lines=ONE_HUNDRED, issued=date(2026, 3, 1))
    allocations = allocate_balance([older, newer, third], 25_000)
    settlement = settle_succeeded(_succeeded(allocations), [older, newer, third])
    assert [s.number for s in settlement.settled] == [older.number, newer.number]


def test_a_payment_in_another_currency_or_out_of_bounds_is_refused() -> None:
    doc = invoice("FAC-2026-000020", lines=ONE_HUNDRED)
    with pytest.raises(InvalidArgument) as caught:
        allocate_balance([doc], 100, "USD")
    assert [v.field for v in caught.value.violations] == ["amount.currency"]
    with pytest.raises(InvalidArgument) as caught:
        allocate_balance([doc], 2**63 - 1, "EUR")
    assert [v.field for v in caught.value.violations] == ["amount"]
    assert [a.amount_cents for a in allocate_balance([doc], 100, "eur")] == [100]
    assert [a.amount_cents for a in allocate_balance([doc], 100, "")] == [100]
