"""The transactional outbox: an event is written in the same transaction as the
state change, and the relay publishes it to JetStream afterwards.

NATS down means events wait in the table; the relay retries forever with
backoff (tenacity) and JetStream dedupes retried publishes by Nats-Msg-Id.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import NamedTuple, TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from nats.js import JetStreamContext
from opentelemetry.propagate import inject
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from portal_runtime.bus import Bus, domain_of_subject
from portal_runtime.db import Database, outbox_table

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
# session.info keys: events the relay is handed after commit, and the mark that
# some of a session's events must be read back from the table instead.
OUTBOX_ADDED = "portal_outbox_added"
OUTBOX_DIRTY = "portal_outbox_dirty"
# How long acked events wait to be marked sent together. A crash in between
# publishes them again at the next start (JetStream drops the copies).
MARK_EVERY_SECONDS = 0.1


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
    pending = Pending(event_id, subject, event.SerializeToString(), json.dumps(headers))
    await session.execute(
        insert(outbox_table).values(
            id=event_id,
            subject=subject,
            event_type=event.DESCRIPTOR.full_name,
            payload=pending.payload,
            headers=pending.headers,
            created_at=datetime.now(UTC),
            attempts=0,
        )
    )
    if OUTBOX_ADDED not in session.info:
        session.info[OUTBOX_ADDED] = []
        # A rollback inside the transaction (a savepoint's, an explicit one)
        # may take back rows listed here while the transaction goes on and
        # commits: the relay then reads the table rather than trust the list.
        sa_event.listen(session.sync_session, "after_soft_rollback", _forget_added)
    session.info[OUTBOX_ADDED].append(pending)


def _forget_added(session: Session, _transaction: object) -> None:
    if session.info.get(OUTBOX_ADDED):
        session.info[OUTBOX_ADDED] = []
        session.info[OUTBOX_DIRTY] = True


class Pending(NamedTuple):
    """What the relay publishes of an outbox row."""

    id: str
    subject: str
    payload: bytes
    headers: str  # JSON object


class OutboxRelay:
    """Publishes the outbox to JetStream in batches, oldest first.

    The events a commit added are handed over (Database.on_commit) and
    published at once, in commit order, without reading them back; the table
    is scanned (oldest first) at start, every `poll_seconds` (what another
    replica left), after a failure (NATS down: retried forever with backoff)
    and when the hand-over cannot be trusted (a rollback inside a transaction,
    an overflow). A row is marked sent only once JetStream acked it; the marks
    are written by a task of their own, many rows an UPDATE, so that
    publishing does not wait for the write lock. A crash between an ack and its
    mark publishes the event again at the next start, and JetStream drops the
    copy (Nats-Msg-Id = event id)."""

    def __init__(self, db: Database, bus: Bus, *, batch_size: int = 250, poll_seconds: float = 1.0):
        self.db = db
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        # Handed over, not yet published; bounded so that a long NATS outage
        # does not grow it (the scan finds what did not fit).
        self._fresh: dict[str, Pending] = {}
        self._fresh_limit = 10 * batch_size
        # Acked by JetStream, not yet marked sent (the scan skips them).
        self._unmarked: dict[str, None] = {}
        self._marker: asyncio.Task | None = None
        self._scan_due = True
        db.on_commit(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        added: list[Pending] = session.info.pop(OUTBOX_ADDED, [])
        if session.info.pop(OUTBOX_DIRTY, False):
            self._scan_due = True
        for pending in added:
            if len(self._fresh) >= self._fresh_limit:
                self._scan_due = True
                break
            self._fresh[pending.id] = pending
        if added or self._scan_due:
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                # Cleared before the pass, not after the wait: a commit that
                # lands while we publish must wake the next wait.
                self._wake.clear()
                try:
                    await self._publish_with_retries(stop)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay failed; will retry")
                    self._scan_due = True
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    self._scan_due = True
        finally:
            # Marks still to write are written by a flush (publish_pending),
            # or, after a crash, the events go out again and JetStream drops
            # them.
            if self._marker is not None:
                self._marker.cancel()

    async def _publish_with_retries(self, stop: asyncio.Event) -> None:
        async for attempt in AsyncRetrying(
            wait=wait_exponential_jitter(multiplier=0.2, max=10),
            retry=retry_if_exception_type(Exception),
            reraise=True,
        ):
            with attempt:
                if stop.is_set():
                    return
                if self._scan_due or attempt.retry_state.attempt_number > 1:
                    await self._scan()
                else:
                    await self._publish_fresh()

    async def publish_pending(self) -> int:
        """Publishes every event unsent when it starts and waits for their
        marks (a flush, e.g. at shutdown); returns how many it published."""
        try:
            return await self._scan()
        finally:
            await self._mark_all()

    async def _publish_fresh(self) -> None:
        while self._fresh:
            taken = list(itertools.islice(self._fresh.values(), self.batch_size))
            for pending in taken:
                del self._fresh[pending.id]
            # A scan may have published some already (it can read a commit
            # before the committer hands it over).
            batch = [p for p in taken if p.id not in self._unmarked]
            # On failure the batch is not put back: its rows are in the table,
            # and the retry scans it.
            if batch:
                await self._send(batch)

    async def _scan(self) -> int:
        self._scan_due = False
        total = 0
        while True:
            if len(self._unmarked) > self._fresh_limit:
                await self._mark_all()
            # Taken before the read: a mark committed after it leaves the
            # read's rows unsent while it drops their ids from _unmarked.
            unmarked = set(self._unmarked)
            # Reading takes no lock: on SQLite the services' writers do not
            # queue behind the relay's scan.
            async with self.db.read() as session:
                rows = (
                    await session.execute(
                        select(
                            outbox_table.c.id,
                            outbox_table.c.subject,
                            outbox_table.c.payload,
                            outbox_table.c.headers,
                        )
                        .where(outbox_table.c.sent_at.is_(None))
                        .order_by(outbox_table.c.created_at, outbox_table.c.id)
                        .limit(self.batch_size + len(unmarked))
                    )
                ).all()
            batch = [Pending(*row) for row in rows if row.id not in unmarked]
            for pending in batch:  # published now: not again from the hand-over
                self._fresh.pop(pending.id, None)
            if batch:
                total += await self._send(batch)
            if len(rows) < self.batch_size + len(unmarked):
                # Drained: what was committed after this read set the wake-up
                # (run() cleared it before the pass), so no second read here.
                return total

    async def _send(self, batch: list[Pending]) -> int:
        """Publishes a batch concurrently; raises the first failure once the
        failures are recorded. The publishes leave on the one connection in
        the batch's order, so a stream keeps it, and their acks are awaited
        together. A row whose publish failed stays unsent and is retried, so it
        may then land after later events (consumers must not rely on a strict
        order: redeliveries reorder too)."""
        if not self.bus.connected.is_set():
            raise ConnectionError("NATS not connected; events wait in the outbox")
        for domain in sorted({domain_of_subject(p.subject) for p in batch}):
            await self.bus.ensure_stream(domain)
        js = self.bus.js
        results = await asyncio.gather(
            *(self._publish(js, pending) for pending in batch), return_exceptions=True
        )
        acked = 0
        failed: dict[str, list[str]] = {}
        for pending, result in zip(batch, results, strict=True):
            if result is None:
                self._unmarked[pending.id] = None
                acked += 1
            else:
                failed.setdefault(str(result)[:1000] or repr(result), []).append(pending.id)
        if acked and (self._marker is None or self._marker.done()):
            self._marker = asyncio.create_task(self._keep_marking(), name="outbox-marks")
        if failed:
            async with self.db.transaction() as session:
                for error, ids in failed.items():
                    await session.execute(
                        update(outbox_table)
                        .where(outbox_table.c.id.in_(ids))
                        .values(attempts=outbox_table.c.attempts + 1, last_error=error)
                    )
        for result in results:
            if isinstance(result, Exception):
                raise result
            if isinstance(result, BaseException):
                # A publish cancelled under us (its connection closing), not
                # the relay itself: a failure like the others, retried.
                raise ConnectionError(f"publish interrupted: {result!r}")
        return acked

    async def _mark_all(self) -> None:
        """Waits until every acked row is marked sent (a flush)."""
        if self._marker is not None and not self._marker.done():
            await asyncio.wait({self._marker})  # neither its failure nor ours
        while self._unmarked:
            await self._mark_some()

    async def _keep_marking(self) -> None:
        # The acks of a short while go in one UPDATE (and those that come in
        # while it waits for the write lock, in the next): a write transaction
        # per event would cost the service as much as its own commit.
        delay = 0.2
        while self._unmarked:
            await asyncio.sleep(MARK_EVERY_SECONDS)
            try:
                await self._mark_some()
                delay = 0.2
            except Exception:
                log.warning("could not mark sent events; will retry", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _mark_some(self) -> None:
        ids = list(itertools.islice(self._unmarked, 1000))
        async with self.db.transaction() as session:
            await session.execute(
                update(outbox_table)
                .where(outbox_table.c.id.in_(ids))
                .values(sent_at=datetime.now(UTC), attempts=outbox_table.c.attempts + 1)
            )
        for event_id in ids:
            self._unmarked.pop(event_id, None)

    async def _publish(self, js: JetStreamContext, pending: Pending) -> None:
        headers = json.loads(pending.headers)
        headers["Nats-Msg-Id"] = pending.id
        await js.publish(pending.subject, pending.payload, timeout=5, headers=headers)
        log.debug("published %s %s", pending.subject, pending.id)
