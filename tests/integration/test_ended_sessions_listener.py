"""Each replica's list of ended sessions, fed from the identity stream by the
runtime: events from before it started are read back, and it keeps listening
across a NATS restart (its ephemeral consumer is subscribed again)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp

from deploy.local.natsserver import NatsServer
from portal.identity.v1 import events_pb2
from portal_runtime.bus import Bus
from portal_runtime.outbox import new_event
from portal_runtime.revocation import EndedSessions, EndedSessionsListener


async def _publish(bus: Bus, *session_ids: str) -> None:
    await bus.ensure_stream("identity")
    event = new_event(
        events_pb2.SessionsEnded,
        user_id="u-1",
        session_ids=list(session_ids),
        tokens_expire_at=Timestamp(seconds=int(time.time()) + 900),
    )
    await bus.js.publish("portal.identity.SessionsEnded", event.SerializeToString())


async def _until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not within the time"
        await asyncio.sleep(0.05)


async def test_the_list_is_rebuilt_at_start_and_survives_a_nats_restart(tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "js").start()
    bus = Bus(nats.url, name="listener-test")
    bus.start()
    stop = asyncio.Event()
    try:
        await asyncio.wait_for(bus.connected.wait(), 10)
        await _publish(bus, "ended-before-start")
        ended = EndedSessions()
        task = asyncio.create_task(EndedSessionsListener(bus, ended).run(stop))
        await _until(lambda: ended.ended("ended-before-start"))
        nats.stop()
        await asyncio.sleep(0.5)
        nats.start()
        await _until(lambda: bus.generation > 0)
        await _publish(bus, "ended-after-restart")
        await _until(lambda: ended.ended("ended-after-restart"), timeout=15)
        assert not ended.ended("still-alive")
    finally:
        stop.set()
        await asyncio.sleep(1.2)
        await bus.close()
        nats.stop()
    await asyncio.wait_for(task, 5)
