"""Beneficiaries and delivery points: every query filters on the caller's
entity and ignores soft-deleted rows, so another entity's ids are not found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import new_id
from services.ordering.domain.orders import OPEN_STATUSES, OrderStatus
from services.ordering.store.tables import beneficiaries, delivery_points, order_lines, orders


def _live_beneficiary(entity_id: str):
    b = beneficiaries.c
    return (b.entity_id == entity_id) & b.deleted_at.is_(None)


def _live_point(entity_id: str):
    d = delivery_points.c
    return (d.entity_id == entity_id) & d.deleted_at.is_(None)


class CatalogRepository:
    # ---- beneficiaries -------------------------------------------------------
    async def add_beneficiary(self, s: AsyncSession, **values: Any) -> str:
        values.setdefault("id", new_id())
        await s.execute(insert(beneficiaries).values(**values))
        return values["id"]

    async def add_beneficiaries(self, s: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Bulk insert (executemany); each dict carries its id."""
        if rows:
            await s.execute(insert(beneficiaries), rows)

    async def beneficiary(self, s: AsyncSession, entity_id: str, beneficiary_id: str) -> Row | None:
        query = select(beneficiaries).where(
            _live_beneficiary(entity_id), beneficiaries.c.id == beneficiary_id
        )
        return (await s.execute(query)).first()

    async def beneficiary_number_taken(
        self, s: AsyncSession, entity_id: str, number: str, *, other_than: str = ""
    ) -> bool:
        query = select(beneficiaries.c.id).where(
            _live_beneficiary(entity_id), beneficiaries.c.employee_number == number
        )
        if other_than:
            query = query.where(beneficiaries.c.id != other_than)
        return await s.scalar(query) is not None

    async def beneficiaries_by_ids(
        self, s: AsyncSession, entity_id: str, ids: Sequence[str]
    ) -> dict[str, Row]:
        if not ids:
            return {}
        query = select(beneficiaries).where(
            _live_beneficiary(entity_id), beneficiaries.c.id.in_(list(ids))
        )
        return {row.id: row for row in (await s.execute(query)).all()}

    async def beneficiaries_by_number(self, s: AsyncSession, entity_id: str) -> dict[str, Row]:
        """Every live beneficiary of the entity by employee number (one query)."""
        b = beneficiaries.c
        query = select(b.id, b.employee_number, b.first_name, b.last_name, b.has_card).where(
            _live_beneficiary(entity_id)
        )
        return {row.employee_number: row for row in (await s.execute(query)).all()}

    async def list_beneficiaries(
        self, s: AsyncSession, entity_id: str, *, q: str, offset: int, limit: int
    ) -> Sequence[Row]:
        b = beneficiaries.c
        query = select(beneficiaries).where(_live_beneficiary(entity_id))
        if q.strip():
            pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%")
            pattern = pattern.replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    *(
                        func.lower(column).like(pattern, escape="\\")
                        for column in (b.employee_number, b.first_name, b.last_name, b.email)
                    ),
                    func.lower(b.first_name + " " + b.last_name).like(pattern, escape="\\"),
                    func.lower(b.last_name + " " + b.first_name).like(pattern, escape="\\"),
                )
            )
        query = query.order_by(b.last_name, b.first_name, b.id).offset(offset).limit(limit)
        return (await s.execute(query)).all()

    async def update_beneficiary(self, s: AsyncSession, beneficiary_id: str, **values: Any) -> None:
        await s.execute(
            update(beneficiaries).where(beneficiaries.c.id == beneficiary_id).values(**values)
        )

    async def card_in_production(self, s: AsyncSession, beneficiary_id: str) -> bool:
        query = select(
            exists().where(
                order_lines.c.beneficiary_id == beneficiary_id,
                order_lines.c.order_id == orders.c.id,
                orders.c.status == OrderStatus.IN_PRODUCTION.value,
            )
        )
        return bool(await s.scalar(query))

    # ---- delivery points -------------------------------------------------------
    async def add_delivery_point(self, s: AsyncSession, **values: Any) -> str:
        values.setdefault("id", new_id())
        await s.execute(insert(delivery_points).values(**values))
        return values["id"]

    async def delivery_point(self, s: AsyncSession, entity_id: str, point_id: str) -> Row | None:
        query = select(delivery_points).where(
            _live_point(entity_id), delivery_points.c.id == point_id
        )
        return (await s.execute(query)).first()

    async def point_code_taken(
        self, s: AsyncSession, entity_id: str, code: str, *, other_than: str = ""
    ) -> bool:
        query = select(delivery_points.c.id).where(
            _live_point(entity_id), delivery_points.c.code == code
        )
        if other_than:
            query = query.where(delivery_points.c.id != other_than)
        return await s.scalar(query) is not None

    async def point_ids_by_code(self, s: AsyncSession, entity_id: str) -> dict[str, str]:
        query = select(delivery_points.c.code, delivery_points.c.id).where(_live_point(entity_id))
        return {row.code: row.id for row in (await s.execute(query)).all()}

    async def list_delivery_points(
        self, s: AsyncSession, entity_id: str, *, offset: int, limit: int
    ) -> Sequence[Row]:
        d = delivery_points.c
        query = (
            select(delivery_points)
            .where(_live_point(entity_id))
            .order_by(d.name, d.code, d.id)
            .offset(offset)
            .limit(limit)
        )
        return (await s.execute(query)).all()

    async def update_delivery_point(self, s: AsyncSession, point_id: str, **values: Any) -> None:
        await s.execute(
            update(delivery_points).where(delivery_points.c.id == point_id).values(**values)
        )

    async def point_used_by_open_order(self, s: AsyncSession, point_id: str) -> bool:
        query = select(
            exists().where(
                orders.c.delivery_point_id == point_id,
                orders.c.status.in_([status.value for status in OPEN_STATUSES]),
            )
        )
        return bool(await s.scalar(query))
