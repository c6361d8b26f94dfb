"""Event consumers of identity."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from portal.ordering.v1 import events_pb2 as ordering_events
from services.identity.domain.accounts import UNLOCKED_BY_FIRST_PAID_ORDER
from services.identity.usecases.accounts import unlock_delegation
from services.identity.usecases.common import Deps

log = logging.getLogger(__name__)


def order_paid_handler(
    deps: Deps,
) -> Callable[[AsyncSession, ordering_events.OrderPaid], Awaitable[None]]:
    async def on_order_paid(session: AsyncSession, event: ordering_events.OrderPaid) -> None:
        """The entity's first paid order unlocks delegation (idempotent: later
        orders, and redeliveries, change nothing)."""
        account = await deps.repo.accounts.get(session, event.entity_id)
        if account is None:
            log.warning("OrderPaid for unknown entity %s ignored", event.entity_id)
            return
        await unlock_delegation(deps, session, account.entity, UNLOCKED_BY_FIRST_PAID_ORDER)

    return on_order_paid
