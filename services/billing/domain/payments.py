"""Payments and what they pay.

States: PENDING -> ACTION_REQUIRED -> SUCCEEDED | FAILED, and PENDING may go straight
to SUCCEEDED or FAILED. Terminal states never change through the provider; a
succeeded direct debit the bank sends back becomes RETURNED (`return_payment`).
A provider notification that would move a payment backwards (late, replayed,
out of order) changes nothing and is not an error: `apply_notification` says
whether it changed anything.

Allocation: paying the balance settles the oldest unpaid invoices first (issue
date, then number); a partial amount settles invoices fully in that order, then
part of the next.

A payment that succeeds settles what it pays and states PaymentSucceeded, and
InvoiceSettled for each invoice it leaves with nothing to pay (whatever paid the
rest before); one the provider declines states PaymentFailed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations
from portal_runtime.money import amount_problem, currency_problem

from .documents import Document, ensure_payable, record_payment

# Payment methods (also the values ordering's OrderSubmitted.payment_method takes).
CARD = "CARD"
TRANSFER = "TRANSFER"
DIRECT_DEBIT = "DIRECT_DEBIT"


class PaymentState(StrEnum):
    PENDING = "PENDING"
    ACTION_REQUIRED = "ACTION_REQUIRED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    RETURNED = "RETURNED"


TERMINAL_STATES = frozenset({PaymentState.SUCCEEDED, PaymentState.FAILED, PaymentState.RETURNED})
_NEXT: dict[PaymentState, frozenset[PaymentState]] = {
    PaymentState.PENDING: frozenset(
        {PaymentState.ACTION_REQUIRED, PaymentState.SUCCEEDED, PaymentState.FAILED}
    ),
    PaymentState.ACTION_REQUIRED: frozenset({PaymentState.SUCCEEDED, PaymentState.FAILED}),
    PaymentState.SUCCEEDED: frozenset(),
    PaymentState.FAILED: frozenset(),
    PaymentState.RETURNED: frozenset(),
}


def can_move(current: PaymentState, target: PaymentState) -> bool:
    return target in _NEXT[current]


@dataclass(frozen=True)
class Allocation:
    document_id: str
    document_number: str
    amount_cents: int


@dataclass(frozen=True)
class Payment:
    id: str
    entity_id: str
    amount_cents: int
    method: str
    state: PaymentState = PaymentState.PENDING
    allocations: tuple[Allocation, ...] = ()
    order_id: str = ""
    failure_reason: str = ""
    created_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass(frozen=True)
class PaymentSucceeded:
    payment_id: str
    entity_id: str
    amount_cents: int
    method: str
    order_id: str
    document_ids: tuple[str, ...]


@dataclass(frozen=True)
class PaymentFailed:
    payment_id: str
    entity_id: str
    amount_cents: int
    method: str
    order_id: str
    reason: str


@dataclass(frozen=True)
class InvoiceSettled:
    """An invoice with nothing left to pay, stated by the payment that paid its last
    cent (so once)."""

    entity_id: str
    document_id: str
    number: str
    order_id: str
    total_incl_cents: int


@dataclass(frozen=True)
class Settlement:
    """What a succeeded payment did: the documents it paid more of, the numbers of
    those that had nothing left to pay, its success, and the invoices it settled."""

    documents: tuple[Document, ...]
    unapplied: tuple[str, ...]
    succeeded: PaymentSucceeded
    settled: tuple[InvoiceSettled, ...] = ()


def new_payment(
    *,
    payment_id: str,
    entity_id: str,
    method: str,
    allocations: Sequence[Allocation],
    documents: Iterable[Document],
    at: datetime,
    state: PaymentState = PaymentState.PENDING,
) -> Payment:
    """A payment of the sum of `allocations`; it names an order when the documents
    it pays all bill the same one."""
    paid_ids = {a.document_id for a in allocations}
    orders = {doc.order_id for doc in documents if doc.id in paid_ids}
    return Payment(
        id=payment_id,
        entity_id=entity_id,
        amount_cents=sum(a.amount_cents for a in allocations),
        method=method,
        state=state,
        allocations=tuple(allocations),
        order_id=orders.pop() if len(orders) == 1 else "",
        created_at=at,
        completed_at=at if state is PaymentState.SUCCEEDED else None,
    )


def validate_amount(amount_cents: int, field_name: str = "amount", currency: str = "") -> int:
    """An amount a customer pays: positive, within one operation's bounds, in the
    documents' currency (refused with the field named)."""
    violations = Violations()
    problem = amount_problem(amount_cents)
    if problem:
        violations.add(field_name, problem)
    problem = currency_problem(currency)
    if problem:
        violations.add(f"{field_name}.currency", problem)
    violations.raise_if_any("INVALID_AMOUNT")
    return amount_cents


def apply_notification(
    payment: Payment, state: PaymentState, *, at: datetime, failure_reason: str = ""
) -> tuple[Payment, bool]:
    """The payment after the provider says it is in `state`, and whether that changed
    anything. A replayed or out-of-order notification leaves it as it is."""
    if not can_move(payment.state, state):
        return payment, False
    terminal = state in TERMINAL_STATES
    return (
        dataclasses.replace(
            payment,
            state=state,
            failure_reason=failure_reason if state is PaymentState.FAILED else "",
            completed_at=at if terminal else payment.completed_at,
        ),
        True,
    )


def fail_checkout(payment: Payment, *, reason: str, at: datetime) -> Payment:
    """The provider could not start the payment: it fails at once, without
    PaymentFailed (the customer learns it from the answer to their request)."""
    failed, _ = apply_notification(payment, PaymentState.FAILED, at=at, failure_reason=reason)
    return failed


def return_payment(payment: Payment, *, reason: str) -> Payment:
    """A collected direct debit the debtor's bank sent back, with its reason code."""
    if payment.state is not PaymentState.SUCCEEDED or payment.method != DIRECT_DEBIT:
        raise FailedPrecondition(
            "PAYMENT_NOT_RETURNABLE", f"payment {payment.id} is not a collected direct debit"
        )
    return dataclasses.replace(payment, state=PaymentState.RETURNED, failure_reason=reason)


def payment_failure(payment: Payment) -> PaymentFailed:
    """What a declined payment states."""
    if payment.state is not PaymentState.FAILED:
        raise FailedPrecondition("PAYMENT_NOT_FAILED", f"payment {payment.id} has not failed")
    return PaymentFailed(
        payment_id=payment.id,
        entity_id=payment.entity_id,
        amount_cents=payment.amount_cents,
        method=payment.method,
        order_id=payment.order_id,
        reason=payment.failure_reason,
    )


def unpaid_oldest_first(documents: Iterable[Document]) -> list[Document]:
    """The invoices with something left to pay, oldest first (issue date, number)."""
    unpaid = [doc for doc in documents if doc.remaining_cents > 0]
    return sorted(unpaid, key=lambda doc: (doc.issue_date, doc.number))


def balance_cents(documents: Iterable[Document]) -> int:
    return sum(doc.remaining_cents for doc in documents)


def allocate_balance(
    documents: Iterable[Document], amount_cents: int | None = None, currency: str = ""
) -> list[Allocation]:
    """How a payment of `amount_cents` in `currency` (None: the whole balance)
    spreads over the unpaid invoices, oldest first."""
    if amount_cents is not None:
        validate_amount(amount_cents, currency=currency)
    unpaid = unpaid_oldest_first(documents)
    balance = balance_cents(unpaid)
    if balance == 0:
        raise FailedPrecondition("NOTHING_TO_PAY", "nothing is due")
    amount = balance if amount_cents is None else amount_cents
    if amount > balance:
        raise InvalidArgument.for_field(
            "amount", f"must not exceed the balance due ({balance} cents)"
        )
    allocations: list[Allocation] = []
    left = amount
    for doc in unpaid:
        if left == 0:
            break
        part = min(left, doc.remaining_cents)
        allocations.append(Allocation(doc.id, doc.number, part))
        left -= part
    return allocations


def allocate_document(document: Document) -> list[Allocation]:
    """Paying one invoice pays all that remains of it."""
    ensure_payable(document)
    return [Allocation(document.id, document.number, document.remaining_cents)]


def settle(documents: Sequence[Document], allocations: Iterable[Allocation]) -> list[Document]:
    """The documents touched by a succeeded payment, with their amounts paid
    increased (in the order of `allocations`)."""
    by_id = {doc.id: doc for doc in documents}
    changed: dict[str, Document] = {}
    for allocation in allocations:
        current = changed.get(allocation.document_id) or by_id[allocation.document_id]
        changed[allocation.document_id] = record_payment(current, allocation.amount_cents)
    return list(changed.values())


def settle_succeeded(payment: Payment, documents: Iterable[Document]) -> Settlement:
    """A succeeded payment applied to the documents it pays, each up to what it
    still owes. A document paid or credited meanwhile keeps its state (the money is
    then a surplus for operators to refund): the payment itself is never refused."""
    if payment.state is not PaymentState.SUCCEEDED:
        raise FailedPrecondition("PAYMENT_NOT_SUCCEEDED", f"payment {payment.id} has not succeeded")
    by_id = {doc.id: doc for doc in documents}
    applicable: list[Allocation] = []
    unapplied: list[str] = []
    for allocation in payment.allocations:
        doc = by_id.get(allocation.document_id)
        if doc is None:
            continue
        amount = min(allocation.amount_cents, doc.remaining_cents)
        if amount <= 0:
            unapplied.append(doc.number)
            continue
        applicable.append(Allocation(doc.id, doc.number, amount))
    succeeded = PaymentSucceeded(
        payment_id=payment.id,
        entity_id=payment.entity_id,
        amount_cents=payment.amount_cents,
        method=payment.method,
        order_id=payment.order_id,
        document_ids=tuple(a.document_id for a in payment.allocations),
    )
    paid = settle(list(by_id.values()), applicable)
    settled = tuple(
        InvoiceSettled(
            entity_id=doc.entity_id,
            document_id=doc.id,
            number=doc.number,
            order_id=doc.order_id,
            total_incl_cents=doc.totals.incl_cents,
        )
        for doc in paid
        if doc.remaining_cents == 0  # it owed something before: it was allocated
    )
    return Settlement(tuple(paid), tuple(unapplied), succeeded, settled)
