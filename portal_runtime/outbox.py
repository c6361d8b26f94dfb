"""The transactional outbox: an event is written in the same transaction as the
state change, and the relay publishes it to JetStream afterwards.

NATS down means events wait in the table; the relay retries forever with
backoff (tenacity) and JetStream dedupes retried publishes by Nats-Msg-Id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry.propagate import inject
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from portal_runtime.bus import Bus, domain_of_subject
from portal_runtime.db import Database, outbox_table

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
OUTBOX_DIRTY = "portal_outbox_dirty"


def new_event(cls: type[M], **fields: object) -> M:
    """An integration event with a fresh id and the current time."""
    event = cls(**fields)
    event.event_id = uuid.uuid4().hex
    occurred = Timestamp()
    occurred.GetCurrentTime()
    event.occurred_at.CopyFrom(occurred)
    return event


def subject_of(event: Message) -> str:
    # Proto package portal.<domain>.v1 -> subject portal.<domain>.<MessageName>
    full = event.DESCRIPTOR.full_name
    parts = full.split(".")
    return f"portal.{parts[1]}.{parts[-1]}"


async def add_event(session: AsyncSession, event: Message) -> None:
    """Stores an event in the outbox, in the caller's transaction."""
    event_id = getattr(event, "event_id", "")
    if not event_id:
        raise ValueError("events carry an event_id: build them with new_event()")
    subject = subject_of(event)
    occurred = event.occurred_at.ToDatetime(tzinfo=UTC)
    headers = {
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-type": event.DESCRIPTOR.full_name,
        "ce-source": f"portail/{domain_of_subject(subject)}",
        "ce-time": occurred.isoformat().replace("+00:00", "Z"),
        "content-type": "application/protobuf",
    }
    inject(headers)  # W3C traceparent of the current span
    await session.execute(
        insert(outbox_table).values(
            id=event_id,
            subject=subject,
            event_type=event.DESCRIPTOR.full_name,
            payload=event.SerializeToString(),
            headers=json.dumps(headers),
            created_at=datetime.now(UTC),
            attempts=0,
        )
    )
    session.info[OUTBOX_DIRTY] = True


class OutboxRelay:
    def __init__(self, db: Database, bus: Bus, *, batch_size: int = 100, poll_seconds: float = 1.0):
        self.db = db
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        db.on_commit(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.pop(OUTBOX_DIRTY, False):
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Cleared before the pass, not after the wait: a commit that lands
            # while we publish must wake the next wait, not be forgotten.
            self._wake.clear()
            try:
                await self._publish_with_retries(stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def _publish_with_retries(self, stop: asyncio.Event) -> None:
        async for attempt in AsyncRetrying(
            wait=wait_exponential_jitter(multiplier=0.2, max=10),
            retry=retry_if_exception_type(Exception),
            reraise=True,
        ):
            with attempt:
                if stop.is_set():
                    return
                await self.publish_pending()

    async def publish_pending(self) -> int:
        """Publishes every unsent event, oldest first; returns how many."""
        total = 0
        while True:
            async with self.db.transaction() as session:
                rows = (
                    await session.execute(
                        select(outbox_table)
                        .where(outbox_table.c.sent_at.is_(None))
                        .order_by(outbox_table.c.created_at, outbox_table.c.id)
                        .limit(self.batch_size)
                    )
                ).all()
            if not rows:
                return total
            if not self.bus.connected.is_set():
                raise ConnectionError("NATS not connected; events wait in the outbox")
            for row in rows:
                try:
                    await self._publish(row)
                except Exception as exc:
                    async with self.db.transaction() as session:
                        await session.execute(
                            update(outbox_table)
                            .where(outbox_table.c.id == row.id)
                            .values(attempts=row.attempts + 1, last_error=str(exc)[:1000])
                        )
                    raise
                async with self.db.transaction() as session:
                    await session.execute(
                        update(outbox_table)
                        .where(outbox_table.c.id == row.id)
                        .values(sent_at=datetime.now(UTC), attempts=row.attempts + 1)
                    )
                total += 1

    async def _publish(self, row) -> None:  # type: ignore[no-untyped-def]
        await self.bus.ensure_stream(domain_of_subject(row.subject))
        headers = json.loads(row.headers)
        headers["Nats-Msg-Id"] = row.id
        await self.bus.js.publish(row.subject, row.payload, timeout=5, headers=headers)
        log.debug("published %s %s", row.subject, row.id)
