"""What cards spent per beneficiary and month (operators' usage imports)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from services.ordering.domain.card_usage import CardUsage
from services.ordering.store.tables import card_usage

u = card_usage.c


class CardUsageRepository:
    async def imported_months(
        self, s: AsyncSession, keys: Collection[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        """Which of these (entity, month) already have figures."""
        if not keys:
            return set()
        query = (
            select(u.entity_id, u.month)
            .where(
                u.entity_id.in_({entity for entity, _ in keys}),
                u.month.in_({month for _, month in keys}),
            )
            .distinct()
        )
        return {(entity, month) for entity, month in await s.execute(query)} & set(keys)

    async def replace_month(
        self, s: AsyncSession, entity_id: str, month: str, figures: Sequence[CardUsage]
    ) -> None:
        """The entity's figures of `month` become `figures` (one insert for all)."""
        await s.execute(delete(card_usage).where(u.entity_id == entity_id, u.month == month))
        rows = [
            {
                "entity_id": figure.entity_id,
                "month": figure.month,
                "beneficiary_id": figure.beneficiary_id,
                "employee_number": figure.employee_number,
                "beneficiary_name": figure.beneficiary_name,
                "spent_cents": figure.spent_cents,
                "imported_at": figure.imported_at,
            }
            for figure in figures
        ]
        if rows:
            await s.execute(insert(card_usage), rows)

    async def find(
        self, s: AsyncSession, entity_id: str, *, month_from: str | None, month_to: str | None
    ) -> list[CardUsage]:
        """The entity's figures of the months in [month_from, month_to] (None: open)."""
        query = select(card_usage).where(u.entity_id == entity_id)
        if month_from is not None:
            query = query.where(u.month >= month_from)
        if month_to is not None:
            query = query.where(u.month <= month_to)
        return [
            CardUsage(
                entity_id=row.entity_id,
                month=row.month,
                beneficiary_id=row.beneficiary_id,
                employee_number=row.employee_number,
                beneficiary_name=row.beneficiary_name,
                spent_cents=row.spent_cents,
                imported_at=aware(row.imported_at),
            )
            for row in await s.execute(query.order_by(u.month, u.beneficiary_id))
        ]
