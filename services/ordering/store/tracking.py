"""What the repositories read or wrote in the current transaction, so that
`save` writes only what the domain changed since.

The transaction is the session: `AsyncSession.info` lives as long as it, so
nothing outlives the unit of work and concurrent requests share nothing. Only
changed columns are written: a save never puts back a value another
transaction changed meanwhile (a beneficiary's `has_card`...)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.read_session import READ_ONLY


def tracked(s: AsyncSession) -> bool:
    """Whether what is read in `s` may be saved (not in `Database.read()`)."""
    return not s.info.get(READ_ONLY)


def remember(s: AsyncSession, kind: str, key: str, state: Any) -> None:
    """`state`: what the database now holds for `key`, as `save` will compare it."""
    if tracked(s):
        s.info.setdefault(kind, {})[key] = state


def recall(s: AsyncSession, kind: str, key: str) -> Any:
    try:
        return s.info[kind][key]
    except KeyError:
        raise LookupError(
            f"{kind} {key} was not read in this transaction: get it before saving it"
        ) from None


def remember_row(s: AsyncSession, table: Table, row: dict[str, Any]) -> None:
    remember(s, table.name, row["id"], row)


async def save_row(s: AsyncSession, table: Table, row: dict[str, Any]) -> None:
    """Updates the columns of `row` (all of them, with its id) whose value
    differs from what was read or written in this transaction."""
    before = recall(s, table.name, row["id"])
    values = {name: value for name, value in row.items() if before.get(name) != value}
    if values:
        await s.execute(update(table).where(table.c.id == row["id"]).values(**values))
    remember_row(s, table, row)
