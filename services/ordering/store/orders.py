"""Orders with their lines, status history and delivery stages; the yearly
order-number counter; the loaded lines the statistics read.

`get` returns the whole `Order` a use case changes, reading lines, history and
stages in one query each (what customers and operators read, an order with its
first lines and its lines page by page, is in `order_views`); `add` writes a new
order and its lines (a file brings up to 100,000: `bulk`); `save` writes what the domain
changed since the order was read or added in this transaction (`tracking`):
changed order columns, new history entries and stages, and the lines the
domain replaced (it replaces a line to change it). Customer calls pass their
entity id (another entity's order is not found); operators pass None (any
entity)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.records import records
from services.ordering.domain.order_views import LineTotals
from services.ordering.domain.orders import (
    LoadStatus,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    PaymentMethod,
    StatusChange,
    total_to_pay,
)
from services.ordering.domain.shipping import DeliveryStage
from services.ordering.domain.statistics import LoadedLine
from services.ordering.store.bulk import insert_rows
from services.ordering.store.tables import (
    delivery_stages,
    order_counters,
    order_lines,
    order_status_history,
    orders,
)
from services.ordering.store.tracking import recall, remember, remember_row, save_row

o, line_c, h, d = orders.c, order_lines.c, order_status_history.c, delivery_stages.c
# Tracking kind: what the store holds of an order's history, stages and lines.
_CHILDREN = "orders.children"


@dataclass(frozen=True)
class _Children:
    history: int  # entries stored (the history only grows)
    stages: int
    lines: list[OrderLine]  # the line objects stored: a changed line is another object


def _remember_children(s: AsyncSession, order: Order) -> None:
    children = _Children(len(order.history), len(order.stages), list(order.lines))
    remember(s, _CHILDREN, order.id, children)


def _order_row(order: Order) -> dict[str, Any]:
    totals = LineTotals.of(order.lines)
    fees_cents = totals.new_cards * order.card_fee_cents
    return {
        "id": order.id,
        "entity_id": order.entity_id,
        "number": order.number,
        "status": order.status.value,
        "delivery_point_id": order.delivery_point_id,
        "source": order.source.value,
        "payment_method": order.payment_method.value if order.payment_method else "",
        "payment_id": order.payment_id,
        "invoice_id": order.invoice_id,
        "transfer_iban": order.transfer_iban,
        "transfer_bic": order.transfer_bic,
        "transfer_holder": order.transfer_holder,
        "transfer_reference": order.transfer_reference,
        "carrier": order.carrier,
        "tracking_url": order.tracking_url,
        "card_fee_cents": order.card_fee_cents,
        "card_fee_vat_bp": order.card_fee_vat_bp,
        # Derived from the lines; stored for reading the table without them.
        "loads_cents": totals.loads_cents,
        "fees_cents": fees_cents,
        "total_cents": total_to_pay(totals.loads_cents, fees_cents, order.card_fee_vat_bp),
        "line_count": totals.count,
        "new_cards": totals.new_cards,
        "lines_loaded": totals.loaded,
        "lines_failed": totals.failed,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def _line_row(order_id: str, line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "order_id": order_id,
        "position": line.position,
        "beneficiary_id": line.beneficiary_id,
        "employee_number": line.employee_number,
        "beneficiary_name": line.beneficiary_name,
        "new_card": line.new_card,
        "load_amount_cents": line.load_amount_cents,
        "load_status": line.load_status.value,
        "load_error": line.load_error,
        "loaded_at": line.loaded_at,
    }


_LOAD_STATUS = {status.value: status for status in LoadStatus}
_LINE_COLUMNS = (
    line_c.order_id,
    line_c.beneficiary_id,
    line_c.new_card,
    line_c.load_amount_cents,
    line_c.employee_number,
    line_c.beneficiary_name,
    line_c.load_status,
    line_c.load_error,
    line_c.loaded_at,
    line_c.id,
    line_c.position,
)


def order_from_row(
    row: Row, lines: list[OrderLine], history: list[Row], stages: list[Row]
) -> Order:
    return Order(
        id=row.id,
        entity_id=row.entity_id,
        number=row.number,
        delivery_point_id=row.delivery_point_id,
        source=OrderSource(row.source),
        lines=lines,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        card_fee_cents=row.card_fee_cents,
        card_fee_vat_bp=row.card_fee_vat_bp,
        status=OrderStatus(row.status),
        history=[StatusChange(OrderStatus(c.status), aware(c.at)) for c in history],
        stages=[DeliveryStage(stage.label, stage.location, aware(stage.at)) for stage in stages],
        payment_method=PaymentMethod(row.payment_method) if row.payment_method else None,
        payment_id=row.payment_id,
        invoice_id=row.invoice_id,
        transfer_iban=row.transfer_iban,
        transfer_bic=row.transfer_bic,
        transfer_holder=row.transfer_holder,
        transfer_reference=row.transfer_reference,
        carrier=row.carrier,
        tracking_url=row.tracking_url,
    )


class OrdersRepository:
    async def next_sequence(self, s: AsyncSession, year: int) -> int:
        """The year's next order sequence, incremented in the caller's transaction
        (an upsert: the row is locked until commit on PostgreSQL, and SQLite has
        one writer)."""
        dialect = postgresql if s.bind.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(order_counters).values(year=year, value=1)
        statement = statement.on_conflict_do_update(
            index_elements=[order_counters.c.year],
            set_={"value": order_counters.c.value + 1},
        ).returning(order_counters.c.value)
        return int((await s.execute(statement)).scalar_one())

    async def add(self, s: AsyncSession, order: Order) -> None:
        row = _order_row(order)
        await s.execute(insert(orders).values(**row))
        await insert_rows(s, order_lines, (_line_row(order.id, x) for x in order.lines))
        await self._insert_children(s, order, order.history, order.stages)
        remember_row(s, orders, row)
        _remember_children(s, order)

    async def get(self, s: AsyncSession, order_id: str, entity_id: str | None) -> Order | None:
        query = select(orders).where(o.id == order_id)
        if entity_id is not None:
            query = query.where(o.entity_id == entity_id)
        row = (await s.execute(query)).first()
        if row is None:
            return None
        lines = await read_lines(s, line_c.order_id == order_id)
        history, stages = await children(s, [order_id])
        order = order_from_row(row, lines.get(order_id, []), history[order_id], stages[order_id])
        remember_row(s, orders, _order_row(order))
        _remember_children(s, order)
        return order

    async def save(self, s: AsyncSession, order: Order) -> None:
        """Writes what changed since `get` or `add` in this transaction."""
        await save_row(s, orders, _order_row(order))
        stored: _Children = recall(s, _CHILDREN, order.id)
        await self._insert_children(
            s, order, order.history[stored.history :], order.stages[stored.stages :]
        )
        outcomes = [
            {
                "line_id": line.id,
                "load_status": line.load_status.value,
                "load_error": line.load_error,
                "loaded_at": line.loaded_at,
            }
            for line, before in zip(order.lines, stored.lines, strict=True)
            if line is not before
        ]
        if outcomes:
            await s.execute(update(order_lines).where(line_c.id == bindparam("line_id")), outcomes)
        _remember_children(s, order)

    async def loaded_lines(
        self,
        s: AsyncSession,
        entity_id: str,
        *,
        loaded_from: datetime | None,
        loaded_before: datetime | None,
    ) -> list[LoadedLine]:
        """The entity's LOADED lines, loaded in [loaded_from, loaded_before)."""
        query = (
            select(
                line_c.beneficiary_id,
                line_c.employee_number,
                line_c.beneficiary_name,
                line_c.load_amount_cents,
                line_c.loaded_at,
            )
            .join(orders, o.id == line_c.order_id)
            .where(o.entity_id == entity_id, line_c.load_status == LoadStatus.LOADED.value)
        )
        if loaded_from is not None:
            query = query.where(line_c.loaded_at >= loaded_from)
        if loaded_before is not None:
            query = query.where(line_c.loaded_at < loaded_before)
        return [
            LoadedLine(beneficiary_id, number, name, cents, aware(loaded_at))
            for beneficiary_id, number, name, cents, loaded_at in await s.execute(query)
        ]

    @staticmethod
    async def _insert_children(
        s: AsyncSession,
        order: Order,
        history: Sequence[StatusChange],
        stages: Sequence[DeliveryStage],
    ) -> None:
        if history:
            await s.execute(
                insert(order_status_history),
                [{"order_id": order.id, "status": c.status.value, "at": c.at} for c in history],
            )
        if stages:
            await s.execute(
                insert(delivery_stages),
                [
                    {"order_id": order.id, "label": x.label, "location": x.location, "at": x.at}
                    for x in stages
                ],
            )


async def read_lines(s: AsyncSession, *where: Any) -> dict[str, list[OrderLine]]:
    """The lines `where` selects, by order id, in position order."""
    grouped: dict[str, list[OrderLine]] = {}
    query = select(*_LINE_COLUMNS).where(*where).order_by(line_c.order_id, line_c.position)
    # Unpacked, not read by attribute: up to 100,000 lines per order.
    for (
        order_id, beneficiary_id, new_card, cents, number, name,
        status, error, loaded_at, line_id, position,
    ) in await s.execute(query):  # fmt: skip
        grouped.setdefault(order_id, []).append(
            OrderLine(beneficiary_id, new_card, cents, number, name, _LOAD_STATUS[status],
                      error, aware(loaded_at), line_id, position)
        )  # fmt: skip
    return grouped


# Built once: every order read (a list, a detail) runs both.
_HISTORY_OF = (
    select(order_status_history)
    .where(h.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(h.at, h.id)
)
_STAGES_OF = (
    select(delivery_stages)
    .where(d.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(d.at, d.id)
)


async def children(
    s: AsyncSession, order_ids: Sequence[str]
) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
    """The orders' status history and delivery stages, by order id (two
    queries whatever the number of orders)."""
    return (
        await _grouped(s, _HISTORY_OF, order_ids),
        await _grouped(s, _STAGES_OF, order_ids),
    )


async def _grouped(s: AsyncSession, query: Any, order_ids: Sequence[str]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for row in records(await s.execute(query, {"ids": list(order_ids)})):
            grouped[row.order_id].append(row)
    return grouped
