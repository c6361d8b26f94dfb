"""What billing expects to receive by transfer, and every transfer received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.transfers import Expected, Transfer
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
        await s.execute(insert(transfers).values(**to_row(transfer, transfers)))

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
