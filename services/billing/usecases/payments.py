"""Card payments: paying a document or the balance through the provider, the
provider's signed notifications, settling what a succeeded payment pays, and the
customer's payments."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import DomainError, NotFound
from portal_runtime.money import CURRENCY
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.billing import events
from services.billing.domain.accounts import check_online_payment
from services.billing.domain.documents import Document
from services.billing.domain.payments import (
    CARD,
    Allocation,
    Payment,
    PaymentState,
    Settlement,
    allocate_balance,
    allocate_document,
    apply_notification,
    fail_checkout,
    new_payment,
    payment_failure,
    settle_succeeded,
)
from services.billing.providers import Notification, ProviderUnavailable
from services.billing.store import PaymentView
from services.billing.usecases.common import Deps
from services.billing.usecases.documents import document_not_found

log = logging.getLogger(__name__)


def payment_not_found() -> NotFound:
    return NotFound("PAYMENT_NOT_FOUND", "no such payment for this account")


async def add_payment(
    deps: Deps,
    s: AsyncSession,
    *,
    entity_id: str,
    method: str,
    allocations: Sequence[Allocation],
    documents: Sequence[Document],
    state: PaymentState = PaymentState.PENDING,
) -> Payment:
    """Stores a new payment of `allocations` (some of `documents`)."""
    payment = new_payment(
        payment_id=new_id(),
        entity_id=entity_id,
        method=method,
        allocations=allocations,
        documents=documents,
        at=deps.clock(),
        state=state,
    )
    await deps.repo.payments.add(s, payment)
    return payment


async def settle(
    deps: Deps, s: AsyncSession, payment: Payment, documents: Sequence[Document]
) -> Settlement:
    """Applies a succeeded payment to its documents and publishes PaymentSucceeded,
    and InvoiceSettled for each invoice it leaves with nothing to pay; what it did."""
    settlement = settle_succeeded(payment, documents)
    for number in settlement.unapplied:
        log.warning("payment %s: %s has nothing left to pay", payment.id, number)
    for document in settlement.documents:
        await deps.repo.documents.save_paid(s, document)
    await add_event(s, events.payment_succeeded(settlement.succeeded))
    for settled in settlement.settled:
        await add_event(s, events.invoice_settled(settled))
    return settlement


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
            failed = fail_checkout(payment, reason=exc.reason, at=deps.clock())
            await deps.repo.payments.save_state(s, failed)
        if isinstance(exc, ProviderUnavailable):
            raise
        raise ProviderUnavailable(f"the payment could not be started ({exc.reason})") from exc
    async with deps.db.transaction() as s:
        await deps.repo.payments.save_checkout(
            s, payment.id, provider_ref=checkout.provider_ref, redirect_url=checkout.redirect_url
        )
    return PaymentView(payment, checkout.redirect_url)


async def pay_document(deps: Deps, principal: Principal | None, document_id: str) -> PaymentView:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        doc = await deps.repo.documents.get(s, document_id, entity_id) if document_id else None
        if doc is None:
            raise document_not_found()
        check_online_payment(await deps.repo.accounts.get(s, entity_id))
        payment = await add_payment(
            deps,
            s,
            entity_id=entity_id,
            method=CARD,
            allocations=allocate_document(doc),
            documents=[doc],
        )
    return await _checkout(deps, payment, doc.number)


async def pay_balance(
    deps: Deps, principal: Principal | None, amount_cents: int | None, currency: str = ""
) -> PaymentView:
    """All the balance (None) or part of it, oldest invoices first."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        check_online_payment(await deps.repo.accounts.get(s, entity_id))
        docs = [v.document for v in await deps.repo.documents.unpaid(s, entity_id)]
        allocations = allocate_balance(docs, amount_cents, currency)
        payment = await add_payment(
            deps, s, entity_id=entity_id, method=CARD, allocations=allocations, documents=docs
        )
    return await _checkout(deps, payment, ", ".join(a.document_number for a in allocations))


async def get_payment(deps: Deps, principal: Principal | None, payment_id: str) -> PaymentView:
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        view = await deps.repo.payments.view(s, payment_id, entity_id) if payment_id else None
    if view is None:
        raise payment_not_found()
    return view


async def list_payments(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[PaymentView], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        views = await deps.repo.payments.find(
            s, entity_id, offset=page.offset, limit=page.limit + 1
        )
    return views[: page.limit], page.next_token(len(views) > page.limit)


async def receive_webhook(deps: Deps, body: bytes, headers: Mapping[str, str], now: float) -> bool:
    """Verifies the notification (InvalidSignature: UNAUTHENTICATED) and applies it
    once, in one transaction; whether it changed anything."""
    notification = deps.provider.verify_notification(body, headers, now)
    async with deps.db.transaction() as s:
        if await deps.repo.payments.provider_event_seen(s, notification.event_id):
            log.info("provider event %s already applied", notification.event_id)
            return False
        payment = await deps.repo.payments.by_provider_ref(s, notification.provider_ref)
        if payment is None and notification.payment_id:
            payment = await deps.repo.payments.get(s, notification.payment_id, None)
        await deps.repo.payments.add_provider_event(
            s,
            notification.event_id,
            payment_id=payment.id if payment else "",
            status=notification.status,
            at=deps.clock(),
        )
        if payment is None:
            log.warning("provider event %s: no such payment", notification.event_id)
            return False
        return await _apply(deps, s, payment, notification)


async def _apply(deps: Deps, s: AsyncSession, payment: Payment, notification: Notification) -> bool:
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
    await deps.repo.payments.save_state(s, changed)
    if changed.state is PaymentState.SUCCEEDED:
        paid = await deps.repo.documents.by_ids(
            s, [a.document_id for a in changed.allocations], for_update=True
        )
        await settle(deps, s, changed, paid)
    elif changed.state is PaymentState.FAILED:
        await add_event(s, events.payment_failed(payment_failure(changed)))
    return True
