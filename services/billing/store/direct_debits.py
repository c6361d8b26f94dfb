"""Direct-debit batches and their debits (in their order in the batch)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.direct_debits import (
    PRESENTED,
    BatchStatus,
    DebitBatch,
    DebitStatus,
    DirectDebit,
    SequenceType,
)
from services.billing.store.rows import from_row, to_row
from services.billing.store.tables import direct_debit_batches, direct_debits


def _debit(row: Row) -> DirectDebit:
    return from_row(
        DirectDebit,
        row,
        status=DebitStatus(row.status),
        sequence_type=SequenceType(row.sequence_type),
    )


class DirectDebitsRepository:
    async def add(self, s: AsyncSession, batch: DebitBatch) -> None:
        await s.execute(insert(direct_debit_batches).values(**to_row(batch, direct_debit_batches)))
        await s.execute(
            insert(direct_debits),
            [to_row(d, direct_debits, position=i) for i, d in enumerate(batch.debits)],
        )

    async def save_settled(self, s: AsyncSession, batch: DebitBatch) -> None:
        """Writes the batch's status and what became of each debit."""
        await s.execute(
            update(direct_debit_batches)
            .where(direct_debit_batches.c.id == batch.id)
            .values(status=batch.status.value, settled_at=batch.settled_at)
        )
        for debit in batch.debits:
            await self.save_debit(s, debit)

    async def save_debit(self, s: AsyncSession, debit: DirectDebit) -> None:
        """Writes where the debit stands (what it collects never changes)."""
        await s.execute(
            update(direct_debits)
            .where(direct_debits.c.id == debit.id)
            .values(
                status=debit.status.value,
                payment_id=debit.payment_id,
                applied_cents=debit.applied_cents,
                reason=debit.reason,
                returned_on=debit.returned_on,
            )
        )

    async def _batches(self, s: AsyncSession, rows: Sequence[Row]) -> list[DebitBatch]:
        debits: dict[str, list[DirectDebit]] = {row.id: [] for row in rows}
        if rows:
            query = (
                select(direct_debits)
                .where(direct_debits.c.batch_id.in_(list(debits)))
                .order_by(direct_debits.c.position)
            )
            for row in (await s.execute(query)).all():
                debits[row.batch_id].append(_debit(row))
        return [
            from_row(DebitBatch, row, status=BatchStatus(row.status), debits=tuple(debits[row.id]))
            for row in rows
        ]

    async def get(
        self, s: AsyncSession, batch_id: str, *, for_update: bool = False
    ) -> DebitBatch | None:
        """The batch; `for_update` when this transaction settles it (two
        settlements never both collect it)."""
        query = select(direct_debit_batches).where(direct_debit_batches.c.id == batch_id)
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        batches = await self._batches(s, [row] if row is not None else [])
        return batches[0] if batches else None

    async def find(self, s: AsyncSession, *, offset: int, limit: int) -> list[DebitBatch]:
        """Newest first."""
        query = (
            select(direct_debit_batches)
            .order_by(direct_debit_batches.c.created_at.desc(), direct_debit_batches.c.id)
            .offset(offset)
            .limit(limit)
        )
        return await self._batches(s, (await s.execute(query)).all())

    async def by_end_to_end_ids(
        self, s: AsyncSession, end_to_end_ids: Sequence[str]
    ) -> dict[str, DirectDebit]:
        """The debits quoted by a returns file, locked until commit."""
        if not end_to_end_ids:
            return {}
        query = (
            select(direct_debits)
            .where(direct_debits.c.end_to_end_id.in_(sorted(set(end_to_end_ids))))
            .order_by(direct_debits.c.id)
            .with_for_update()
        )
        return {row.end_to_end_id: _debit(row) for row in (await s.execute(query)).all()}

    async def pending_document_ids(self, s: AsyncSession) -> set[str]:
        """Invoices a pending debit holds (none goes in another batch)."""
        query = select(direct_debits.c.document_id).where(
            direct_debits.c.status == DebitStatus.PENDING.value
        )
        return set((await s.scalars(query)).all())

    async def presented_mandate_ids(self, s: AsyncSession) -> set[str]:
        """Mandates the bank has had a debit under (their next one is RCUR)."""
        query = (
            select(direct_debits.c.mandate_id)
            .where(direct_debits.c.status.in_([status.value for status in PRESENTED]))
            .distinct()
        )
        return set((await s.scalars(query)).all())
