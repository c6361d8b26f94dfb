"""Durable JetStream pull consumers with an inbox: each handler runs in one DB
transaction that also records the event id, so a redelivered event does
nothing; the message is acked only after commit. An event that keeps failing
goes to the dead letters (a table operators can read, and a NATS subject)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import DecodeError, Message
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.propagate import extract
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.bus import DEAD_LETTER_PREFIX, Bus, stream_name
from portal_runtime.db import Database, dead_letters_table, inbox_table

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


class EventConsumer:
    """Consumes one event type for one service."""

    def __init__(
        self,
        *,
        service: str,
        db: Database,
        bus: Bus,
        event_type: type[Message],
        handler: Handler,
        max_deliveries: int = 5,
        ack_wait_seconds: float = 30.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.event_type = event_type
        self.handler = handler
        self.max_deliveries = max_deliveries
        self.ack_wait_seconds = ack_wait_seconds
        parts = event_type.DESCRIPTOR.full_name.split(".")  # portal.<domain>.v1.<Name>
        self.domain, self.event_name = parts[1], parts[-1]
        self.subject = f"portal.{self.domain}.{self.event_name}"
        self.durable = f"{service}__{self.domain}__{self.event_name}"

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.bus.connected.wait()
                await self._consume(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s interrupted (%s); retrying", self.durable, exc)
                await _sleep_unless(stop, 1.0)

    async def _consume(self, stop: asyncio.Event) -> None:
        await self.bus.ensure_stream(self.domain)
        sub = await self.bus.js.pull_subscribe(
            self.subject,
            durable=self.durable,
            stream=stream_name(self.domain),
            config=ConsumerConfig(
                durable_name=self.durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self.ack_wait_seconds,
                max_deliver=-1,  # we decide when to give up (dead letters)
                filter_subject=self.subject,
            ),
        )
        while not stop.is_set():
            try:
                msgs = await sub.fetch(batch=20, timeout=1)
            except (NatsTimeoutError, TimeoutError):
                continue
            for msg in msgs:
                await self._process(msg)

    async def _process(self, msg) -> None:  # type: ignore[no-untyped-def]
        headers = msg.headers or {}
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        try:
            event = self.event_type.FromString(msg.data)
        except DecodeError as exc:
            await self._dead_letter(msg, f"undecodable payload: {exc}", deliveries)
            await msg.ack()
            return
        event_id = headers.get("ce-id") or getattr(event, "event_id", "") or msg.metadata.sequence
        with tracer.start_as_current_span(
            f"consume {self.subject}", context=extract(headers), kind=trace.SpanKind.CONSUMER
        ):
            try:
                applied = await self.apply(str(event_id), event)
            except Exception as exc:
                if deliveries >= self.max_deliveries:
                    log.exception("event %s failed %d times: dead letter", event_id, deliveries)
                    await self._dead_letter(msg, repr(exc), deliveries, str(event_id))
                    await msg.ack()
                else:
                    log.warning("event %s failed (try %d): %s", event_id, deliveries, exc)
                    await msg.nak(delay=min(2**deliveries, 60))
                return
        await msg.ack()
        log.debug("event %s %s", event_id, "applied" if applied else "already applied")

    async def apply(self, event_id: str, event: Message) -> bool:
        """Runs the handler once for this event id (inbox); False if already applied."""
        try:
            async with self.db.transaction() as session:
                seen = await session.execute(
                    select(inbox_table.c.event_id).where(
                        inbox_table.c.consumer == self.durable, inbox_table.c.event_id == event_id
                    )
                )
                if seen.first() is not None:
                    return False
                await self.handler(session, event)
                await session.execute(
                    insert(inbox_table).values(
                        consumer=self.durable, event_id=event_id, received_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            # Another replica recorded it first: applied once, by them.
            return False
        return True

    async def _dead_letter(self, msg, error: str, deliveries: int, event_id: str = "") -> None:  # type: ignore[no-untyped-def]
        async with self.db.transaction() as session:
            await session.execute(
                insert(dead_letters_table).values(
                    id=uuid.uuid4().hex,
                    consumer=self.durable,
                    subject=msg.subject,
                    event_id=event_id,
                    payload=msg.data,
                    error=error[:4000],
                    deliveries=deliveries,
                    created_at=datetime.now(UTC),
                )
            )
        try:
            await self.bus.ensure_stream("deadletter")
            await self.bus.js.publish(
                f"{DEAD_LETTER_PREFIX}.{self.durable}",
                msg.data,
                headers={
                    **(msg.headers or {}),
                    "portal-error": json.dumps(error[:1000]),
                    "portal-consumer": self.durable,
                },
            )
        except Exception:
            log.warning("could not publish dead letter of %s to NATS", event_id)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
