"""Orders of the caller's entity: loading one whole, new drafts (unit mode,
duplication, and the shared insert file mode uses), submit, cancel, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portal.ordering.v1 import events_pb2
from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound, require_field
from portal_runtime.filters import day_range
from portal_runtime.outbox import add_event, new_event
from portal_runtime.pagination import parse_page
from portal_runtime.protos import money
from portal_runtime.tokens import Principal
from services.ordering.domain.orders import (
    Action,
    LoadStatus,
    Order,
    OrderLine,
    OrderStatus,
    new_order,
)
from services.ordering.domain.references import order_number, transfer_reference
from services.ordering.usecases.beneficiaries import point_not_found
from services.ordering.usecases.common import Deps

PAYMENT_METHODS = ("CARD", "TRANSFER")


@dataclass
class OrderData:
    row: Row
    lines: Sequence[Row]
    history: Sequence[Row]
    stages: Sequence[Row]


@dataclass(frozen=True)
class DraftLine:
    beneficiary_id: str
    employee_number: str
    beneficiary_name: str
    new_card: bool
    load_amount_cents: int


@dataclass(frozen=True)
class LineInput:
    beneficiary_id: str
    new_card: bool
    load_amount_cents: int


def order_not_found() -> NotFound:
    return NotFound("ORDER_NOT_FOUND", "no such order for this account")


def full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()


async def load_order(
    deps: Deps, s: AsyncSession, order_id: str, entity_id: str | None
) -> OrderData:
    """The order with its lines, history and stages; `entity_id` None = any entity
    (operators)."""
    row = await deps.repo.order(s, order_id, entity_id) if order_id else None
    if row is None:
        raise order_not_found()
    return OrderData(
        row,
        await deps.repo.lines_of(s, row.id),
        await deps.repo.history_of(s, row.id),
        await deps.repo.stages_of(s, row.id),
    )


async def insert_draft(
    deps: Deps,
    s: AsyncSession,
    *,
    entity_id: str,
    delivery_point_id: str,
    lines: Sequence[DraftLine],
    source: str,
    now: datetime,
) -> str:
    """Checks the lines (domain rules), numbers and stores a DRAFT with its
    lines in bulk; the new order's id."""
    order = new_order(
        number="",
        delivery_point_id=delivery_point_id,
        lines=[OrderLine(d.beneficiary_id, d.new_card, d.load_amount_cents) for d in lines],
        now=now,
        bounds=deps.bounds,
        card_fee_cents=deps.card_fee_cents,
        card_fee_vat_bp=deps.card_fee_vat_bp,
    )
    order.number = order_number(now.year, await deps.repo.next_sequence(s, now.year))
    order_id = new_id()
    await deps.repo.add_order(
        s,
        {
            "id": order_id,
            "entity_id": entity_id,
            "number": order.number,
            "status": order.status.value,
            "delivery_point_id": delivery_point_id,
            "source": source,
            "card_fee_cents": deps.card_fee_cents,
            "card_fee_vat_bp": deps.card_fee_vat_bp,
            "loads_cents": order.loads_cents,
            "fees_cents": order.fees_cents,
            "total_cents": order.total_cents,
            "created_at": now,
            "updated_at": now,
        },
        [
            {
                "id": new_id(),
                "order_id": order_id,
                "position": index,
                "beneficiary_id": d.beneficiary_id,
                "employee_number": d.employee_number,
                "beneficiary_name": d.beneficiary_name,
                "new_card": d.new_card,
                "load_amount_cents": d.load_amount_cents,
                "load_status": LoadStatus.PENDING.value,
                "load_error": "",
            }
            for index, d in enumerate(lines)
        ],
    )
    await deps.repo.add_history(s, order_id, order.status.value, now)
    return order_id


async def transition(deps: Deps, s: AsyncSession, row: Row, action: Action, **values) -> str:
    """Applies the domain's status machine, stores the status and its history."""
    now = deps.clock()
    order = Order(row.number, row.delivery_point_id, [], status=OrderStatus(row.status))
    status = order.apply(action, now).value
    await deps.repo.update_order(s, row.id, status=status, updated_at=now, **values)
    await deps.repo.add_history(s, row.id, status, now)
    return status


async def create_order(
    deps: Deps, principal: Principal | None, delivery_point_id: str, lines: Sequence[LineInput]
) -> OrderData:
    """Unit mode: beneficiaries and the point must be the entity's own."""
    entity_id = customer_entity(principal)
    require_field(delivery_point_id, "deliveryPointId")
    async with deps.db.transaction() as s:
        if await deps.repo.delivery_point(s, entity_id, delivery_point_id) is None:
            raise point_not_found("deliveryPointId")
        known = await deps.repo.beneficiaries_by_ids(
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
            drafts.append(
                DraftLine(
                    line.beneficiary_id,
                    found.employee_number if found else "",
                    full_name(found.first_name, found.last_name) if found else "",
                    line.new_card,
                    line.load_amount_cents,
                )
            )
        order_id = await insert_draft(
            deps,
            s,
            entity_id=entity_id,
            delivery_point_id=delivery_point_id,
            lines=drafts,
            source="UNIT",
            now=deps.clock(),
        )
        return await load_order(deps, s, order_id, entity_id)


async def duplicate_order(deps: Deps, principal: Principal | None, order_id: str) -> OrderData:
    """A new DRAFT with a past order's lines; beneficiaries deleted since are
    skipped (current names are used)."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        source = await load_order(deps, s, order_id, entity_id)
        if await deps.repo.delivery_point(s, entity_id, source.row.delivery_point_id) is None:
            raise FailedPrecondition(
                "DELIVERY_POINT_DELETED", "the order's delivery point was deleted since"
            )
        known = await deps.repo.beneficiaries_by_ids(
            s, entity_id, [line.beneficiary_id for line in source.lines]
        )
        drafts = [
            DraftLine(
                line.beneficiary_id,
                known[line.beneficiary_id].employee_number,
                full_name(
                    known[line.beneficiary_id].first_name, known[line.beneficiary_id].last_name
                ),
                line.new_card,
                line.load_amount_cents,
            )
            for line in source.lines
            if line.beneficiary_id in known
        ]
        if not drafts:
            raise FailedPrecondition(
                "NOTHING_TO_DUPLICATE", "every beneficiary of that order was deleted since"
            )
        new_order_id = await insert_draft(
            deps,
            s,
            entity_id=entity_id,
            delivery_point_id=source.row.delivery_point_id,
            lines=drafts,
            source="DUPLICATE",
            now=deps.clock(),
        )
        return await load_order(deps, s, new_order_id, entity_id)


async def submit_order(
    deps: Deps, principal: Principal | None, order_id: str, payment_method: str
) -> OrderData:
    entity_id = customer_entity(principal)
    method = payment_method.strip().upper()
    if method not in PAYMENT_METHODS:
        raise InvalidArgument.for_field(
            "paymentMethod", "must be CARD or TRANSFER", reason="INVALID_PAYMENT_METHOD"
        )
    async with deps.db.transaction() as s:
        row = (await load_order(deps, s, order_id, entity_id)).row
        values: dict[str, str] = {"payment_method": method}
        reference = ""
        if method == "TRANSFER":
            reference = transfer_reference(row.number)
            values.update(
                transfer_iban=deps.transfer.iban,
                transfer_bic=deps.transfer.bic,
                transfer_holder=deps.transfer.holder,
                transfer_reference=reference,
            )
        await transition(deps, s, row, Action.SUBMIT, **values)
        event = new_event(
            events_pb2.OrderSubmitted,
            entity_id=entity_id,
            order_id=row.id,
            order_number=row.number,
            amount=money(row.total_cents),
            payment_method=method,
            transfer_reference=reference,
            transfer_iban=values.get("transfer_iban", ""),
            transfer_bic=values.get("transfer_bic", ""),
            transfer_holder=values.get("transfer_holder", ""),
            loads_cents=row.loads_cents,
            new_cards=row.fees_cents // row.card_fee_cents if row.card_fee_cents else 0,
            card_fee_cents=row.card_fee_cents,
            card_fee_vat_bp=row.card_fee_vat_bp,
        )
        await add_event(s, event)
        return await load_order(deps, s, row.id, entity_id)


async def cancel_order(deps: Deps, principal: Principal | None, order_id: str) -> OrderData:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = (await load_order(deps, s, order_id, entity_id)).row
        await transition(deps, s, row, Action.CANCEL)
        await add_event(
            s,
            new_event(
                events_pb2.OrderCancelled,
                entity_id=entity_id,
                order_id=row.id,
                order_number=row.number,
            ),
        )
        return await load_order(deps, s, row.id, entity_id)


async def get_order(deps: Deps, principal: Principal | None, order_id: str) -> OrderData:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        return await load_order(deps, s, order_id, entity_id)


async def list_orders(
    deps: Deps,
    principal: Principal | None,
    *,
    status: str,
    date_from: str,
    date_to: str,
    page_size: int,
    page_token: str,
) -> tuple[list[OrderData], str]:
    """Newest first; `status` an OrderStatus value or ""; dates inclusive."""
    entity_id = customer_entity(principal)
    start, end = day_range(date_from, date_to)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_orders(
            s,
            entity_id,
            status=status,
            created_from=start,
            created_before=end,
            offset=page.offset,
            limit=page.limit + 1,
        )
        ids = [row.id for row in rows[: page.limit]]
        lines = await deps.repo.lines_of_orders(s, ids)
        history = await deps.repo.history_of_orders(s, ids)
        stages = await deps.repo.stages_of_orders(s, ids)
    result = [
        OrderData(row, lines[row.id], history[row.id], stages[row.id]) for row in rows[: page.limit]
    ]
    return result, page.next_token(len(rows) > page.limit)
