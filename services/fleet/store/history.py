"""Lines' history entries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.db import new_id
from portal_runtime.pagination import Page
from services.fleet.domain.history import HistoryEntry
from services.fleet.store.tables import line_history

c = line_history.c


class HistoryRepository:
    async def add_all(
        self, s: AsyncSession, entity_id: str, entries: Sequence[HistoryEntry]
    ) -> None:
        if not entries:
            return
        await s.execute(
            insert(line_history),
            [
                {
                    "id": new_id(),
                    "line_id": e.line_id,
                    "entity_id": entity_id,
                    "at": e.at,
                    "kind": e.kind,
                    "description": e.description,
                    "succeeded": e.succeeded,
                    "failure_reason": e.failure_reason,
                    "request_id": e.request_id,
                }
                for e in entries
            ],
        )

    async def list(
        self, s: AsyncSession, entity_id: str, line_id: str, page: Page
    ) -> tuple[list[HistoryEntry], bool]:
        query = (
            select(line_history)
            .where(c.entity_id == entity_id, c.line_id == line_id)
            .order_by(c.at.desc(), c.id.desc())
            .offset(page.offset)
            .limit(page.limit + 1)
        )
        rows = (await s.execute(query)).all()
        entries = [
            HistoryEntry(
                line_id=row.line_id,
                at=aware(row.at),
                kind=row.kind,
                description=row.description,
                succeeded=row.succeeded,
                failure_reason=row.failure_reason,
                request_id=row.request_id,
            )
            for row in rows[: page.limit]
        ]
        return entries, len(rows) > page.limit
