"""Background imports: a large order file waits as a RUNNING import, is checked
chunk by chunk (progress), then SUCCEEDS with its order or FAILS with every
problem found.

An import changes by replacement (`with_progress`, `succeeded`, `failed` return
the new record): it is written in several transactions, and one that rolls
back must leave the record as it was."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

from portal_runtime.errors import DomainError, FieldViolation


class ImportState(enum.StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class OrderImport:
    id: str
    entity_id: str
    user_id: str
    lines_total: int
    created_at: datetime
    state: ImportState = ImportState.RUNNING
    lines_done: int = 0
    errors: tuple[FieldViolation, ...] = ()
    order_id: str = ""  # once SUCCEEDED
    finished_at: datetime | None = None
    # The file's bytes: read only by the import task (`with_file`).
    file: bytes = field(default=b"", repr=False)

    def with_progress(self, lines_done: int) -> OrderImport:
        return replace(self, lines_done=min(lines_done, self.lines_total))

    def succeeded(self, order_id: str, now: datetime) -> OrderImport:
        return replace(
            self,
            state=ImportState.SUCCEEDED,
            lines_done=self.lines_total,
            order_id=order_id,
            finished_at=now,
        )

    def failed(self, error: DomainError, now: datetime) -> OrderImport:
        """FAILED with the error's field problems, or its message about the file."""
        errors = tuple(error.violations) or (FieldViolation("file", error.message),)
        return replace(self, state=ImportState.FAILED, errors=errors, finished_at=now)


def new_import(
    *, id: str, entity_id: str, user_id: str, file: bytes, lines_total: int, now: datetime
) -> OrderImport:
    return OrderImport(
        id=id,
        entity_id=entity_id,
        user_id=user_id,
        lines_total=lines_total,
        created_at=now,
        file=file,
    )
