"""Back-office: operators move any entity's order through production, shipping
and delivery, and record the card loads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

from portal.ordering.v1 import events_pb2
from portal_runtime.auth import authenticated
from portal_runtime.errors import (
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    Violations,
    require_field,
)
from portal_runtime.outbox import add_event, new_event
from portal_runtime.protos import money
from portal_runtime.tokens import Principal
from services.ordering.domain.orders import (
    Action,
    LoadStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from services.ordering.usecases.common import Deps
from services.ordering.usecases.orders import OrderData, load_order, transition

FIRST_STAGE = "Picked up"


@dataclass(frozen=True)
class LoadOutcome:
    line_id: str
    loaded: bool
    error: str = ""


def _operator(principal: Principal | None) -> None:
    if not authenticated(principal).operator:
        raise PermissionDenied("OPERATOR_ONLY", "this method is for operators")


async def start_production(deps: Deps, principal: Principal | None, order_id: str) -> OrderData:
    _operator(principal)
    async with deps.db.transaction() as s:
        row = (await load_order(deps, s, order_id, None)).row
        await transition(deps, s, row, Action.START_PRODUCTION)
        return await load_order(deps, s, row.id, None)


def _check_shipping(carrier: str, tracking_url: str) -> tuple[str, str]:
    violations = Violations()
    carrier = " ".join(carrier.split())
    if not carrier:
        violations.add("carrier", "is required")
    elif len(carrier) > 100:
        violations.add("carrier", "must be at most 100 characters")
    url = tracking_url.strip()
    parsed = urlparse(url)
    if not url:
        violations.add("trackingUrl", "is required")
    elif parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        violations.add("trackingUrl", "must be an http(s) URL")
    violations.raise_if_any()
    return carrier, url


async def ship_order(
    deps: Deps, principal: Principal | None, order_id: str, carrier: str, tracking_url: str
) -> OrderData:
    _operator(principal)
    carrier, url = _check_shipping(carrier, tracking_url)
    async with deps.db.transaction() as s:
        row = (await load_order(deps, s, order_id, None)).row
        await transition(deps, s, row, Action.SHIP, carrier=carrier, tracking_url=url)
        await deps.repo.add_stage(s, row.id, FIRST_STAGE, "", deps.clock())
        await add_event(
            s,
            new_event(
                events_pb2.OrderShipped,
                entity_id=row.entity_id,
                order_id=row.id,
                order_number=row.number,
                carrier=carrier,
                tracking_url=url,
            ),
        )
        return await load_order(deps, s, row.id, None)


async def add_delivery_stage(
    deps: Deps, principal: Principal | None, order_id: str, label: str, location: str
) -> OrderData:
    _operator(principal)
    label = " ".join(require_field(label, "label").split())
    if len(label) > 100 or len(location) > 200:
        raise InvalidArgument.for_field("label", "label up to 100, location up to 200 characters")
    async with deps.db.transaction() as s:
        row = (await load_order(deps, s, order_id, None)).row
        if row.status != OrderStatus.SHIPPED.value:
            raise_status(row.status, "add a delivery stage to")
        await deps.repo.add_stage(s, row.id, label, " ".join(location.split()), deps.clock())
        return await load_order(deps, s, row.id, None)


def raise_status(status: str, what: str) -> None:
    raise FailedPrecondition(
        "INVALID_ORDER_STATUS", f"cannot {what} an order {status}", metadata={"status": status}
    )


async def deliver_order(deps: Deps, principal: Principal | None, order_id: str) -> OrderData:
    _operator(principal)
    async with deps.db.transaction() as s:
        row = (await load_order(deps, s, order_id, None)).row
        await transition(deps, s, row, Action.DELIVER)
        await add_event(
            s,
            new_event(
                events_pb2.OrderDelivered,
                entity_id=row.entity_id,
                order_id=row.id,
                order_number=row.number,
            ),
        )
        return await load_order(deps, s, row.id, None)


async def record_loads(
    deps: Deps, principal: Principal | None, order_id: str, outcomes: Sequence[LoadOutcome]
) -> OrderData:
    """Each outcome sets its line LOADED or FAILED (domain rules); a loaded new
    card gives the beneficiary `has_card`. Publishes CardsLoaded."""
    _operator(principal)
    if not outcomes:
        raise InvalidArgument.for_field("outcomes", "is required", reason="REQUIRED_FIELD")
    now = deps.clock()
    async with deps.db.transaction() as s:
        data = await load_order(deps, s, order_id, None)
        row = data.row
        order = Order(
            row.number,
            row.delivery_point_id,
            [
                OrderLine(
                    line.beneficiary_id,
                    line.new_card,
                    line.load_amount_cents,
                    LoadStatus(line.load_status),
                    line.load_error,
                )
                for line in data.lines
            ],
            status=OrderStatus(row.status),
        )
        index_of = {line.id: index for index, line in enumerate(data.lines)}
        touched: dict[int, None] = {}
        for outcome in outcomes:
            index = index_of.get(outcome.line_id, -1)
            order.record_load(index, loaded=outcome.loaded, error=outcome.error)
            touched[index] = None
        new_cards: list[str] = []
        loaded_cents = loaded = failed = 0
        for index in touched:
            line, stored = order.lines[index], data.lines[index]
            await deps.repo.update_line(
                s, stored.id, load_status=line.load_status.value, load_error=line.load_error,
                loaded_at=now,
            )  # fmt: skip
            if line.load_status is LoadStatus.LOADED:
                loaded += 1
                loaded_cents += line.load_amount_cents
                if line.new_card:
                    new_cards.append(line.beneficiary_id)
            else:
                failed += 1
        await deps.repo.set_has_card(s, new_cards)
        await deps.repo.update_order(s, row.id, updated_at=now)
        await add_event(
            s,
            new_event(
                events_pb2.CardsLoaded,
                entity_id=row.entity_id,
                order_id=row.id,
                order_number=row.number,
                lines_loaded=loaded,
                lines_failed=failed,
                amount_loaded=money(loaded_cents),
            ),
        )
        return await load_order(deps, s, row.id, None)
