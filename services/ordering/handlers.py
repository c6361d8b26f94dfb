"""Event consumers of ordering: billing's InvoiceSettled (the order is paid) and
identity's AccountUpdated (the account's language, for the order template)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from portal.billing.v1 import events_pb2 as billing_events
from portal.identity.v1 import events_pb2 as identity_events
from portal_runtime.outbox import add_event
from services.ordering import events
from services.ordering.domain.orders import OrderStatus
from services.ordering.usecases.accounts import record_account_language
from services.ordering.usecases.common import Deps

log = logging.getLogger(__name__)


def invoice_settled_handler(
    deps: Deps,
) -> Callable[[AsyncSession, billing_events.InvoiceSettled], Awaitable[None]]:
    async def on_invoice_settled(
        session: AsyncSession, event: billing_events.InvoiceSettled
    ) -> None:
        """The settlement of an order's invoice (whatever paid it: one or several
        payments, the balance, a transfer, a direct debit) makes the order PAID
        and publishes OrderPaid. Anything else (no order, another entity's,
        already paid or cancelled) is logged and ignored: redeliveries change
        nothing."""
        if not event.order_id:
            return
        order = await deps.repo.orders.get(session, event.order_id, event.entity_id)
        if order is None:
            log.warning("InvoiceSettled %s for unknown order %s", event.event_id, event.order_id)
            return
        if order.status is not OrderStatus.AWAITING_PAYMENT:
            log.info("InvoiceSettled %s: order %s is %s", event.event_id, order.id, order.status)
            return
        fact = order.mark_paid(event.document_id, deps.clock())
        await deps.repo.orders.save(session, order)
        await add_event(session, events.order_paid(fact))

    return on_invoice_settled


def account_updated_handler(
    deps: Deps,
) -> Callable[[AsyncSession, identity_events.AccountUpdated], Awaitable[None]]:
    async def on_account_updated(
        session: AsyncSession, event: identity_events.AccountUpdated
    ) -> None:
        """Keeps the newest snapshot of the account's language."""
        if not event.entity_id:
            return
        updated_at = (
            event.occurred_at.ToDatetime(tzinfo=UTC)
            if event.HasField("occurred_at")
            else deps.clock()
        )
        await record_account_language(
            deps,
            session,
            entity_id=event.entity_id,
            language=event.language,
            updated_at=updated_at,
        )

    return on_account_updated
