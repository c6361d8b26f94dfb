"""Lines: every query filters on the entity, so another entity's ids are not found."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from portal_runtime.records import records, stream_records
from services.fleet.domain.lines import Line, LineFilter, LineStatus, PhoneNumber
from services.fleet.store.tables import lines

c = lines.c
_PER_QUERY = 5_000


def _to_row(line: Line) -> dict[str, Any]:
    return {
        "id": line.id,
        "entity_id": line.entity_id,
        "number": line.number.e164,
        "national_number": line.number.national,
        "search_digits": line.number.search_digits,
        "iccid": line.iccid,
        "user_name": line.user_name,
        "customer_number": line.customer_number,
        "product": line.product,
        "plan": line.plan,
        "status": line.status.value,
        "options": "|".join(line.options),
        "created_at": line.created_at,
        "updated_at": line.updated_at,
        "suspension_reason": line.suspension_reason,
        "status_before_suspension": (
            line.status_before_suspension.value if line.status_before_suspension else None
        ),
        "pending_request_id": line.pending_request_id,
    }


def _from_row(row: Row) -> Line:
    return Line(
        id=row.id,
        entity_id=row.entity_id,
        number=PhoneNumber(row.number, row.national_number),
        iccid=row.iccid,
        user_name=row.user_name,
        customer_number=row.customer_number,
        product=row.product,
        plan=row.plan,
        status=LineStatus(row.status),
        options=tuple(o for o in row.options.split("|") if o),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        suspension_reason=row.suspension_reason,
        status_before_suspension=(
            LineStatus(row.status_before_suspension) if row.status_before_suspension else None
        ),
        pending_request_id=row.pending_request_id,
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _shape(criteria: LineFilter) -> tuple[bool, bool, bool, bool, bool]:
    return (
        bool(criteria.text),
        bool(criteria.text and criteria.digits),
        criteria.status is not None,
        bool(criteria.plan),
        bool(criteria.customer_number),
    )


def _params(entity_id: str, criteria: LineFilter) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "text": _like(criteria.text),
        "digits": _like(criteria.digits),
        "status": criteria.status.value if criteria.status is not None else None,
        "plan": criteria.plan.lower(),
        "customer_number": criteria.customer_number,
    }


def _conditions(
    text: bool, digits: bool, status: bool, plan: bool, customer_number: bool
) -> list[Any]:
    where: list[Any] = [c.entity_id == bindparam("entity_id")]
    if text:
        pattern = bindparam("text")
        matches = [
            func.lower(c.user_name).like(pattern, escape="\\"),
            func.lower(c.customer_number).like(pattern, escape="\\"),
        ]
        if digits:
            digit_pattern = bindparam("digits")
            matches += [
                c.search_digits.like(digit_pattern, escape="\\"),
                c.iccid.like(digit_pattern),
            ]
        where.append(or_(*matches))
    if status:
        where.append(c.status == bindparam("status"))
    if plan:
        where.append(func.lower(c.plan) == bindparam("plan"))
    if customer_number:
        where.append(c.customer_number == bindparam("customer_number"))
    return where


@functools.cache
def _matching(*shape: bool) -> Select[Any]:
    """The lines matching criteria of this shape, by number: built once per
    combination (building and keying it cost more than running it)."""
    return select(lines).where(*_conditions(*shape)).order_by(c.number, c.id)


@functools.cache
def _page_statement(*shape: bool) -> Select[Any]:
    return _matching(*shape).offset(bindparam("offset")).limit(bindparam("limit"))


_LAST_UPDATED = select(func.max(c.updated_at)).where(c.entity_id == bindparam("entity_id"))


class LinesRepository:
    async def get(self, s: AsyncSession, line_id: str, entity_id: str) -> Line | None:
        query = select(lines).where(c.entity_id == entity_id, c.id == line_id)
        row = (await s.execute(query)).first()
        return _from_row(row) if row else None

    async def list(
        self, s: AsyncSession, entity_id: str, criteria: LineFilter, page: Page
    ) -> tuple[list[Line], bool]:
        """A page by number; whether more follow."""
        params = {**_params(entity_id, criteria), "offset": page.offset, "limit": page.limit + 1}
        rows = records(await s.execute(_page_statement(*_shape(criteria)), params))
        return [_from_row(row) for row in rows[: page.limit]], len(rows) > page.limit

    async def last_updated(self, s: AsyncSession, entity_id: str) -> datetime | None:
        newest = await s.scalar(_LAST_UPDATED, {"entity_id": entity_id})
        return aware(newest)

    async def all_matching(
        self, s: AsyncSession, entity_id: str, criteria: LineFilter
    ) -> AsyncIterator[Line]:
        """Every line the criteria match, by number, read in chunks (exports)."""
        query = _matching(*_shape(criteria)).execution_options(yield_per=_PER_QUERY)
        result = await s.stream(query, _params(entity_id, criteria))
        async for row in stream_records(result):
            yield _from_row(row)

    async def by_ids(
        self, s: AsyncSession, entity_id: str, line_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Line]:
        """The entity's lines among these ids (others, and other entities', absent)."""
        found: dict[str, Line] = {}
        ids = list(line_ids)
        for start in range(0, len(ids), _PER_QUERY):
            query = select(lines).where(
                c.entity_id == entity_id, c.id.in_(ids[start : start + _PER_QUERY])
            )
            if for_update:
                query = query.with_for_update()
            for row in await s.execute(query):
                found[row.id] = _from_row(row)
        return found

    async def by_numbers(
        self, s: AsyncSession, entity_id: str, numbers: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Line]:
        """The entity's lines with these E.164 numbers, asked in chunks."""
        found: dict[str, Line] = {}
        numbers = list(numbers)
        for start in range(0, len(numbers), _PER_QUERY):
            chunk = numbers[start : start + _PER_QUERY]
            query = select(lines).where(c.entity_id == entity_id, c.number.in_(chunk))
            if for_update:
                query = query.with_for_update()
            for row in await s.execute(query):
                found[row.number] = _from_row(row)
        return found

    async def add_all(self, s: AsyncSession, new: Sequence[Line]) -> None:
        if new:
            await s.execute(insert(lines), [_to_row(line) for line in new])

    async def save(self, s: AsyncSession, line: Line) -> None:
        row = _to_row(line)
        del row["id"], row["entity_id"], row["created_at"]
        await s.execute(update(lines).where(c.id == line.id).values(**row))

    async def save_all(self, s: AsyncSession, changed: Sequence[Line]) -> None:
        """Saves lines whole, in one executemany."""
        if not changed:
            return
        # Bound names differ from the columns': SQLAlchemy reserves those for SET.
        rows = []
        for line in changed:
            row = _to_row(line)
            del row["entity_id"], row["created_at"]
            rows.append({f"b_{name}": value for name, value in row.items()})
        values = {name[2:]: bindparam(name) for name in rows[0] if name != "b_id"}
        await s.execute(
            update(lines).where(c.id == bindparam("b_id")).values(**values),
            rows,
            execution_options={"synchronize_session": False},
        )
