"""Durable JetStream pull consumers with an inbox: each handler runs in a DB
transaction that also records the event id, so a redelivered event does
nothing; the message is acked only after commit. A backlog is applied in
batches (one transaction for several events, in their order); a batch that
fails is rolled back whole and its events applied one by one. An event that
keeps failing goes to the dead letters (a table operators can read, and a NATS
subject)."""

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


class _AlreadyApplied(Exception):
    """The event's inbox row exists: applied once already, by us or another replica."""


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
        batch_size: int = 20,
    ) -> None:
        self.db = db
        self.bus = bus
        self.event_type = event_type
        self.handler = handler
        self.max_deliveries = max_deliveries
        self.ack_wait_seconds = ack_wait_seconds
        self.batch_size = batch_size
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
        batch = 1
        while not stop.is_set():
            try:
                msgs = await sub.fetch(batch=batch, timeout=1)
            except (NatsTimeoutError, TimeoutError):
                batch = 1
                continue
            if len(msgs) > 1:
                await self._process_batch(msgs)
            else:
                for msg in msgs:
                    await self._process(msg)
            # A fetch returns once its whole batch came (or it expired): asking
            # for more than the stream holds would make an event that arrives
            # alone wait for others. So ask for what the server says is pending
            # (a backlog drains in batches) and otherwise for one, which
            # returns as soon as the next event is there.
            last = msgs[-1].metadata if msgs else None
            batch = max(1, min(self.batch_size, last.num_pending if last else 0))

    async def _process(self, msg) -> None:  # type: ignore[no-untyped-def]
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        try:
            event = self.event_type.FromString(msg.data)
        except DecodeError as exc:
            await self._dead_letter(msg, f"undecodable payload: {exc}", deliveries)
            await msg.ack()
            return
        event_id = _event_id(msg, event)
        with self._span(msg):
            try:
                applied = await self.apply(event_id, event)
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

    async def _process_batch(self, msgs: list) -> None:  # type: ignore[type-arg]
        """A backlog's batch: every handler in one transaction with one inbox
        write, then every message acked, so that the commit and the round trips
        are paid once per batch rather than per event. If anything fails
        (a handler, an undecodable payload, another replica's inbox row) the
        batch is rolled back whole and each message goes the one-by-one way:
        its own transaction, retries, dead letters."""
        try:
            batch = [(msg, self.event_type.FromString(msg.data)) for msg in msgs]
            await self._apply_batch(batch)
        except Exception as exc:
            log.info("batch of %d events failed (%s); one at a time", len(msgs), exc)
            for msg in msgs:
                await self._process(msg)
            return
        for msg in msgs:
            await msg.ack()

    async def _apply_batch(self, batch: list[tuple[Any, Message]]) -> None:
        ids = [_event_id(msg, event) for msg, event in batch]
        async with self.db.transaction() as session:
            seen = set(
                (
                    await session.execute(
                        select(inbox_table.c.event_id).where(
                            inbox_table.c.consumer == self.durable,
                            inbox_table.c.event_id.in_(ids),
                        )
                    )
                ).scalars()
            )
            fresh = []
            for event_id, (msg, event) in zip(ids, batch, strict=True):
                if event_id in seen:  # applied before, or twice in this batch
                    continue
                seen.add(event_id)
                with self._span(msg):
                    await self.handler(session, event)
                fresh.append(
                    {
                        "consumer": self.durable,
                        "event_id": event_id,
                        "received_at": datetime.now(UTC),
                    }
                )
            if fresh:
                await session.execute(insert(inbox_table), fresh)

    def _span(self, msg):  # type: ignore[no-untyped-def]
        return tracer.start_as_current_span(
            f"consume {self.subject}",
            context=extract(msg.headers or {}),
            kind=trace.SpanKind.CONSUMER,
        )

    async def apply(self, event_id: str, event: Message) -> bool:
        """Runs the handler once for this event id (inbox); False if already applied."""
        try:
            async with self.db.transaction() as session:
                # The inbox row first: an event applied before (or being
                # applied by another replica, whose row this insert waits for)
                # fails here, before its handler runs, and costs no lookup.
                try:
                    await session.execute(
                        insert(inbox_table).values(
                            consumer=self.durable,
                            event_id=event_id,
                            received_at=datetime.now(UTC),
                        )
                    )
                except IntegrityError as exc:
                    raise _AlreadyApplied from exc
                # A handler's own IntegrityError is a failure like any other
                # (retried, then dead-lettered), not a duplicate delivery.
                await self.handler(session, event)
        except _AlreadyApplied:
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


def _event_id(msg, event: Message) -> str:  # type: ignore[no-untyped-def]
    headers = msg.headers or {}
    return str(headers.get("ce-id") or getattr(event, "event_id", "") or msg.metadata.sequence)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
