"""Documents and their gapless number sequences, the orders cancelled before they
were invoiced, and the entity-account projection.

Customer calls pass their entity id (another entity's document is not found);
operators and event handlers pass None (any entity). A document's lines and
number never change once stored: only what is paid on it and its credit note do."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.records import records
from services.billing.domain.accounts import EntityAccount
from services.billing.domain.documents import Document, DocumentType, Line
from services.billing.store.rows import from_row, to_row
from services.billing.store.tables import (
    cancelled_orders,
    documents,
    entity_accounts,
    number_sequences,
)


def dialect(s: AsyncSession):  # type: ignore[no-untyped-def]
    """The dialect module whose `insert` knows upserts."""
    return postgresql if s.bind.dialect.name == "postgresql" else sqlite


def unpaid_clause():  # type: ignore[no-untyped-def]
    """Invoices not credited with something left to pay (the domain's remaining > 0)."""
    return and_(
        documents.c.type == DocumentType.INVOICE.value,
        documents.c.credited_by_id == "",
        documents.c.paid_cents < documents.c.total_incl_cents,
    )


@functools.cache
def _find_statement(by_type: bool, issued_from: bool, issued_to: bool, unpaid: bool) -> Any:
    """A customer's documents page for the filters given, built once per
    combination (building and keying it cost more than running it)."""
    c = documents.c
    query = select(documents).where(
        c.entity_id == bindparam("entity_id"), c.issue_date >= bindparam("kept_since")
    )
    if by_type:
        query = query.where(c.type == bindparam("type"))
    if issued_from:
        query = query.where(c.issue_date >= bindparam("issued_from"))
    if issued_to:
        query = query.where(c.issue_date <= bindparam("issued_to"))
    if unpaid:
        query = query.where(unpaid_clause())
    return (
        query.order_by(c.issue_date.desc(), c.created_at.desc(), c.number.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


@dataclass(frozen=True)
class DocumentView:
    """A document and when it was stored (the API shows both)."""

    document: Document
    created_at: datetime | None


def _document(row: Row) -> Document:
    return from_row(
        Document,
        row,
        type=DocumentType(row.type),
        lines=tuple(Line(**line) for line in row.lines),
    )


def _view(row: Row) -> DocumentView:
    return DocumentView(_document(row), aware(row.created_at))


def _row(doc: Document, created_at: datetime) -> dict[str, Any]:
    return to_row(
        doc,
        documents,
        lines=[dataclasses.asdict(line) for line in doc.lines],
        # Stored for the unpaid filter, which compares it with paid_cents in SQL.
        total_incl_cents=doc.totals.incl_cents,
        created_at=created_at,
    )


class DocumentsRepository:
    async def next_sequence(self, s: AsyncSession, doc_type: DocumentType, year: int) -> int:
        """The next number of the issuer's sequence for that type and year, drawn
        in the caller's transaction: an upsert, so gapless (a rollback undoes it)
        and safe with several replicas (PostgreSQL holds the row lock until commit,
        and SQLite has one writer)."""
        statement = (
            dialect(s)
            .insert(number_sequences)
            .values(year=year, type=doc_type.value, last_number=1)
        )
        statement = statement.on_conflict_do_update(
            index_elements=[number_sequences.c.year, number_sequences.c.type],
            set_={"last_number": number_sequences.c.last_number + 1},
        ).returning(number_sequences.c.last_number)
        return int((await s.execute(statement)).scalar_one())

    async def add(self, s: AsyncSession, document: Document, *, created_at: datetime) -> None:
        await s.execute(insert(documents).values(**_row(document, created_at)))

    async def save_paid(self, s: AsyncSession, document: Document) -> None:
        """Writes what is paid on the document (and nothing else: a credit note
        written meanwhile stays)."""
        await self._update(s, document.id, paid_cents=document.paid_cents)

    async def save_credited(self, s: AsyncSession, document: Document) -> None:
        """Writes the credit note that cancelled the invoice (and nothing else)."""
        await self._update(s, document.id, credited_by_id=document.credited_by_id)

    async def _update(self, s: AsyncSession, document_id: str, **values: Any) -> None:
        await s.execute(update(documents).where(documents.c.id == document_id).values(**values))

    async def _first(
        self, s: AsyncSession, document_id: str, entity_id: str | None, for_update: bool = False
    ) -> Row | None:
        query = select(documents).where(documents.c.id == document_id)
        if entity_id is not None:
            query = query.where(documents.c.entity_id == entity_id)
        if for_update:
            query = query.with_for_update()
        return (await s.execute(query)).first()

    async def get(
        self, s: AsyncSession, document_id: str, entity_id: str | None, *, for_update: bool = False
    ) -> Document | None:
        """The document; `for_update` when this transaction pays or credits it: the
        row stays locked until commit (PostgreSQL; SQLite's transactions hold the
        write lock), so two settlements never both count the same remaining."""
        row = await self._first(s, document_id, entity_id, for_update)
        return _document(row) if row is not None else None

    async def view(
        self, s: AsyncSession, document_id: str, entity_id: str | None
    ) -> DocumentView | None:
        row = await self._first(s, document_id, entity_id)
        return _view(row) if row is not None else None

    async def by_ids(
        self, s: AsyncSession, ids: Sequence[str], *, for_update: bool = False
    ) -> list[Document]:
        if not ids:
            return []
        # Locked in id order: two settlements of overlapping documents cannot deadlock.
        query = select(documents).where(documents.c.id.in_(ids)).order_by(documents.c.id)
        if for_update:
            query = query.with_for_update()
        return [_document(row) for row in (await s.execute(query)).all()]

    async def invoice_of_order(
        self, s: AsyncSession, order_id: str, *, for_update: bool = False
    ) -> Document | None:
        query = select(documents).where(
            documents.c.order_id == order_id, documents.c.type == DocumentType.INVOICE.value
        )
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        return _document(row) if row is not None else None

    async def invoice_of_source(self, s: AsyncSession, source_key: str) -> Document | None:
        """The invoice issued for this source (`Document.source_key`), if any."""
        return await self.of_source(s, source_key, DocumentType.INVOICE)

    async def of_source(
        self, s: AsyncSession, source_key: str, doc_type: DocumentType
    ) -> Document | None:
        """The document of that type issued for this source, if any."""
        query = select(documents).where(
            documents.c.source_key == source_key, documents.c.type == doc_type.value
        )
        row = (await s.execute(query)).first()
        return _document(row) if row is not None else None

    async def find(
        self,
        s: AsyncSession,
        entity_id: str,
        *,
        kept_since: date,
        doc_type: DocumentType | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
        unpaid: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> list[DocumentView]:
        """Newest first, only those issued on or after `kept_since` (retention)."""
        query = _find_statement(
            doc_type is not None, issued_from is not None, issued_to is not None, unpaid
        )
        params = {
            "entity_id": entity_id,
            "kept_since": kept_since,
            "type": doc_type.value if doc_type else None,
            "issued_from": issued_from,
            "issued_to": issued_to,
            "offset": offset,
            "limit": limit,
        }
        return [_view(row) for row in records(await s.execute(query, params))]

    async def unpaid(self, s: AsyncSession, entity_id: str) -> list[DocumentView]:
        """The entity's invoices with something left to pay, oldest first."""
        query = (
            select(documents)
            .where(documents.c.entity_id == entity_id, unpaid_clause())
            .order_by(documents.c.issue_date, documents.c.number)
        )
        return [_view(row) for row in records(await s.execute(query))]

    async def due_by(self, s: AsyncSession, entity_ids: Sequence[str], day: date) -> list[Document]:
        """The entities' invoices with something left to pay, falling due by `day`."""
        if not entity_ids:
            return []
        query = (
            select(documents)
            .where(
                documents.c.entity_id.in_(list(entity_ids)),
                documents.c.due_date <= day,
                unpaid_clause(),
            )
            .order_by(documents.c.id)
        )
        return [_document(row) for row in (await s.execute(query)).all()]

    # ---- orders cancelled before they were invoiced ---------------------------------
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


class AccountsRepository:
    """The entity-account projection (identity's AccountUpdated)."""

    async def get(self, s: AsyncSession, entity_id: str) -> EntityAccount | None:
        query = select(entity_accounts).where(entity_accounts.c.entity_id == entity_id)
        row = (await s.execute(query)).first()
        if row is None:
            return None
        return from_row(
            EntityAccount,
            row,
            contract_numbers=tuple(row.contract_numbers or ()),
            address_lines=tuple(row.address_lines or ()),
        )

    async def save(self, s: AsyncSession, account: EntityAccount) -> None:
        """Stores the snapshot in place of the one known (see `supersedes`)."""
        values = to_row(
            account,
            entity_accounts,
            contract_numbers=list(account.contract_numbers),
            address_lines=list(account.address_lines),
        )
        statement = dialect(s).insert(entity_accounts).values(**values)
        await s.execute(
            statement.on_conflict_do_update(
                index_elements=[entity_accounts.c.entity_id], set_=values
            )
        )
