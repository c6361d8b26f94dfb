"""Delivery points: every query filters on the caller's entity and ignores
soft-deleted rows, so another entity's ids are not found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from services.ordering.domain.delivery_points import Address, DeliveryPoint
from services.ordering.domain.orders import OPEN_STATUSES
from services.ordering.store.tables import delivery_points, orders
from services.ordering.store.tracking import remember_row, save_row, tracked

d = delivery_points.c


def _live(entity_id: str):
    return (d.entity_id == entity_id) & d.deleted_at.is_(None)


def _to_row(point: DeliveryPoint) -> dict[str, Any]:
    address = point.address
    return {
        "id": point.id,
        "entity_id": point.entity_id,
        "name": point.name,
        "code": point.code,
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
        "contact_name": point.contact_name,
        "contact_phone": point.contact_phone,
        "created_at": point.created_at,
        "deleted_at": point.deleted_at,
    }


def _from_row(s: AsyncSession, row: Row) -> DeliveryPoint:
    point = DeliveryPoint(
        id=row.id,
        entity_id=row.entity_id,
        name=row.name,
        code=row.code,
        address=Address(
            line1=row.line1,
            line2=row.line2,
            postal_code=row.postal_code,
            city=row.city,
            country=row.country,
        ),
        contact_name=row.contact_name,
        contact_phone=row.contact_phone,
        created_at=aware(row.created_at),
        deleted_at=aware(row.deleted_at),
    )
    if tracked(s):
        remember_row(s, delivery_points, _to_row(point))
    return point


class DeliveryPointsRepository:
    async def add(self, s: AsyncSession, point: DeliveryPoint) -> None:
        row = _to_row(point)
        await s.execute(insert(delivery_points).values(**row))
        remember_row(s, delivery_points, row)

    async def get(self, s: AsyncSession, point_id: str, entity_id: str) -> DeliveryPoint | None:
        query = select(delivery_points).where(_live(entity_id), d.id == point_id)
        row = (await s.execute(query)).first()
        return _from_row(s, row) if row else None

    async def save(self, s: AsyncSession, point: DeliveryPoint) -> None:
        """Writes what changed since `get`."""
        await save_row(s, delivery_points, _to_row(point))

    async def code_taken(
        self, s: AsyncSession, entity_id: str, code: str, *, other_than: str = ""
    ) -> bool:
        query = select(d.id).where(_live(entity_id), d.code == code)
        if other_than:
            query = query.where(d.id != other_than)
        return await s.scalar(query) is not None

    async def ids_by_code(self, s: AsyncSession, entity_id: str) -> dict[str, str]:
        query = select(d.code, d.id).where(_live(entity_id))
        return {row.code: row.id for row in (await s.execute(query)).all()}

    async def list(
        self, s: AsyncSession, entity_id: str, *, page: Page
    ) -> tuple[list[DeliveryPoint], bool]:
        """A page by name; whether more follow."""
        query = select(delivery_points).where(_live(entity_id)).order_by(d.name, d.code, d.id)
        rows = (await s.execute(query.offset(page.offset).limit(page.limit + 1))).all()
        return [_from_row(s, row) for row in rows[: page.limit]], len(rows) > page.limit

    async def used_by_open_order(self, s: AsyncSession, point_id: str) -> bool:
        query = select(
            exists().where(
                orders.c.delivery_point_id == point_id,
                orders.c.status.in_([status.value for status in OPEN_STATUSES]),
            )
        )
        return bool(await s.scalar(query))
