"""Orders as customers and operators read them (`OrderView`): the order, its
first lines and the figures over all its lines (stored on the order by every
write), whatever its size; and its lines page by page. Lists carry the orders
and their figures without lines: a page of 20 orders would otherwise carry up
to 2,000 lines nobody shows there (the lines are the order's page).

A page of lines is a range of positions (0, 1, 2... in each order, on a unique
index): it costs the page, not the lines before it. Customer calls pass their
entity id (another entity's order is not found); operators pass None."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.pagination import Page
from portal_runtime.records import records
from services.ordering.domain.order_views import LINES_SHOWN, LineTotals, OrderView
from services.ordering.domain.orders import OrderLine, OrderStatus
from services.ordering.store.orders import children, order_from_row, read_lines
from services.ordering.store.tables import order_lines, orders

o, line_c = orders.c, order_lines.c


def _totals(row: Row) -> LineTotals:
    return LineTotals(
        count=row.line_count,
        new_cards=row.new_cards,
        loads_cents=row.loads_cents,
        loaded=row.lines_loaded,
        failed=row.lines_failed,
    )


@functools.cache
def _list_statement(
    by_entity: bool, by_status: bool, from_date: bool, before_date: bool, oldest_first: bool
) -> Select[Any]:
    """A list's statement for the filters given, built once per combination
    (building and keying it cost more than running it)."""
    query = select(orders)
    if by_entity:
        query = query.where(o.entity_id == bindparam("entity_id"))
    if by_status:
        query = query.where(o.status == bindparam("status"))
    if from_date:
        query = query.where(o.created_at >= bindparam("created_from"))
    if before_date:
        query = query.where(o.created_at < bindparam("created_before"))
    if oldest_first:
        query = query.order_by(o.created_at.asc(), o.number.asc())
    else:
        query = query.order_by(o.created_at.desc(), o.number.desc())
    return query.offset(bindparam("offset")).limit(bindparam("limit"))


class OrderViewsRepository:
    async def get(
        self, s: AsyncSession, order_id: str, entity_id: str | None, *, shown: int = LINES_SHOWN
    ) -> OrderView | None:
        query = select(orders).where(o.id == order_id)
        if entity_id is not None:
            query = query.where(o.entity_id == entity_id)
        row = (await s.execute(query)).first()
        return (await self._views(s, [row], shown))[0] if row else None

    async def list(
        self,
        s: AsyncSession,
        entity_id: str | None,
        *,
        status: OrderStatus | None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
        number: str = "",
        oldest_first: bool = False,
        page: Page,
    ) -> tuple[list[OrderView], bool]:
        """A page, newest first (or oldest first), without lines; whether more
        follow. `number`: part of the order number."""
        params: dict[str, object] = {
            "entity_id": entity_id,
            "status": status.value if status is not None else None,
            "created_from": created_from,
            "created_before": created_before,
            "offset": page.offset,
            "limit": page.limit + 1,
        }
        shape = (
            entity_id is not None,
            status is not None,
            created_from is not None,
            created_before is not None,
            oldest_first,
        )
        query = _list_statement(*shape)
        if number:  # an operator's search: escaped as a literal, built each time
            query = query.where(o.number.contains(number, autoescape=True))
        rows = records(await s.execute(query, params))
        return await self._views(s, rows[: page.limit], 0), len(rows) > page.limit

    async def lines(
        self, s: AsyncSession, order_id: str, entity_id: str | None, page: Page
    ) -> tuple[list[OrderLine], bool] | None:
        """The order's lines from position `page.offset`, `page.limit` of them;
        whether more follow. None: no such order (for this entity)."""
        query = select(o.id).where(o.id == order_id)
        if entity_id is not None:
            query = query.where(o.entity_id == entity_id)
        if await s.scalar(query) is None:
            return None
        found = await read_lines(
            s,
            line_c.order_id == order_id,
            line_c.position >= page.offset,
            line_c.position < page.offset + page.limit + 1,
        )
        lines = found.get(order_id, [])
        return lines[: page.limit], len(lines) > page.limit

    @staticmethod
    async def _views(s: AsyncSession, rows: Sequence[Row], shown: int) -> list[OrderView]:
        """At most three queries whatever the number of orders: their first
        `shown` lines (none read when 0), their history, their stages."""
        ids = [row.id for row in rows]
        if not ids:
            return []
        lines = (
            await read_lines(s, line_c.order_id.in_(ids), line_c.position < shown) if shown else {}
        )
        history, stages = await children(s, ids)
        return [
            OrderView(
                order_from_row(row, lines.get(row.id, []), history[row.id], stages[row.id]),
                _totals(row),
            )
            for row in rows
        ]
