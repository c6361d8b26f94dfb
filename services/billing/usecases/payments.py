"""Card payments: paying a document or the balance through the provider, the
provider's signed notifications, settling what a succeeded payment pays, and the
customer's payments."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from portal.billing.v1 import events_pb2
from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import DomainError, NotFound
from portal_runtime.outbox import add_event, new_event
from portal_runtime.pagination import parse_page
from portal_runtime.protos import money
from portal_runtime.tokens import Principal
from services.billing.domain.documents import record_payment
from services.billing.domain.payments import (
    Allocation,
    Payment,
    PaymentState,
    allocate_balance,
    allocate_document,
    apply_notification,
)
from services.billing.providers import Notification, ProviderUnavailable
from services.billing.usecases.common import CURRENCY, Deps, PaymentView, document_of, payment_of
from services.billing.usecases.documents import document_not_found

log = logging.getLogger(__name__)


def payment_not_found() -> NotFound:
    return NotFound("PAYMENT_NOT_FOUND", "no such payment for this account")


async def load_payment(
    deps: Deps, s: AsyncSession, payment_id: str, entity_id: str | None
) -> PaymentView | None:
    row = await deps.repo.payment(s, payment_id, entity_id) if payment_id else None
    if row is None:
        return None
    allocations = (await deps.repo.allocations_of(s, [row.id]))[row.id]
    return PaymentView(payment_of(row, allocations), row.redirect_url)


async def _order_of(deps: Deps, s: AsyncSession, allocations: Sequence[Allocation]) -> str:
    """The order the paid documents bill, when they all bill the same one."""
    rows = await deps.repo.documents_by_ids(s, [a.document_id for a in allocations])
    orders = {row.order_id for row in rows}
    return orders.pop() if len(orders) == 1 else ""


async def add_payment(
    deps: Deps,
    s: AsyncSession,
    *,
    entity_id: str,
    method: str,
    allocations: Sequence[Allocation],
    state: PaymentState = PaymentState.PENDING,
) -> Payment:
    now = deps.clock()
    payment = Payment(
        id=new_id(),
        entity_id=entity_id,
        amount_cents=sum(a.amount_cents for a in allocations),
        method=method,
        state=state,
        allocations=tuple(allocations),
        order_id=await _order_of(deps, s, allocations),
        created_at=now,
        completed_at=now if state is PaymentState.SUCCEEDED else None,
    )
    await deps.repo.add_payment(
        s,
        {
            "id": payment.id,
            "entity_id": entity_id,
            "state": state.value,
            "amount_cents": payment.amount_cents,
            "method": method,
            "order_id": payment.order_id,
            "created_at": now,
            "completed_at": payment.completed_at,
        },
        [
            {
                "id": new_id(),
                "payment_id": payment.id,
                "document_id": a.document_id,
                "document_number": a.document_number,
                "amount_cents": a.amount_cents,
                "position": index,
            }
            for index, a in enumerate(allocations)
        ],
    )
    return payment


async def settle_succeeded(deps: Deps, s: AsyncSession, payment: Payment) -> None:
    """Applies a succeeded payment to its documents and publishes PaymentSucceeded.
    A document paid or credited meanwhile keeps its state (the money is then a
    surplus for operators to refund): the payment itself is never refused."""
    found = await deps.repo.documents_by_ids(s, [a.document_id for a in payment.allocations])
    rows = {r.id: r for r in found}
    for allocation in payment.allocations:
        row = rows.get(allocation.document_id)
        if row is None:
            continue
        doc = document_of(row)
        amount = min(allocation.amount_cents, doc.remaining_cents)
        if amount <= 0:
            log.warning("payment %s: %s has nothing left to pay", payment.id, doc.number)
            continue
        try:
            paid = record_payment(doc, amount)
        except DomainError as exc:
            log.warning("payment %s not applied to %s: %s", payment.id, doc.number, exc)
            continue
        await deps.repo.update_document(s, doc.id, paid_cents=paid.paid_cents)
    await add_event(
        s,
        new_event(
            events_pb2.PaymentSucceeded,
            entity_id=payment.entity_id,
            payment_id=payment.id,
            amount=money(payment.amount_cents),
            method=payment.method,
            order_id=payment.order_id,
            document_ids=[a.document_id for a in payment.allocations],
        ),
    )


async def _checkout(deps: Deps, payment: Payment, description: str) -> PaymentView:
    """Asks the provider for the payment page, outside any transaction. A failure
    marks the payment FAILED; an unreachable provider answers UNAVAILABLE (retry)."""
    try:
        checkout = await deps.provider.create_checkout(
            payment_id=payment.id,
            amount_cents=payment.amount_cents,
            currency=CURRENCY,
            description=description,
            return_url=f"{deps.web_url.rstrip('/')}/payments/{payment.id}",
        )
    except DomainError as exc:
        async with deps.db.transaction() as s:
            await deps.repo.update_payment(
                s,
                payment.id,
                state=PaymentState.FAILED.value,
                failure_reason=exc.reason,
                completed_at=deps.clock(),
            )
        if isinstance(exc, ProviderUnavailable):
            raise
        raise ProviderUnavailable(f"the payment could not be started ({exc.reason})") from exc
    async with deps.db.transaction() as s:
        await deps.repo.update_payment(
            s, payment.id, provider_ref=checkout.provider_ref, redirect_url=checkout.redirect_url
        )
    return PaymentView(payment, checkout.redirect_url)


async def pay_document(deps: Deps, principal: Principal | None, document_id: str) -> PaymentView:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.document(s, document_id, entity_id) if document_id else None
        if row is None:
            raise document_not_found()
        doc = document_of(row)
        payment = await add_payment(
            deps, s, entity_id=entity_id, method="CARD", allocations=allocate_document(doc)
        )
    return await _checkout(deps, payment, doc.number)


async def pay_balance(
    deps: Deps, principal: Principal | None, amount_cents: int | None
) -> PaymentView:
    """All the balance (None) or part of it, oldest invoices first."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        docs = [document_of(r) for r in await deps.repo.unpaid_documents(s, entity_id)]
        allocations = allocate_balance(docs, amount_cents)
        payment = await add_payment(
            deps, s, entity_id=entity_id, method="CARD", allocations=allocations
        )
    return await _checkout(deps, payment, ", ".join(a.document_number for a in allocations))


async def get_payment(deps: Deps, principal: Principal | None, payment_id: str) -> PaymentView:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        view = await load_payment(deps, s, payment_id, entity_id)
    if view is None:
        raise payment_not_found()
    return view


async def list_payments(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[PaymentView], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_payments(s, entity_id, offset=page.offset, limit=page.limit + 1)
        rows = rows[: page.limit + 1]
        allocations = await deps.repo.allocations_of(s, [r.id for r in rows[: page.limit]])
    views = [
        PaymentView(payment_of(r, allocations[r.id]), r.redirect_url) for r in rows[: page.limit]
    ]
    return views, page.next_token(len(rows) > page.limit)


async def receive_webhook(deps: Deps, body: bytes, headers: Mapping[str, str], now: float) -> bool:
    """Verifies the notification (InvalidSignature: UNAUTHENTICATED) and applies it
    once, in one transaction; whether it changed anything."""
    notification = deps.provider.verify_notification(body, headers, now)
    async with deps.db.transaction() as s:
        if await deps.repo.provider_event_seen(s, notification.event_id):
            log.info("provider event %s already applied", notification.event_id)
            return False
        row = await deps.repo.payment_by_ref(s, notification.provider_ref)
        if row is None and notification.payment_id:
            row = await deps.repo.payment(s, notification.payment_id, None)
        await deps.repo.add_provider_event(
            s,
            event_id=notification.event_id,
            payment_id=row.id if row else "",
            status=notification.status,
            received_at=deps.clock(),
        )
        if row is None:
            log.warning("provider event %s: no such payment", notification.event_id)
            return False
        return await _apply(deps, s, row, notification)


async def _apply(deps: Deps, s: AsyncSession, row, notification: Notification) -> bool:  # type: ignore[no-untyped-def]
    allocations = (await deps.repo.allocations_of(s, [row.id]))[row.id]
    payment = payment_of(row, allocations)
    if notification.amount_cents != payment.amount_cents or notification.currency != CURRENCY:
        log.warning(
            "provider event %s: %d %s does not match payment %s (%d %s); ignored",
            notification.event_id,
            notification.amount_cents,
            notification.currency,
            payment.id,
            payment.amount_cents,
            CURRENCY,
        )
        return False
    changed, applied = apply_notification(
        payment,
        PaymentState(notification.status),
        at=deps.clock(),
        failure_reason=notification.failure_reason or "PAYMENT_FAILED",
    )
    if not applied:
        log.info("provider event %s: payment %s unchanged", notification.event_id, payment.id)
        return False
    await deps.repo.update_payment(
        s,
        payment.id,
        state=changed.state.value,
        failure_reason=changed.failure_reason,
        completed_at=changed.completed_at,
    )
    if changed.state is PaymentState.SUCCEEDED:
        await settle_succeeded(deps, s, changed)
    elif changed.state is PaymentState.FAILED:
        await add_event(
            s,
            new_event(
                events_pb2.PaymentFailed,
                entity_id=changed.entity_id,
                payment_id=changed.id,
                amount=money(changed.amount_cents),
                method=changed.method,
                order_id=changed.order_id,
                reason=changed.failure_reason,
            ),
        )
    return True
