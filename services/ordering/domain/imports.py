"""Background imports: a large order file waits as a RUNNING import, is checked
chunk by chunk (progress), then SUCCEEDS with its order or FAILS with every
problem found. Its file is kept only while the import needs it.

An import changes by replacement (`with_progress`, `succeeded`, `failed` return
the new record): it is written in several transactions, and one that rolls
back must leave the record as it was."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from portal_runtime.errors import DomainError, FieldViolation

from .file_problems import problems_of


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
    # The problems of a FAILED import: all of them, or the first ones as loaded
    # for display; `errors_total` counts them all.
    errors: tuple[FieldViolation, ...] = ()
    errors_total: int = 0
    order_id: str = ""  # once SUCCEEDED
    finished_at: datetime | None = None
    # The file's bytes: read only by the import task (`with_file`); the store
    # deletes them once the import no longer `keeps_file`.
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
        """FAILED with every one of the error's field problems, or its message
        about the file."""
        errors = tuple(problems_of(error))
        return replace(
            self,
            state=ImportState.FAILED,
            errors=errors,
            errors_total=len(errors),
            finished_at=now,
        )

    def keeps_file(self, now: datetime, retention: timedelta) -> bool:
        """A RUNNING import needs its file (it resumes from it after a crash); a
        finished one keeps it for `retention` after it finished, then not."""
        return self.finished_at is None or self.finished_at + retention > now


def files_expire_before(now: datetime, retention: timedelta) -> datetime:
    """Finished imports that finished at or before this no longer keep their file
    (the other side of `OrderImport.keeps_file`)."""
    return now - retention


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
