"""Quotes: rows <-> `domain.quotes.Quote`.

An answer (accept or decline) is written by a conditional UPDATE on the status
still being PENDING: the use case also reads the row `FOR UPDATE`, which makes
a concurrent answer wait on PostgreSQL (SQLite transactions are serialised
anyway), and the condition keeps a second answer from being written even where
the lock would not hold."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.records import records
from services.assets.domain.quotes import (
    Quote,
    QuoteFilter,
    QuoteLine,
    QuoteStatus,
    SortKey,
)
from services.assets.store.equipment_tables import equipment
from services.assets.store.quote_tables import quote_lines, quotes
from services.assets.store.request_tables import service_requests

q = quotes.c
ql = quote_lines.c

_SORT_COLUMNS = {
    SortKey.ISSUED: q.issued_at,
    SortKey.AMOUNT: q.total_incl_cents,
    SortKey.VALID_UNTIL: q.valid_until,
}


# Built once: every page of quotes reads its quotes' lines.
_LINES_OF = (
    select(quote_lines)
    .where(ql.quote_id.in_(bindparam("ids", expanding=True)))
    .order_by(ql.quote_id, ql.position)
)


def _quote(row: Row, lines: Sequence[QuoteLine]) -> Quote:
    return Quote(
        id=row.id,
        entity_id=row.entity_id,
        number=row.number,
        title=row.title,
        lines=tuple(lines),
        valid_until=row.valid_until,
        issued_at=aware(row.issued_at),
        issued_by=row.issued_by,
        service_request_id=row.service_request_id,
        equipment_id=row.equipment_id,
        status=QuoteStatus(row.status),
        purchase_order_reference=row.purchase_order_reference,
        order_number=row.order_number or "",
        decline_reason=row.decline_reason,
        answered_at=aware(row.answered_at),
        answered_by=row.answered_by,
    )


def _status_condition(status: QuoteStatus):  # type: ignore[no-untyped-def]
    today = bindparam("today")
    if status is QuoteStatus.EXPIRED:
        return (q.status == QuoteStatus.PENDING.value) & (q.valid_until < today)
    if status is QuoteStatus.PENDING:
        return (q.status == QuoteStatus.PENDING.value) & (q.valid_until >= today)
    return q.status == status.value


@functools.cache
def _page_statement(
    status: QuoteStatus | None,
    issued_from: bool,
    issued_to: bool,
    min_amount: bool,
    max_amount: bool,
    equipment: bool,
    sort_key: SortKey,
    descending: bool,
) -> Select[Any]:
    """A page of the entity's quotes for filters of this shape: built once per
    combination (building and keying it cost more than running it)."""
    query = select(quotes).where(q.entity_id == bindparam("entity_id"))
    if status is not None:
        query = query.where(_status_condition(status))
    if issued_from:
        query = query.where(q.issued_on >= bindparam("issued_from"))
    if issued_to:
        query = query.where(q.issued_on <= bindparam("issued_to"))
    if min_amount:
        query = query.where(q.total_incl_cents >= bindparam("min_amount"))
    if max_amount:
        query = query.where(q.total_incl_cents <= bindparam("max_amount"))
    if equipment:
        query = query.where(q.equipment_id == bindparam("equipment_id"))
    column = _SORT_COLUMNS[sort_key]
    # The number breaks ties, so pages neither repeat nor skip a quote.
    order = (column.desc(), q.number.desc()) if descending else (column, q.number)
    return query.order_by(*order).offset(bindparam("offset")).limit(bindparam("limit"))


class QuotesRepository:
    async def add(self, s: AsyncSession, quote: Quote) -> None:
        await s.execute(
            insert(quotes).values(
                id=quote.id,
                entity_id=quote.entity_id,
                number=quote.number,
                title=quote.title,
                status=quote.status.value,
                valid_until=quote.valid_until,
                issued_at=quote.issued_at,
                issued_on=quote.issued_at.date(),
                issued_by=quote.issued_by,
                service_request_id=quote.service_request_id,
                equipment_id=quote.equipment_id,
                total_excl_cents=quote.totals.excl_cents,
                total_tax_cents=quote.totals.tax_cents,
                total_incl_cents=quote.totals.incl_cents,
                purchase_order_reference=quote.purchase_order_reference,
                order_number=quote.order_number or None,
                decline_reason=quote.decline_reason,
                answered_at=quote.answered_at,
                answered_by=quote.answered_by,
            )
        )
        await s.execute(
            insert(quote_lines),
            [
                {
                    "quote_id": quote.id,
                    "position": position,
                    "label": line.label,
                    "quantity": line.quantity,
                    "unit_price_cents": line.unit_price_cents,
                    "vat_rate_bp": line.vat_rate_bp,
                }
                for position, line in enumerate(quote.lines)
            ],
        )

    async def save_answer(self, s: AsyncSession, quote: Quote) -> bool:
        """Writes the customer's answer if the stored quote is still PENDING;
        False when another transaction answered it first."""
        done = await s.execute(
            update(quotes)
            .where(
                q.id == quote.id,
                q.entity_id == quote.entity_id,
                q.status == QuoteStatus.PENDING.value,
            )
            .values(
                status=quote.status.value,
                purchase_order_reference=quote.purchase_order_reference,
                order_number=quote.order_number or None,
                decline_reason=quote.decline_reason,
                answered_at=quote.answered_at,
                answered_by=quote.answered_by,
            )
        )
        return done.rowcount == 1

    async def get(
        self, s: AsyncSession, quote_id: str, entity_id: str, *, for_update: bool = False
    ) -> Quote | None:
        """The entity's quote (another entity's is not found); `for_update` when
        this transaction answers it."""
        query = select(quotes).where(q.id == quote_id, q.entity_id == entity_id)
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        if row is None:
            return None
        return _quote(row, (await self._lines(s, [row.id]))[row.id])

    async def list(
        self,
        s: AsyncSession,
        entity_id: str,
        where: QuoteFilter,
        *,
        today: date,
        offset: int,
        limit: int,
    ) -> list[Quote]:
        shape = (
            where.status,
            where.issued_from is not None,
            where.issued_to is not None,
            where.min_amount_cents is not None,
            where.max_amount_cents is not None,
            bool(where.equipment_id),
            where.sort.key,
            where.sort.descending,
        )
        params = {
            "entity_id": entity_id,
            "today": today,
            "issued_from": where.issued_from,
            "issued_to": where.issued_to,
            "min_amount": where.min_amount_cents,
            "max_amount": where.max_amount_cents,
            "equipment_id": where.equipment_id,
            "offset": offset,
            "limit": limit,
        }
        rows = records(await s.execute(_page_statement(*shape), params))
        found = await self._lines(s, [row.id for row in rows])
        return [_quote(row, found[row.id]) for row in rows]

    async def of_equipment(self, s: AsyncSession, entity_id: str, equipment_id: str) -> list[Quote]:
        """The quotes about one machine, newest first (its service history)."""
        query = (
            select(quotes)
            .where(q.entity_id == entity_id, q.equipment_id == equipment_id)
            .order_by(q.issued_at.desc(), q.number.desc())
        )
        rows = records(await s.execute(query))
        found = await self._lines(s, [row.id for row in rows])
        return [_quote(row, found[row.id]) for row in rows]

    async def service_request_exists(
        self, s: AsyncSession, entity_id: str, service_request_id: str
    ) -> bool:
        c = service_requests.c
        query = select(func.count()).where(c.id == service_request_id, c.entity_id == entity_id)
        return bool(await s.scalar(query))

    async def equipment_exists(self, s: AsyncSession, entity_id: str, equipment_id: str) -> bool:
        c = equipment.c
        query = select(func.count()).where(c.id == equipment_id, c.entity_id == entity_id)
        return bool(await s.scalar(query))

    async def _lines(self, s: AsyncSession, quote_ids: list[str]) -> dict[str, list[QuoteLine]]:
        found: dict[str, list[QuoteLine]] = {quote_id: [] for quote_id in quote_ids}
        if not quote_ids:
            return found
        for row in records(await s.execute(_LINES_OF, {"ids": quote_ids})):
            found[row.quote_id].append(
                QuoteLine(row.label, row.quantity, row.unit_price_cents, row.vat_rate_bp)
            )
        return found
