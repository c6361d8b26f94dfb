"""Event consumers of ordering."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from portal.billing.v1 import events_pb2 as billing_events
from portal_runtime.outbox import add_event
from services.ordering import events
from services.ordering.domain.orders import OrderStatus
from services.ordering.usecases.common import Deps

log = logging.getLogger(__name__)


def payment_succeeded_handler(
    deps: Deps,
) -> Callable[[AsyncSession, billing_events.PaymentSucceeded], Awaitable[None]]:
    async def on_payment_succeeded(
        session: AsyncSession, event: billing_events.PaymentSucceeded
    ) -> None:
        """A payment for one of the entity's orders awaiting payment, covering its
        total, makes it PAID and publishes OrderPaid. Anything else (no order, another
        entity's, already paid, short) is logged and ignored: redeliveries change
        nothing."""
        if not event.order_id:
            return
        order = await deps.repo.orders.get(session, event.order_id, event.entity_id)
        if order is None:
            log.warning("PaymentSucceeded %s for unknown order %s", event.event_id, event.order_id)
            return
        if order.status is not OrderStatus.AWAITING_PAYMENT:
            log.info("PaymentSucceeded %s: order %s is %s", event.event_id, order.id, order.status)
            return
        total = order.total_cents
        if event.amount.amount_cents < total:
            log.warning(
                "PaymentSucceeded %s pays %d of order %s's %d cents; not marked paid",
                event.event_id,
                event.amount.amount_cents,
                order.id,
                total,
            )
            return
        fact = order.mark_paid(event.payment_id, deps.clock())
        await deps.repo.orders.save(session, order)
        await add_event(session, events.order_paid(fact))

    return on_payment_succeeded
