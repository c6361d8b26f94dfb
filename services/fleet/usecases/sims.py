"""SIM card orders: customers order and follow them; operators ship them."""

from __future__ import annotations

from collections.abc import Sequence

from portal_runtime.auth import authenticated, customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import AlreadyExists, NotFound, require_field
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.fleet import events
from services.fleet.domain.sims import (
    DeliveryAddress,
    SimOrder,
    SimOrderStatus,
    new_sim_order,
    sim_reference,
)
from services.fleet.usecases.common import Deps, require_operator


async def create_sim_order(
    deps: Deps,
    principal: Principal | None,
    *,
    quantity: int,
    esim: bool,
    recipient: str,
    address: DeliveryAddress,
) -> SimOrder:
    entity_id = customer_entity(principal)
    now = deps.clock()
    draft = new_sim_order(
        order_id=new_id(),
        entity_id=entity_id,
        user_id=authenticated(principal).user_id,
        reference="",
        quantity=quantity,
        esim=esim,
        recipient=recipient,
        address=address,
        now=now,
    )
    async with deps.db.transaction() as s:
        sequence = await deps.repo.sims.next_sequence(s, f"sim-orders-{now.year}")
        draft.reference = sim_reference(now.year, sequence)
        await deps.repo.sims.add(s, draft)
        await add_event(s, events.sim_ordered(draft))
    return draft


async def list_sim_orders(
    deps: Deps, principal: Principal | None, page_size: int = 0, page_token: str = ""
) -> tuple[list[SimOrder], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.sims.list(s, entity_id, None, page)
    return found, page.next_token(more)


async def get_sim_order(deps: Deps, principal: Principal | None, order_id: str) -> SimOrder:
    entity_id = customer_entity(principal)
    order_id = require_field(order_id, "id")
    async with deps.db.read() as s:
        order = await deps.repo.sims.get(s, order_id, entity_id)
    if order is None:
        raise NotFound("SIM_ORDER_NOT_FOUND", "no such SIM order")
    return order


async def list_all_sim_orders(
    deps: Deps,
    principal: Principal | None,
    status: SimOrderStatus | None,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[SimOrder], str]:
    """Operators: every entity's, oldest first (what to prepare next)."""
    require_operator(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.sims.list(s, None, status, page, oldest_first=True)
    return found, page.next_token(more)


async def ship_sim_order(
    deps: Deps,
    principal: Principal | None,
    order_id: str,
    iccids: Sequence[str],
    carrier: str = "",
    tracking_url: str = "",
) -> SimOrder:
    require_operator(principal)
    order_id = require_field(order_id, "id")
    async with deps.db.transaction() as s:
        order = await deps.repo.sims.get(s, order_id, None, for_update=True)
        if order is None:
            raise NotFound("SIM_ORDER_NOT_FOUND", "no such SIM order")
        order.ship(iccids, carrier, tracking_url, deps.clock())
        taken = await deps.repo.sims.known_iccids(s, [card.iccid for card in order.cards])
        if taken:
            raise AlreadyExists(
                "ICCID_ALREADY_SHIPPED",
                f"these SIMs were shipped already: {', '.join(sorted(taken))}",
            )
        await deps.repo.sims.save_shipment(s, order)
    return order
