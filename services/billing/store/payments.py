"""Payments and what they pay (allocations, in their order), and the provider
notifications already applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import new_id
from services.billing.domain.payments import Allocation, Payment, PaymentState
from services.billing.store.rows import from_row, to_row
from services.billing.store.tables import payment_allocations, payments, provider_events


@dataclass(frozen=True)
class PaymentView:
    """A payment and where the provider takes the customer to pay it."""

    payment: Payment
    redirect_url: str = ""


def _payment(row: Row, allocations: Sequence[Row]) -> Payment:
    return from_row(
        Payment,
        row,
        state=PaymentState(row.state),
        allocations=tuple(from_row(Allocation, a) for a in allocations),
    )


class PaymentsRepository:
    async def add(self, s: AsyncSession, payment: Payment) -> None:
        await s.execute(insert(payments).values(**to_row(payment, payments)))
        if payment.allocations:
            await s.execute(
                insert(payment_allocations),
                [
                    to_row(a, payment_allocations, id=new_id(), payment_id=payment.id, position=i)
                    for i, a in enumerate(payment.allocations)
                ],
            )

    async def save_state(self, s: AsyncSession, payment: Payment) -> None:
        """Writes where the payment stands (its amount and allocations never change)."""
        await s.execute(
            update(payments)
            .where(payments.c.id == payment.id)
            .values(
                state=payment.state.value,
                failure_reason=payment.failure_reason,
                completed_at=payment.completed_at,
            )
        )

    async def save_checkout(
        self, s: AsyncSession, payment_id: str, *, provider_ref: str, redirect_url: str
    ) -> None:
        await s.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(provider_ref=provider_ref, redirect_url=redirect_url)
        )

    async def _views(self, s: AsyncSession, rows: Sequence[Row]) -> list[PaymentView]:
        by_payment: dict[str, list[Row]] = {row.id: [] for row in rows}
        if rows:
            query = (
                select(payment_allocations)
                .where(payment_allocations.c.payment_id.in_(list(by_payment)))
                .order_by(payment_allocations.c.position)
            )
            for allocation in (await s.execute(query)).all():
                by_payment[allocation.payment_id].append(allocation)
        return [PaymentView(_payment(row, by_payment[row.id]), row.redirect_url) for row in rows]

    async def view(
        self, s: AsyncSession, payment_id: str, entity_id: str | None
    ) -> PaymentView | None:
        query = select(payments).where(payments.c.id == payment_id)
        if entity_id is not None:
            query = query.where(payments.c.entity_id == entity_id)
        row = (await s.execute(query)).first()
        views = await self._views(s, [row] if row is not None else [])
        return views[0] if views else None

    async def get(self, s: AsyncSession, payment_id: str, entity_id: str | None) -> Payment | None:
        view = await self.view(s, payment_id, entity_id)
        return view.payment if view else None

    async def by_provider_ref(self, s: AsyncSession, provider_ref: str) -> Payment | None:
        if not provider_ref:
            return None
        query = select(payments).where(payments.c.provider_ref == provider_ref)
        row = (await s.execute(query)).first()
        views = await self._views(s, [row] if row is not None else [])
        return views[0].payment if views else None

    async def find(
        self, s: AsyncSession, entity_id: str, *, offset: int, limit: int
    ) -> list[PaymentView]:
        """Newest first."""
        query = (
            select(payments)
            .where(payments.c.entity_id == entity_id)
            .order_by(payments.c.created_at.desc(), payments.c.id)
            .offset(offset)
            .limit(limit)
        )
        return await self._views(s, (await s.execute(query)).all())

    # ---- provider notifications ---------------------------------------------------------
    async def provider_event_seen(self, s: AsyncSession, event_id: str) -> bool:
        query = select(provider_events.c.event_id).where(provider_events.c.event_id == event_id)
        return (await s.scalar(query)) is not None

    async def add_provider_event(
        self, s: AsyncSession, event_id: str, *, payment_id: str, status: str, at: datetime
    ) -> None:
        """Records a notification as applied (`payment_id` empty: no such payment)."""
        await s.execute(
            insert(provider_events).values(
                event_id=event_id, payment_id=payment_id, status=status, received_at=at
            )
        )
