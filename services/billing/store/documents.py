"""Documents, their gapless number sequences, and the entity-account projection.

Customer calls pass their entity id (another entity's document is not found);
operators and event handlers pass None (any entity)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.tables import (
    cancelled_orders,
    document_sequences,
    documents,
    entity_accounts,
)


def _dialect(s: AsyncSession):  # type: ignore[no-untyped-def]
    return postgresql if s.bind.dialect.name == "postgresql" else sqlite


def unpaid_clause():  # type: ignore[no-untyped-def]
    """Invoices not credited with something left to pay (the domain's remaining > 0)."""
    return and_(
        documents.c.type == "INVOICE",
        documents.c.credited_by_id == "",
        documents.c.paid_cents < documents.c.total_incl_cents,
    )


class DocumentsRepository:
    # ---- numbers -------------------------------------------------------------
    async def next_document_sequence(
        self, s: AsyncSession, entity_id: str, year: int, doc_type: str
    ) -> int:
        """The next number of the entity's sequence for that type and year, drawn
        in the caller's transaction (an upsert: gapless, since a rollback undoes it)."""
        statement = (
            _dialect(s)
            .insert(document_sequences)
            .values(entity_id=entity_id, year=year, type=doc_type, last_number=1)
        )
        statement = statement.on_conflict_do_update(
            index_elements=[
                document_sequences.c.entity_id,
                document_sequences.c.year,
                document_sequences.c.type,
            ],
            set_={"last_number": document_sequences.c.last_number + 1},
        ).returning(document_sequences.c.last_number)
        return int((await s.execute(statement)).scalar_one())

    # ---- documents -------------------------------------------------------------
    async def add_document(self, s: AsyncSession, values: dict[str, Any]) -> None:
        await s.execute(insert(documents).values(**values))

    async def update_document(self, s: AsyncSession, document_id: str, **values: Any) -> None:
        await s.execute(update(documents).where(documents.c.id == document_id).values(**values))

    async def document(
        self, s: AsyncSession, document_id: str, entity_id: str | None
    ) -> Row | None:
        query = select(documents).where(documents.c.id == document_id)
        if entity_id is not None:
            query = query.where(documents.c.entity_id == entity_id)
        return (await s.execute(query)).first()

    async def documents_by_ids(self, s: AsyncSession, ids: Sequence[str]) -> list[Row]:
        if not ids:
            return []
        return list((await s.execute(select(documents).where(documents.c.id.in_(ids)))).all())

    async def invoice_of_order(self, s: AsyncSession, order_id: str) -> Row | None:
        query = select(documents).where(
            documents.c.order_id == order_id, documents.c.type == "INVOICE"
        )
        return (await s.execute(query)).first()

    async def list_documents(
        self,
        s: AsyncSession,
        entity_id: str,
        *,
        kept_since: date,
        doc_type: str = "",
        issued_from: date | None = None,
        issued_to: date | None = None,
        unpaid: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Row]:
        """Newest first, only those issued on or after `kept_since` (retention)."""
        query = select(documents).where(
            documents.c.entity_id == entity_id, documents.c.issue_date >= kept_since
        )
        if doc_type:
            query = query.where(documents.c.type == doc_type)
        if issued_from:
            query = query.where(documents.c.issue_date >= issued_from)
        if issued_to:
            query = query.where(documents.c.issue_date <= issued_to)
        if unpaid:
            query = query.where(unpaid_clause())
        query = query.order_by(
            documents.c.issue_date.desc(), documents.c.created_at.desc(), documents.c.number.desc()
        )
        return list((await s.execute(query.offset(offset).limit(limit))).all())

    async def unpaid_documents(self, s: AsyncSession, entity_id: str) -> list[Row]:
        query = (
            select(documents)
            .where(documents.c.entity_id == entity_id, unpaid_clause())
            .order_by(documents.c.issue_date, documents.c.number)
        )
        return list((await s.execute(query)).all())

    async def mark_order_cancelled(
        self, s: AsyncSession, order_id: str, entity_id: str, at: datetime
    ) -> None:
        if not await self.order_cancelled(s, order_id):
            await s.execute(
                insert(cancelled_orders).values(
                    order_id=order_id, entity_id=entity_id, cancelled_at=at
                )
            )

    async def order_cancelled(self, s: AsyncSession, order_id: str) -> bool:
        query = select(cancelled_orders.c.order_id).where(cancelled_orders.c.order_id == order_id)
        return (await s.scalar(query)) is not None

    # ---- entity accounts (projection) -------------------------------------------
    async def account(self, s: AsyncSession, entity_id: str) -> Row | None:
        query = select(entity_accounts).where(entity_accounts.c.entity_id == entity_id)
        return (await s.execute(query)).first()

    async def save_account(self, s: AsyncSession, values: dict[str, Any]) -> bool:
        """Stores the snapshot unless a newer one is already there; whether it did."""
        updated_at: datetime = values["updated_at"]
        current = await self.account(s, values["entity_id"])
        if current is None:
            await s.execute(insert(entity_accounts).values(**values))
            return True
        known = current.updated_at
        if known is not None and known.tzinfo is None:
            known = known.replace(tzinfo=updated_at.tzinfo)
        if known is not None and known > updated_at:
            return False
        await s.execute(
            update(entity_accounts)
            .where(entity_accounts.c.entity_id == values["entity_id"])
            .values(**values)
        )
        return True

    async def count_documents(self, s: AsyncSession, entity_id: str) -> int:
        query = select(func.count()).select_from(documents)
        return int(await s.scalar(query.where(documents.c.entity_id == entity_id)) or 0)
