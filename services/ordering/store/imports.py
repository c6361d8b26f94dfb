"""Background imports. An import is written across several transactions (its
progress, then its outcome), so its writes are narrow and need no earlier read:
`save_progress`, and `finish`, which also claims it."""

from __future__ import annotations

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.errors import FieldViolation
from services.ordering.domain.imports import ImportState, OrderImport
from services.ordering.store.tables import order_imports

i = order_imports.c


def _errors(job: OrderImport) -> list[dict[str, str]]:
    return [{"field": e.field, "description": e.description} for e in job.errors]


def _from_row(row: Row, file: bytes) -> OrderImport:
    return OrderImport(
        id=row.id,
        entity_id=row.entity_id,
        user_id=row.user_id,
        lines_total=row.lines_total,
        created_at=aware(row.created_at),
        state=ImportState(row.state),
        lines_done=row.lines_done,
        errors=tuple(FieldViolation(e["field"], e["description"]) for e in row.errors),
        order_id=row.order_id,
        finished_at=aware(row.finished_at),
        file=file,
    )


class ImportsRepository:
    async def add(self, s: AsyncSession, job: OrderImport) -> None:
        await s.execute(
            insert(order_imports).values(
                id=job.id,
                entity_id=job.entity_id,
                user_id=job.user_id,
                state=job.state.value,
                file=job.file,
                lines_total=job.lines_total,
                lines_done=job.lines_done,
                errors=_errors(job),
                order_id=job.order_id,
                created_at=job.created_at,
                finished_at=job.finished_at,
            )
        )

    async def get(
        self, s: AsyncSession, import_id: str, entity_id: str | None, *, with_file: bool = False
    ) -> OrderImport | None:
        """`entity_id` None: any entity's (the import task). The file's bytes
        only `with_file`."""
        columns = [c for c in order_imports.c if with_file or c.name != "file"]
        query = select(*columns).where(i.id == import_id)
        if entity_id is not None:
            query = query.where(i.entity_id == entity_id)
        row = (await s.execute(query)).first()
        return _from_row(row, row.file if with_file else b"") if row else None

    async def running_ids(self, s: AsyncSession) -> list[str]:
        query = select(i.id).where(i.state == ImportState.RUNNING.value)
        return list((await s.execute(query.order_by(i.created_at, i.id))).scalars())

    async def save_progress(self, s: AsyncSession, job: OrderImport) -> None:
        await s.execute(
            update(order_imports).where(i.id == job.id).values(lines_done=job.lines_done)
        )

    async def finish(self, s: AsyncSession, job: OrderImport) -> bool:
        """Writes the outcome of a RUNNING import; False when it is not RUNNING
        any more (another replica finished it: on PostgreSQL the row lock makes
        this one wait)."""
        result = await s.execute(
            update(order_imports)
            .where(i.id == job.id, i.state == ImportState.RUNNING.value)
            .values(
                state=job.state.value,
                lines_done=job.lines_done,
                errors=_errors(job),
                order_id=job.order_id,
                finished_at=job.finished_at,
            )
        )
        return result.rowcount == 1
