"""What billing expects to receive by transfer, and every transfer received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.transfers import Expected, Transfer, normalise_reference
from services.billing.store.rows import from_row, to_row
from services.billing.store.tables import expected_transfers, transfers


def _transfer(row: Row) -> Transfer:
    return from_row(Transfer, row, matched=bool(row.matched))


class TransfersRepository:
    async def add_expected(self, s: AsyncSession, expected: Expected, *, at: datetime) -> None:
        await s.execute(
            insert(expected_transfers).values(**to_row(expected, expected_transfers, created_at=at))
        )

    async def expected(self, s: AsyncSession, reference: str) -> Expected | None:
        """What is expected under a normalised reference."""
        query = select(expected_transfers).where(expected_transfers.c.reference == reference)
        row = (await s.execute(query)).first()
        return from_row(Expected, row) if row is not None else None

    async def add(self, s: AsyncSession, transfer: Transfer) -> None:
        await s.execute(
            insert(transfers).values(
                **to_row(transfer, transfers, reference_key=normalise_reference(transfer.reference))
            )
        )

    async def unmatched_expected(
        self, s: AsyncSession, reference: str | None = None
    ) -> list[Transfer]:
        """Unmatched transfers whose reference is now expected (only `reference`,
        normalised, when given), oldest first, locked until commit so that two
        rematches never apply the same transfer."""
        t = transfers.c
        query = (
            select(transfers)
            .join(expected_transfers, expected_transfers.c.reference == t.reference_key)
            .where(t.matched.is_(False))
            .order_by(t.created_at, t.id)
            .with_for_update(of=transfers)
        )
        if reference is not None:
            query = query.where(t.reference_key == reference)
        return [_transfer(row) for row in (await s.execute(query)).all()]

    async def count_unmatched(self, s: AsyncSession) -> int:
        query = select(func.count()).select_from(transfers).where(transfers.c.matched.is_(False))
        return int(await s.scalar(query) or 0)

    async def save_match(self, s: AsyncSession, transfer: Transfer) -> bool:
        """Records what a once unmatched transfer pays; False when it was matched
        meanwhile (then nothing is written)."""
        t = transfers.c
        result = await s.execute(
            update(transfers)
            .where(t.id == transfer.id, t.matched.is_(False))
            .values(
                matched=True,
                entity_id=transfer.entity_id,
                order_id=transfer.order_id,
                document_id=transfer.document_id,
                payment_id=transfer.payment_id,
                surplus_cents=transfer.surplus_cents,
            )
        )
        return result.rowcount == 1

    async def find(
        self, s: AsyncSession, *, unmatched: bool, offset: int, limit: int
    ) -> list[Transfer]:
        """Newest first; only those matching nothing when `unmatched`."""
        query = select(transfers)
        if unmatched:
            query = query.where(transfers.c.matched.is_(False))
        query = query.order_by(transfers.c.created_at.desc(), transfers.c.id)
        return [
            _transfer(row) for row in (await s.execute(query.offset(offset).limit(limit))).all()
        ]
