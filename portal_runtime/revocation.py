"""Sessions ended in identity, refused everywhere within seconds.

Access tokens are verified offline (a signature and an expiry), so a logout or a
password change would leave them usable elsewhere until they expire. Identity
states `SessionsEnded` with the session ids and when their last access token
expires; every replica of every service reads those events from the identity
stream with its own ordered (ephemeral) consumer, starting one token lifetime
back, into a small in-memory deny-list that the token verifier consults. No call
to identity per request, and a restarted replica rebuilds its list from JetStream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from nats.js.api import ConsumerConfig, DeliverPolicy

from portal_runtime.bus import Bus, stream_name

log = logging.getLogger(__name__)

SUBJECT = "portal.identity.SessionsEnded"
# How far back a starting replica reads: longer than any access token lives.
DEFAULT_LOOKBACK = timedelta(hours=1)


class EndedSessions:
    """Session ids refused until their tokens expire (then forgotten)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._until: dict[str, float] = {}
        self._clock = clock

    def add(self, session_ids: Iterable[str], until: float) -> None:
        for session_id in session_ids:
            if session_id:
                self._until[session_id] = max(until, self._until.get(session_id, 0.0))
        self._prune()

    def ended(self, session_id: str) -> bool:
        until = self._until.get(session_id)
        return until is not None and until >= self._clock()

    def __len__(self) -> int:
        return len(self._until)

    def _prune(self) -> None:
        now = self._clock()
        for session_id in [s for s, until in self._until.items() if until < now]:
            del self._until[session_id]


class EndedSessionsListener:
    """Feeds `EndedSessions` from the identity stream, reconnecting as needed."""

    def __init__(
        self, bus: Bus, sessions: EndedSessions, lookback: timedelta = DEFAULT_LOOKBACK
    ) -> None:
        self.bus = bus
        self.sessions = sessions
        self.lookback = lookback

    async def run(self, stop: asyncio.Event) -> None:
        # Imported here: the runtime's other modules do not depend on identity's
        # generated code, and this one only needs it once running.
        from portal.identity.v1 import events_pb2

        while not stop.is_set():
            try:
                await self.bus.connected.wait()
                await self.bus.ensure_stream("identity")
                generation = self.bus.generation
                # From one token lifetime back: the list is rebuilt whole on each
                # (re)subscription, adding is idempotent.
                start = datetime.now(UTC) - self.lookback
                sub = await self.bus.js.subscribe(
                    SUBJECT,
                    stream=stream_name("identity"),
                    ordered_consumer=True,
                    config=ConsumerConfig(
                        deliver_policy=DeliverPolicy.BY_START_TIME,
                        opt_start_time=start.isoformat().replace("+00:00", "Z"),
                    ),
                )
                try:
                    await self._read(sub, stop, events_pb2.SessionsEnded, generation)
                finally:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("ended-sessions listener interrupted (%s); retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def _read(self, sub, stop: asyncio.Event, event_type, generation: int) -> None:  # type: ignore[no-untyped-def]
        # A reconnection may mean a restarted server that lost this ephemeral
        # consumer: subscribe again rather than wait on a dead one.
        while not stop.is_set() and self.bus.generation == generation:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except TimeoutError:
                continue
            try:
                event = event_type.FromString(msg.data)
            except Exception:
                log.warning("unreadable SessionsEnded event ignored")
                continue
            self.sessions.add(event.session_ids, event.tokens_expire_at.seconds)
