"""The delivery loop: sends due PENDING messages, records the outcome, and
schedules retries with backoff until the message is SENT or FAILED.

Safe with several replicas: each batch is claimed with a short lease (see
`MessageRepository.claim_due` in store/messages.py, `PORTAL_NOTIFICATIONS_LEASE_SECONDS`,
15 s by default) in its own transaction, renewed every third of it while the
batch is being sent, sent outside any transaction, then each outcome is written.
A replica that dies mid-batch stops renewing, so another one (or its restart)
takes the messages over within one lease.

At least once, and at most twice only where it cannot be helped: a message
handed to the mail server (or written to the mailbox folder) whose outcome was
not yet recorded when the replica died is sent again. It carries the same
Message-ID and Date (both derive from the message), so mail clients show it once,
and the mailbox folder's file is the same file rewritten. Messages claimed but
not yet tried are never sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from services.notifications.domain.messages import Message, Status
from services.notifications.domain.retry import RetryPolicy
from services.notifications.mailers import (
    DEFAULT_SENDER,
    Mailer,
    PermanentDeliveryError,
    build_email,
)
from services.notifications.store import MessageRepository

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Set on a session that stored a message: the delivery loop wakes after commit
# (before it, the loop could not see the row yet).
_MESSAGES_QUEUED = "portal_notifications_dirty"


def wake_after_commit(session: AsyncSession) -> None:
    """Tells every delivery loop on this database to look for due messages as
    soon as `session` commits, rather than at its next poll."""
    session.info[_MESSAGES_QUEUED] = True


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        mailer: Mailer,
        *,
        sender: str = DEFAULT_SENDER,
        policy: RetryPolicy | None = None,
        poll_seconds: float = 1.0,
        batch_size: int = 20,
        lease: timedelta = timedelta(seconds=15),
        send_timeout_seconds: float = 120.0,
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.messages = MessageRepository()
        self.mailer = mailer
        self.sender = sender
        self.policy = policy or RetryPolicy()
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.lease = lease
        self.send_timeout_seconds = send_timeout_seconds
        self.clock = clock
        self._wake = asyncio.Event()
        db.on_commit(self._after_commit)

    def wake(self) -> None:
        """Look for due messages now rather than at the next poll."""
        self._wake.set()

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.pop(_MESSAGES_QUEUED, False):
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """The background task (`app.add_task(worker.run)`)."""
        log.info("delivery loop started (poll every %.1fs)", self.poll_seconds)
        while not stop.is_set():
            self._wake.clear()
            try:
                handled = await self.deliver_due(stop)
            except asyncio.CancelledError:
                raise
            except Exception:  # a DB hiccup: try again at the next poll
                log.exception("delivery pass failed")
                handled = 0
            if handled >= self.batch_size:
                continue  # a full batch: more may be due
            await self._sleep(stop)

    async def _sleep(self, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        waking = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait(
                {stopping, waking}, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()
            waking.cancel()

    async def deliver_due(self, stop: asyncio.Event | None = None) -> int:
        """One pass: claims a batch of due messages and tries each once.
        Returns how many were attempted. When `stop` is set mid-batch, the
        messages not yet tried are released for the next start (or replica)."""
        claim = uuid.uuid4().hex
        now = self.clock()
        async with self.db.transaction() as session:
            batch = await self.messages.claim_due(
                session, claim=claim, now=now, lease_until=now + self.lease, limit=self.batch_size
            )
        if not batch:
            return 0
        renewing = asyncio.create_task(self._renew(claim), name="notifications-lease")
        try:
            for done, message in enumerate(batch):
                if stop is not None and stop.is_set():
                    async with self.db.transaction() as session:
                        await self.messages.release(session, claim)
                    return done
                await self._deliver(message, claim)
            return len(batch)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew(self, claim: str) -> None:
        """Extends the claim's lease every third of it while the batch is sent,
        so that only a dead replica's messages are taken over."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.db.transaction() as session:
                    await self.messages.renew(session, claim, self.clock() + self.lease)
            except Exception:  # the next renewal (or the lease's expiry) decides
                log.warning("could not renew the lease of claim %s", claim, exc_info=True)

    async def _deliver(self, message: Message, claim: str) -> None:
        permanent = False
        try:
            email = build_email(message, self.sender)
            await asyncio.wait_for(self.mailer.send(email), timeout=self.send_timeout_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure is recorded, then retried
            permanent = isinstance(exc, PermanentDeliveryError)
            error = f"{type(exc).__name__}: {exc}"
            outcome = message.failed_attempt(error, self.clock(), self.policy, permanent=permanent)
        else:
            outcome = message.sent(self.clock())
        async with self.db.transaction() as session:
            saved = await self.messages.save_delivery(session, outcome, claim=claim)
        if not saved:
            log.warning("message %s: lease lost before its outcome was saved", message.id)
        elif outcome.status is Status.SENT:
            log.info("message %s (%s) sent to %s", message.id, message.template, message.recipient)
        elif outcome.status is Status.FAILED:
            log.error(
                "message %s to %s FAILED after %d attempt(s): %s",
                message.id,
                message.recipient,
                outcome.attempts,
                outcome.last_error,
            )
        else:
            log.warning(
                "message %s attempt %d failed (%s); next try at %s",
                message.id,
                outcome.attempts,
                outcome.last_error,
                outcome.next_attempt_at,
            )
