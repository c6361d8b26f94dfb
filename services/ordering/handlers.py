"""Event consumers of ordering."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from portal.billing.v1 import events_pb2 as billing_events
from portal.ordering.v1 import events_pb2
from portal_runtime.outbox import add_event, new_event
from portal_runtime.protos import money
from services.ordering.domain.orders import Action, OrderStatus
from services.ordering.usecases.common import Deps
from services.ordering.usecases.orders import transition

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
        row = await deps.repo.order(session, event.order_id, event.entity_id)
        if row is None:
            log.warning("PaymentSucceeded %s for unknown order %s", event.event_id, event.order_id)
            return
        if row.status != OrderStatus.AWAITING_PAYMENT.value:
            log.info("PaymentSucceeded %s: order %s is %s", event.event_id, row.id, row.status)
            return
        if event.amount.amount_cents < row.total_cents:
            log.warning(
                "PaymentSucceeded %s pays %d of order %s's %d cents; not marked paid",
                event.event_id,
                event.amount.amount_cents,
                row.id,
                row.total_cents,
            )
            return
        await transition(deps, session, row, Action.MARK_PAID, payment_id=event.payment_id)
        await add_event(
            session,
            new_event(
                events_pb2.OrderPaid,
                entity_id=row.entity_id,
                order_id=row.id,
                amount=money(row.total_cents),
            ),
        )

    return on_payment_succeeded
