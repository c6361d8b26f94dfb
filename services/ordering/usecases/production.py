"""Back-office: operators find and read any entity's orders, move them through
production, shipping and delivery, and record the card loads."""

from __future__ import annotations

from collections.abc import Sequence

from portal_runtime.errors import InvalidArgument
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.ordering import events
from services.ordering.domain.order_views import OrderView
from services.ordering.domain.orders import LoadOutcome, Order, OrderStatus
from services.ordering.domain.shipping import check_shipping, check_stage
from services.ordering.usecases.common import Deps, require_operator
from services.ordering.usecases.orders import load_order, order_not_found

# The longest order number the store keeps: a longer query cannot match.
MAX_NUMBER_QUERY = 32


async def list_any_orders(
    deps: Deps,
    principal: Principal | None,
    *,
    status: str,
    entity_id: str,
    q: str,
    page_size: int,
    page_token: str,
) -> tuple[list[OrderView], str]:
    """Any entity's orders; `status` an OrderStatus value or "", `entity_id`
    "" for every entity, `q` part of the number. Filtered by status, the oldest
    come first: the order waiting longest is the next to produce or ship."""
    require_operator(principal)
    number = q.strip().upper()
    if len(number) > MAX_NUMBER_QUERY:
        raise InvalidArgument.for_field(
            "q", f"is at most {MAX_NUMBER_QUERY} characters (part of an order number)"
        )
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.order_views.list(
            s,
            entity_id.strip() or None,
            status=OrderStatus(status) if status else None,
            number=number,
            oldest_first=bool(status),
            page=page,
        )
    return found, page.next_token(more)


async def get_any_order(deps: Deps, principal: Principal | None, order_id: str) -> OrderView:
    require_operator(principal)
    async with deps.db.read() as s:
        view = await deps.repo.order_views.get(s, order_id, None) if order_id else None
    if view is None:
        raise order_not_found()
    return view


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
