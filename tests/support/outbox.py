"""What a use case put in its service's outbox: the events a unit test expects."""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import select

from portal_runtime.db import Database, outbox_table


async def outbox_events(db: Database, events_module: ModuleType, name: str) -> list:
    """The events of type `name` (a message of `events_module`) in `db`'s outbox,
    oldest first, decoded."""
    cls = getattr(events_module, name)
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(outbox_table.c.payload)
                .where(outbox_table.c.event_type == cls.DESCRIPTOR.full_name)
                .order_by(outbox_table.c.created_at)
            )
        ).all()
    return [cls.FromString(r.payload) for r in rows]
