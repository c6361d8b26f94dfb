"""Orders, their lines, status history and delivery stages; the yearly order
number counter; background imports.

Customer calls pass their entity id (another entity's order is not found);
operators pass None (any entity)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.ordering.store.tables import (
    beneficiaries,
    delivery_stages,
    order_counters,
    order_imports,
    order_lines,
    order_status_history,
    orders,
)


class OrdersRepository:
    # ---- numbers -------------------------------------------------------------
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

    # ---- orders ----------------------------------------------------------------
    async def add_order(
        self, s: AsyncSession, order: dict[str, Any], lines: list[dict[str, Any]]
    ) -> None:
        """The order row and its lines (one executemany), each dict with its id."""
        await s.execute(insert(orders).values(**order))
        if lines:
            await s.execute(insert(order_lines), lines)

    async def order(self, s: AsyncSession, order_id: str, entity_id: str | None) -> Row | None:
        query = select(orders).where(orders.c.id == order_id)
        if entity_id is not None:
            query = query.where(orders.c.entity_id == entity_id)
        return (await s.execute(query)).first()

    async def lines_of(self, s: AsyncSession, order_id: str) -> Sequence[Row]:
        query = (
            select(order_lines)
            .where(order_lines.c.order_id == order_id)
            .order_by(order_lines.c.position)
        )
        return (await s.execute(query)).all()

    async def lines_of_orders(
        self, s: AsyncSession, order_ids: Sequence[str]
    ) -> dict[str, list[Row]]:
        return await self._grouped(s, order_lines, order_ids, order_lines.c.position)

    async def history_of_orders(
        self, s: AsyncSession, order_ids: Sequence[str]
    ) -> dict[str, list[Row]]:
        h = order_status_history.c
        return await self._grouped(s, order_status_history, order_ids, h.at, h.id)

    async def stages_of_orders(
        self, s: AsyncSession, order_ids: Sequence[str]
    ) -> dict[str, list[Row]]:
        d = delivery_stages.c
        return await self._grouped(s, delivery_stages, order_ids, d.at, d.id)

    @staticmethod
    async def _grouped(s: AsyncSession, table, order_ids: Sequence[str], *order_by) -> dict:
        grouped: dict[str, list[Row]] = {order_id: [] for order_id in order_ids}
        if order_ids:
            query = select(table).where(table.c.order_id.in_(list(order_ids))).order_by(*order_by)
            for row in (await s.execute(query)).all():
                grouped[row.order_id].append(row)
        return grouped

    async def history_of(self, s: AsyncSession, order_id: str) -> Sequence[Row]:
        h = order_status_history.c
        query = select(order_status_history).where(h.order_id == order_id).order_by(h.at, h.id)
        return (await s.execute(query)).all()

    async def stages_of(self, s: AsyncSession, order_id: str) -> Sequence[Row]:
        d = delivery_stages.c
        query = select(delivery_stages).where(d.order_id == order_id).order_by(d.at, d.id)
        return (await s.execute(query)).all()

    async def list_orders(
        self,
        s: AsyncSession,
        entity_id: str,
        *,
        status: str,
        created_from: datetime | None,
        created_before: datetime | None,
        offset: int,
        limit: int,
    ) -> Sequence[Row]:
        o = orders.c
        query = select(orders).where(o.entity_id == entity_id)
        if status:
            query = query.where(o.status == status)
        if created_from is not None:
            query = query.where(o.created_at >= created_from)
        if created_before is not None:
            query = query.where(o.created_at < created_before)
        query = query.order_by(o.created_at.desc(), o.number.desc()).offset(offset).limit(limit)
        return (await s.execute(query)).all()

    async def update_order(self, s: AsyncSession, order_id: str, **values: Any) -> None:
        await s.execute(update(orders).where(orders.c.id == order_id).values(**values))

    async def add_history(self, s: AsyncSession, order_id: str, status: str, at: datetime) -> None:
        await s.execute(
            insert(order_status_history).values(order_id=order_id, status=status, at=at)
        )

    async def add_stage(
        self, s: AsyncSession, order_id: str, label: str, location: str, at: datetime
    ) -> None:
        await s.execute(
            insert(delivery_stages).values(order_id=order_id, label=label, location=location, at=at)
        )

    async def update_line(self, s: AsyncSession, line_id: str, **values: Any) -> None:
        await s.execute(update(order_lines).where(order_lines.c.id == line_id).values(**values))

    async def set_has_card(self, s: AsyncSession, beneficiary_ids: Sequence[str]) -> None:
        if beneficiary_ids:
            await s.execute(
                update(beneficiaries)
                .where(beneficiaries.c.id.in_(list(beneficiary_ids)))
                .values(has_card=True)
            )

    async def loaded_lines(
        self,
        s: AsyncSession,
        entity_id: str,
        *,
        loaded_from: datetime | None,
        loaded_before: datetime | None,
    ) -> Sequence[Row]:
        """The entity's LOADED lines: beneficiary, snapshots, amount, load time."""
        line = order_lines.c
        query = (
            select(
                line.beneficiary_id,
                line.employee_number,
                line.beneficiary_name,
                line.load_amount_cents,
                line.loaded_at,
            )
            .join(orders, orders.c.id == line.order_id)
            .where(orders.c.entity_id == entity_id, line.load_status == "LOADED")
        )
        if loaded_from is not None:
            query = query.where(line.loaded_at >= loaded_from)
        if loaded_before is not None:
            query = query.where(line.loaded_at < loaded_before)
        return (await s.execute(query)).all()

    # ---- background imports --------------------------------------------------------
    async def add_import(self, s: AsyncSession, **values: Any) -> None:
        await s.execute(insert(order_imports).values(**values))

    async def order_import(
        self, s: AsyncSession, import_id: str, entity_id: str | None, *, with_file: bool = False
    ) -> Row | None:
        columns = [c for c in order_imports.c if with_file or c.name != "file"]
        query = select(*columns).where(order_imports.c.id == import_id)
        if entity_id is not None:
            query = query.where(order_imports.c.entity_id == entity_id)
        return (await s.execute(query)).first()

    async def running_import_ids(self, s: AsyncSession) -> list[str]:
        i = order_imports.c
        query = select(i.id).where(i.state == "RUNNING").order_by(i.created_at, i.id)
        return list((await s.execute(query)).scalars())

    async def finish_import(self, s: AsyncSession, import_id: str, **values: Any) -> bool:
        """Ends a RUNNING import; False when it is not RUNNING any more (another
        replica finished it: on PostgreSQL the row lock makes this one wait)."""
        i = order_imports.c
        result = await s.execute(
            update(order_imports).where(i.id == import_id, i.state == "RUNNING").values(**values)
        )
        return result.rowcount == 1

    async def update_import(self, s: AsyncSession, import_id: str, **values: Any) -> None:
        await s.execute(
            update(order_imports).where(order_imports.c.id == import_id).values(**values)
        )
