"""Background imports. An import is written across several transactions (its
progress, then its outcome), so its writes are narrow and need no earlier read:
`save_progress`, and `finish`, which also claims it. Its problems are rows of
their own (`order_import_errors`): loading an import reads only the first ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.errors import FieldViolation
from services.ordering.domain.imports import ImportState, OrderImport
from services.ordering.store.tables import order_import_errors, order_imports

i = order_imports.c
e = order_import_errors.c


def _from_row(row: Row, file: bytes, errors: list[FieldViolation]) -> OrderImport:
    return OrderImport(
        id=row.id,
        entity_id=row.entity_id,
        user_id=row.user_id,
        lines_total=row.lines_total,
        created_at=aware(row.created_at),
        state=ImportState(row.state),
        lines_done=row.lines_done,
        errors=tuple(errors),
        errors_total=row.errors_total,
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
                errors_total=job.errors_total,
                order_id=job.order_id,
                created_at=job.created_at,
                finished_at=job.finished_at,
            )
        )
        await self._add_errors(s, job)

    async def get(
        self,
        s: AsyncSession,
        import_id: str,
        entity_id: str | None,
        *,
        with_file: bool = False,
        errors_limit: int | None = 0,
    ) -> OrderImport | None:
        """`entity_id` None: any entity's (the import task). The file's bytes
        only `with_file` (empty once deleted); its first `errors_limit`
        problems (None: all of them)."""
        columns = [c for c in order_imports.c if with_file or c.name != "file"]
        query = select(*columns).where(i.id == import_id)
        if entity_id is not None:
            query = query.where(i.entity_id == entity_id)
        row = (await s.execute(query)).first()
        if row is None:
            return None
        errors: list[FieldViolation] = []
        if row.errors_total and errors_limit != 0:
            listed = (
                select(e.field, e.description)
                .where(e.import_id == import_id)
                .order_by(e.position)
                .limit(errors_limit)
            )
            errors = [FieldViolation(r.field, r.description) for r in await s.execute(listed)]
        return _from_row(row, (row.file or b"") if with_file else b"", errors)

    async def running_ids(self, s: AsyncSession) -> list[str]:
        query = select(i.id).where(i.state == ImportState.RUNNING.value)
        return list((await s.execute(query.order_by(i.created_at, i.id))).scalars())

    async def save_progress(self, s: AsyncSession, job: OrderImport) -> None:
        await s.execute(
            update(order_imports).where(i.id == job.id).values(lines_done=job.lines_done)
        )

    async def finish(self, s: AsyncSession, job: OrderImport, *, keep_file: bool) -> bool:
        """Writes the outcome of a RUNNING import (and deletes its file unless
        `keep_file`); False when it is not RUNNING any more (another replica
        finished it: on PostgreSQL the row lock makes this one wait)."""
        values = {
            "state": job.state.value,
            "lines_done": job.lines_done,
            "errors_total": job.errors_total,
            "order_id": job.order_id,
            "finished_at": job.finished_at,
        }
        if not keep_file:
            values["file"] = None
        result = await s.execute(
            update(order_imports)
            .where(i.id == job.id, i.state == ImportState.RUNNING.value)
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        await self._add_errors(s, job)
        return True

    async def drop_files(self, s: AsyncSession, finished_before: datetime) -> int:
        """Deletes the files of the imports finished at or before
        `finished_before`; how many."""
        result = await s.execute(
            update(order_imports)
            .where(
                i.state != ImportState.RUNNING.value,
                i.finished_at <= finished_before,
                i.file.is_not(None),
            )
            .values(file=None)
        )
        return result.rowcount

    async def _add_errors(self, s: AsyncSession, job: OrderImport) -> None:
        if job.errors:
            rows = [
                {"import_id": job.id, "position": n, "field": v.field, "description": v.description}
                for n, v in enumerate(job.errors)
            ]
            await s.execute(insert(order_import_errors), rows)
