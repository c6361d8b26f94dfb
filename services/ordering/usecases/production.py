"""Back-office: operators move any entity's order through production, shipping
and delivery, and record the card loads."""

from __future__ import annotations

from collections.abc import Sequence

from portal_runtime.errors import InvalidArgument
from portal_runtime.outbox import add_event
from portal_runtime.tokens import Principal
from services.ordering import events
from services.ordering.domain.orders import LoadOutcome, Order
from services.ordering.domain.shipping import check_shipping, check_stage
from services.ordering.usecases.common import Deps, require_operator
from services.ordering.usecases.orders import load_order


async def start_production(deps: Deps, principal: Principal | None, order_id: str) -> Order:
    require_operator(principal)
    async with deps.db.transaction() as s:
        order = await load_order(deps, s, order_id, None)
        order.start_production(deps.clock())
        await deps.repo.orders.save(s, order)
    return order


async def ship_order(
    deps: Deps, principal: Principal | None, order_id: str, carrier: str, tracking_url: str
) -> Order:
    require_operator(principal)
    carrier, url = check_shipping(carrier, tracking_url)
    async with deps.db.transaction() as s:
        order = await load_order(deps, s, order_id, None)
        fact = order.ship(carrier, url, deps.clock())
        await deps.repo.orders.save(s, order)
        await add_event(s, events.order_shipped(fact))
    return order


async def add_delivery_stage(
    deps: Deps, principal: Principal | None, order_id: str, label: str, location: str
) -> Order:
    require_operator(principal)
    label, location = check_stage(label, location)
    async with deps.db.transaction() as s:
        order = await load_order(deps, s, order_id, None)
        order.add_stage(label, location, deps.clock())
        await deps.repo.orders.save(s, order)
    return order


async def deliver_order(deps: Deps, principal: Principal | None, order_id: str) -> Order:
    require_operator(principal)
    async with deps.db.transaction() as s:
        order = await load_order(deps, s, order_id, None)
        fact = order.deliver(deps.clock())
        await deps.repo.orders.save(s, order)
        await add_event(s, events.order_delivered(fact))
    return order


async def record_loads(
    deps: Deps, principal: Principal | None, order_id: str, outcomes: Sequence[LoadOutcome]
) -> Order:
    """Each outcome sets its line LOADED or FAILED (domain rules); a loaded new
    card gives the beneficiary `has_card`. Publishes CardsLoaded."""
    require_operator(principal)
    if not outcomes:
        raise InvalidArgument.for_field("outcomes", "is required", reason="REQUIRED_FIELD")
    async with deps.db.transaction() as s:
        order = await load_order(deps, s, order_id, None)
        fact = order.record_loads(outcomes, deps.clock())
        await deps.repo.orders.save(s, order)
        await deps.repo.beneficiaries.mark_card_holders(s, fact.new_card_holders)
        await add_event(s, events.cards_loaded(fact))
    return order
