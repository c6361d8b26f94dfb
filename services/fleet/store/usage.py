"""Monthly usage per line: every query filters on the entity, so another
entity's figures never show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.pagination import Page
from services.fleet.domain.usage import Usage, UsageFilter
from services.fleet.store.tables import lines, usage

u = usage.c
ln = lines.c
_PER_QUERY = 5_000
_FIGURES = ("voice_minutes", "sms", "data_mb", "out_of_bundle_cents")


def _from_row(row: Row) -> Usage:
    return Usage(
        line_id=row.line_id,
        entity_id=row.entity_id,
        month=row.month,
        voice_minutes=row.voice_minutes,
        sms=row.sms,
        data_mb=row.data_mb,
        out_of_bundle_cents=row.out_of_bundle_cents,
        number=row.number,
        national_number=row.national_number,
        user_name=row.user_name,
    )


def _where(entity_id: str, criteria: UsageFilter) -> list[Any]:
    where: list[Any] = [u.entity_id == entity_id, ln.entity_id == entity_id]
    if criteria.month:
        where.append(u.month == criteria.month)
    if criteria.line_id:
        where.append(u.line_id == criteria.line_id)
    thresholds = [
        column >= minimum
        for column, minimum in (
            (u.out_of_bundle_cents, criteria.min_out_of_bundle_cents),
            (u.data_mb, criteria.min_data_mb),
            (u.voice_minutes, criteria.min_voice_minutes),
        )
        if minimum
    ]
    if thresholds:
        where.append(or_(*thresholds))
    return where


class UsageRepository:
    async def replace_all(
        self, s: AsyncSession, entity_id: str, rows: Sequence[Usage], now: datetime
    ) -> int:
        """Writes the entity's figures: a line-month already there has its
        figures replaced, others are inserted. How many were replaced."""
        if not rows:
            return 0
        existing = await self._existing(s, entity_id, rows)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for figure in rows:
            values = {name: getattr(figure, name) for name in _FIGURES}
            if (figure.line_id, figure.month) in existing:
                # Bound names differ from the columns': SQLAlchemy reserves those for SET.
                changed.append(
                    {f"b_{name}": value for name, value in values.items()}
                    | {"b_line_id": figure.line_id, "b_month": figure.month, "b_imported_at": now}
                )
            else:
                new.append(
                    values
                    | {
                        "line_id": figure.line_id,
                        "month": figure.month,
                        "entity_id": entity_id,
                        "imported_at": now,
                    }
                )
        if new:
            await s.execute(insert(usage), new)
        if changed:
            values = {name: bindparam(f"b_{name}") for name in (*_FIGURES, "imported_at")}
            await s.execute(
                update(usage)
                .where(u.line_id == bindparam("b_line_id"), u.month == bindparam("b_month"))
                .values(**values),
                changed,
                execution_options={"synchronize_session": False},
            )
        return len(changed)

    async def _existing(
        self, s: AsyncSession, entity_id: str, rows: Sequence[Usage]
    ) -> set[tuple[str, str]]:
        """Which (line id, month) of `rows` already have figures, asked in chunks."""
        keys = {(figure.line_id, figure.month) for figure in rows}
        line_ids = sorted({line_id for line_id, _ in keys})
        # A range, not a list: a file spanning many months stays two parameters.
        months = sorted({month for _, month in keys})
        found: set[tuple[str, str]] = set()
        for start in range(0, len(line_ids), _PER_QUERY):
            query = select(u.line_id, u.month).where(
                u.entity_id == entity_id,
                u.line_id.in_(line_ids[start : start + _PER_QUERY]),
                u.month.between(months[0], months[-1]),
            )
            found.update((line_id, month) for line_id, month in await s.execute(query))
        return found & keys

    async def list(
        self, s: AsyncSession, entity_id: str, criteria: UsageFilter, page: Page
    ) -> tuple[list[Usage], bool]:
        """A page, newest month first then by number; whether more follow."""
        query = (
            select(usage, ln.number, ln.national_number, ln.user_name)
            .join(lines, ln.id == u.line_id)
            .where(*_where(entity_id, criteria))
            .order_by(u.month.desc(), ln.number, u.line_id)
        )
        rows = (await s.execute(query.offset(page.offset).limit(page.limit + 1))).all()
        return [_from_row(row) for row in rows[: page.limit]], len(rows) > page.limit
