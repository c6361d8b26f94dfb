"""Event consumers of identity: an account's first order unlocks delegation
when its unlock rule is FIRST_ORDER.

The meal-card guide unlocks "after the first order", not after the first paid
one: OrderSubmitted is the trigger. OrderPaid is heard too (a paid order was
submitted), so an account whose OrderSubmitted was missed still unlocks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.ordering.v1 import events_pb2 as ordering_events
from services.identity.usecases.accounts import unlock_by_order
from services.identity.usecases.common import Deps

log = logging.getLogger(__name__)


def _order_handler(deps: Deps, name: str) -> Callable[[AsyncSession, Any], Awaitable[None]]:
    async def on_order(session: AsyncSession, event: Any) -> None:
        """Idempotent: later orders, and redeliveries, change nothing."""
        if not await unlock_by_order(deps, session, event.entity_id):
            log.info("%s for entity %s unlocked nothing", name, event.entity_id)

    return on_order


def order_submitted_handler(
    deps: Deps,
) -> Callable[[AsyncSession, ordering_events.OrderSubmitted], Awaitable[None]]:
    return _order_handler(deps, "OrderSubmitted")


def order_paid_handler(
    deps: Deps,
) -> Callable[[AsyncSession, ordering_events.OrderPaid], Awaitable[None]]:
    return _order_handler(deps, "OrderPaid")
