"""Orders of the caller's entity: new drafts (unit mode, duplication, and the
one file mode uses), submit, cancel, read and list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import FailedPrecondition, NotFound, require_field
from portal_runtime.filters import day_range
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.passes import collect, finish
from portal_runtime.tokens import Principal
from services.ordering import events
from services.ordering.domain.beneficiaries import BeneficiaryRef
from services.ordering.domain.order_views import OrderView
from services.ordering.domain.orders import (
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    new_order_steps,
    parse_payment_method,
)
from services.ordering.domain.references import order_number
from services.ordering.usecases.common import Deps, require_operator, sorted_ids
from services.ordering.usecases.delivery_points import point_not_found


@dataclass(frozen=True)
class LineInput:
    beneficiary_id: str
    new_card: bool
    load_amount_cents: int


def order_not_found() -> NotFound:
    return NotFound("ORDER_NOT_FOUND", "no such order for this account")


async def load_order(deps: Deps, s: AsyncSession, order_id: str, entity_id: str | None) -> Order:
    """The whole order; `entity_id` None = any entity's (operators)."""
    order = await deps.repo.orders.get(s, order_id, entity_id) if order_id else None
    if order is None:
        raise order_not_found()
    return order


def draft_line(
    beneficiary: BeneficiaryRef, new_card: bool, load_amount_cents: int, line_id: str = ""
) -> OrderLine:
    """A new line for `beneficiary`, keeping its number and name as they are now
    (`line_id`: one of `sorted_ids`, else a new one)."""
    return OrderLine(
        beneficiary.id,
        new_card,
        load_amount_cents,
        employee_number=beneficiary.employee_number,
        beneficiary_name=beneficiary.name,
        id=line_id or new_id(),
    )


async def add_draft(
    deps: Deps,
    s: AsyncSession,
    *,
    order_id: str,
    entity_id: str,
    delivery_point_id: str,
    source: OrderSource,
    lines: list[OrderLine],
    now: datetime,
) -> Order:
    """Numbers and stores a DRAFT with its lines (the domain checks them, a
    chunk of a file's lines at a time)."""
    number = order_number(now.year, await deps.repo.orders.next_sequence(s, now.year))
    steps = new_order_steps(
        id=order_id,
        entity_id=entity_id,
        number=number,
        source=source,
        delivery_point_id=delivery_point_id,
        lines=lines,
        now=now,
        bounds=deps.bounds,
        card_fee_cents=deps.card_fee_cents,
        card_fee_vat_bp=deps.card_fee_vat_bp,
    )
    order = await finish(steps)
    await deps.repo.orders.add(s, order)
    return order


async def create_order(
    deps: Deps, principal: Principal | None, delivery_point_id: str, lines: Sequence[LineInput]
) -> Order:
    """Unit mode: beneficiaries and the point must be the entity's own."""
    entity_id = customer_entity(principal)
    require_field(delivery_point_id, "deliveryPointId")
    async with deps.db.transaction() as s:
        if await deps.repo.delivery_points.get(s, delivery_point_id, entity_id) is None:
            raise point_not_found("deliveryPointId")
        known = await deps.repo.beneficiaries.refs_by_ids(
            s, entity_id, [line.beneficiary_id for line in lines if line.beneficiary_id]
        )
        drafts = []
        for index, line in enumerate(lines):
            found = known.get(line.beneficiary_id)
            if line.beneficiary_id and found is None:
                raise NotFound(
                    "BENEFICIARY_NOT_FOUND",
                    f"lines[{index}]: no such beneficiary for this account",
                    metadata={"field": f"lines[{index}].beneficiaryId"},
                )
            # A line without a beneficiary is the domain's to report, with the others.
            beneficiary = found or BeneficiaryRef(line.beneficiary_id, "", "")
            drafts.append(draft_line(beneficiary, line.new_card, line.load_amount_cents))
        order = await add_draft(
            deps,
            s,
            order_id=new_id(),
            entity_id=entity_id,
            delivery_point_id=delivery_point_id,
            source=OrderSource.UNIT,
            lines=drafts,
            now=deps.clock(),
        )
    return order


async def duplicate_order(deps: Deps, principal: Principal | None, order_id: str) -> Order:
    """A new DRAFT with a past order's lines; beneficiaries deleted since are
    skipped (current names are used)."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        past = await load_order(deps, s, order_id, entity_id)
        if await deps.repo.delivery_points.get(s, past.delivery_point_id, entity_id) is None:
            raise FailedPrecondition(
                "DELIVERY_POINT_DELETED", "the order's delivery point was deleted since"
            )
        known = await deps.repo.beneficiaries.refs_by_ids(
            s, entity_id, [line.beneficiary_id for line in past.lines]
        )
        kept = await collect(line for line in past.lines if line.beneficiary_id in known)
        line_ids = await sorted_ids(len(kept))
        drafts = await collect(
            draft_line(known[line.beneficiary_id], line.new_card, line.load_amount_cents, line_id)
            for line, line_id in zip(kept, line_ids, strict=True)
        )
        if not drafts:
            raise FailedPrecondition(
                "NOTHING_TO_DUPLICATE", "every beneficiary of that order was deleted since"
            )
        order = await add_draft(
            deps,
            s,
            order_id=new_id(),
            entity_id=entity_id,
            delivery_point_id=past.delivery_point_id,
            source=OrderSource.DUPLICATE,
            lines=drafts,
            now=deps.clock(),
        )
    return order


async def submit_order(
    deps: Deps, principal: Principal | None, order_id: str, payment_method: str
) -> Order:
    entity_id = customer_entity(principal)
    method = parse_payment_method(payment_method)
    async with deps.db.transaction() as s:
        order = await load_order(deps, s, order_id, entity_id)
        fact = order.submit(method, deps.transfer, deps.clock())
        await deps.repo.orders.save(s, order)
        await add_event(s, events.order_submitted(fact))
    return order


async def cancel_order(deps: Deps, principal: Principal | None, order_id: str) -> Order:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        order = await load_order(deps, s, order_id, entity_id)
        fact = order.cancel(deps.clock())
        await deps.repo.orders.save(s, order)
        await add_event(s, events.order_cancelled(fact))
    return order


async def get_order(deps: Deps, principal: Principal | None, order_id: str) -> OrderView:
    """The order with its first lines (`LINES_SHOWN`) and its figures over all."""
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        view = await deps.repo.order_views.get(s, order_id, entity_id) if order_id else None
    if view is None:
        raise order_not_found()
    return view


async def list_order_lines(
    deps: Deps,
    principal: Principal | None,
    order_id: str,
    page_size: int,
    page_token: str,
    *,
    any_entity: bool = False,
) -> tuple[list[OrderLine], str]:
    """A page of the order's lines in position order, and the next page's
    token; `any_entity`: an operator's call (any entity's order)."""
    if any_entity:
        require_operator(principal)
        entity_id = None
    else:
        entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found = (
            await deps.repo.order_views.lines(s, order_id, entity_id, page) if order_id else None
        )
    if found is None:
        raise order_not_found()
    lines, more = found
    return lines, page.next_token(more)


async def list_orders(
    deps: Deps,
    principal: Principal | None,
    *,
    status: str,
    date_from: str,
    date_to: str,
    page_size: int,
    page_token: str,
) -> tuple[list[OrderView], str]:
    """Newest first; `status` an OrderStatus value or ""; dates inclusive."""
    entity_id = customer_entity(principal)
    start, end = day_range(date_from, date_to)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.order_views.list(
            s,
            entity_id,
            status=OrderStatus(status) if status else None,
            created_from=start,
            created_before=end,
            page=page,
        )
    return found, page.next_token(more)
