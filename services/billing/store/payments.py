"""Payments and what they pay, provider notifications seen, expected and
received transfers, mandates and claims."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.tables import (
    claims,
    expected_transfers,
    mandates,
    payment_allocations,
    payments,
    provider_events,
    transfers,
)


class PaymentsRepository:
    # ---- payments ----------------------------------------------------------------
    async def add_payment(
        self, s: AsyncSession, values: dict[str, Any], allocations: list[dict[str, Any]]
    ) -> None:
        await s.execute(insert(payments).values(**values))
        if allocations:
            await s.execute(insert(payment_allocations), allocations)

    async def update_payment(self, s: AsyncSession, payment_id: str, **values: Any) -> None:
        await s.execute(update(payments).where(payments.c.id == payment_id).values(**values))

    async def payment(self, s: AsyncSession, payment_id: str, entity_id: str | None) -> Row | None:
        query = select(payments).where(payments.c.id == payment_id)
        if entity_id is not None:
            query = query.where(payments.c.entity_id == entity_id)
        return (await s.execute(query)).first()

    async def payment_by_ref(self, s: AsyncSession, provider_ref: str) -> Row | None:
        if not provider_ref:
            return None
        query = select(payments).where(payments.c.provider_ref == provider_ref)
        return (await s.execute(query)).first()

    async def allocations_of(self, s: AsyncSession, payment_ids: Sequence[str]) -> dict[str, list]:
        result: dict[str, list] = {payment_id: [] for payment_id in payment_ids}
        if not payment_ids:
            return result
        query = (
            select(payment_allocations)
            .where(payment_allocations.c.payment_id.in_(payment_ids))
            .order_by(payment_allocations.c.position)
        )
        for row in (await s.execute(query)).all():
            result[row.payment_id].append(row)
        return result

    async def list_payments(
        self, s: AsyncSession, entity_id: str, *, offset: int, limit: int
    ) -> list[Row]:
        query = (
            select(payments)
            .where(payments.c.entity_id == entity_id)
            .order_by(payments.c.created_at.desc(), payments.c.id)
            .offset(offset)
            .limit(limit)
        )
        return list((await s.execute(query)).all())

    async def provider_event_seen(self, s: AsyncSession, event_id: str) -> bool:
        query = select(provider_events.c.event_id).where(provider_events.c.event_id == event_id)
        return (await s.scalar(query)) is not None

    async def add_provider_event(self, s: AsyncSession, **values: Any) -> None:
        await s.execute(insert(provider_events).values(**values))

    # ---- transfers ----------------------------------------------------------------
    async def add_expected_transfer(self, s: AsyncSession, **values: Any) -> None:
        await s.execute(insert(expected_transfers).values(**values))

    async def expected_transfer(self, s: AsyncSession, reference: str) -> Row | None:
        query = select(expected_transfers).where(expected_transfers.c.reference == reference)
        return (await s.execute(query)).first()

    async def add_transfer(self, s: AsyncSession, **values: Any) -> None:
        await s.execute(insert(transfers).values(**values))

    async def transfers_by_ids(self, s: AsyncSession, ids: Sequence[str]) -> list[Row]:
        """In the order of `ids`."""
        if not ids:
            return []
        rows = (await s.execute(select(transfers).where(transfers.c.id.in_(ids)))).all()
        by_id = {row.id: row for row in rows}
        return [by_id[i] for i in ids]

    async def list_transfers(
        self, s: AsyncSession, *, unmatched: bool, offset: int, limit: int
    ) -> list[Row]:
        query = select(transfers)
        if unmatched:
            query = query.where(transfers.c.matched.is_(False))
        query = query.order_by(transfers.c.created_at.desc(), transfers.c.id)
        return list((await s.execute(query.offset(offset).limit(limit))).all())

    # ---- mandates -----------------------------------------------------------------
    async def add_mandate(self, s: AsyncSession, **values: Any) -> None:
        await s.execute(insert(mandates).values(**values))

    async def mandate(self, s: AsyncSession, mandate_id: str, entity_id: str) -> Row | None:
        query = select(mandates).where(
            mandates.c.id == mandate_id, mandates.c.entity_id == entity_id
        )
        return (await s.execute(query)).first()

    async def update_mandate(self, s: AsyncSession, mandate_id: str, **values: Any) -> None:
        await s.execute(update(mandates).where(mandates.c.id == mandate_id).values(**values))

    async def count_mandates(self, s: AsyncSession, entity_id: str) -> int:
        query = select(func.count()).select_from(mandates).where(mandates.c.entity_id == entity_id)
        return int(await s.scalar(query) or 0)

    async def list_mandates(
        self, s: AsyncSession, entity_id: str, *, offset: int, limit: int
    ) -> list[Row]:
        query = (
            select(mandates)
            .where(mandates.c.entity_id == entity_id)
            .order_by(mandates.c.created_at.desc(), mandates.c.id)
        )
        return list((await s.execute(query.offset(offset).limit(limit))).all())

    # ---- claims -------------------------------------------------------------------
    async def add_claim(self, s: AsyncSession, **values: Any) -> None:
        await s.execute(insert(claims).values(**values))

    async def claim(self, s: AsyncSession, claim_id: str) -> Row | None:
        return (await s.execute(select(claims).where(claims.c.id == claim_id))).first()

    async def update_claim(self, s: AsyncSession, claim_id: str, **values: Any) -> None:
        await s.execute(update(claims).where(claims.c.id == claim_id).values(**values))

    async def open_claim_exists(self, s: AsyncSession, document_id: str) -> bool:
        query = select(claims.c.id).where(
            claims.c.document_id == document_id, claims.c.status.in_(("OPEN", "IN_PROGRESS"))
        )
        return (await s.scalar(query.limit(1))) is not None

    async def list_claims(
        self,
        s: AsyncSession,
        *,
        entity_id: str | None,
        status: str = "",
        offset: int,
        limit: int,
    ) -> list[Row]:
        query = select(claims)
        if entity_id is not None:
            query = query.where(claims.c.entity_id == entity_id)
        if status:
            query = query.where(claims.c.status == status)
        query = query.order_by(claims.c.created_at.desc(), claims.c.id)
        return list((await s.execute(query.offset(offset).limit(limit))).all())
