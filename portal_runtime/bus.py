"""The NATS JetStream connection: connects in the background and keeps trying,
so a service starts (and keeps its outbox filling) while NATS is down."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

log = logging.getLogger(__name__)

DEAD_LETTER_STREAM = "PORTAL_DEADLETTER"
DEAD_LETTER_PREFIX = "portal.deadletter"


def stream_name(domain: str) -> str:
    return f"PORTAL_{domain.upper()}"


def domain_of_subject(subject: str) -> str:
    # portal.<domain>.<EventName>
    return subject.split(".")[1]


class Bus:
    def __init__(self, url: str, *, name: str, stream_replicas: int = 1) -> None:
        self.url = url
        self.name = name
        self.stream_replicas = stream_replicas
        self.nc: Client | None = None
        self.connected = asyncio.Event()
        # Counts reconnections: ephemeral subscriptions (ordered consumers) do not
        # survive a server restart and start again when it changes.
        self.generation = 0
        self._streams_ready: set[str] = set()
        self._task: asyncio.Task | None = None

    @property
    def js(self) -> JetStreamContext:
        if self.nc is None:
            raise RuntimeError("NATS is not connected yet")
        return self.nc.jetstream()

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name="nats-connect")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while self.nc is None:
            try:
                self.nc = await nats.connect(
                    self.url,
                    name=self.name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    connect_timeout=2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnect,
                    reconnected_cb=self._on_reconnect,
                )
            except Exception as exc:
                log.warning("NATS not reachable at %s (%s); retrying", self.url, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        log.info("connected to NATS at %s", self.url)
        self.connected.set()

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS error: %s", exc)

    async def _on_disconnect(self) -> None:
        log.warning("disconnected from NATS")

    async def _on_reconnect(self) -> None:
        self.generation += 1
        log.info("reconnected to NATS")

    async def ensure_stream(self, domain: str) -> None:
        """One stream per domain (`portal.<domain>.>`), file storage."""
        if domain in self._streams_ready:
            return
        if domain == "deadletter":
            name, subjects = DEAD_LETTER_STREAM, [f"{DEAD_LETTER_PREFIX}.>"]
        else:
            name, subjects = stream_name(domain), [f"portal.{domain}.>"]
        config = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            num_replicas=self.stream_replicas,
            duplicate_window=600.0,  # seconds; Nats-Msg-Id dedupe of relay retries
        )
        try:
            await self.js.add_stream(config)
        except BadRequestError:
            # Exists with another configuration (e.g. an operator tuned limits):
            # keep theirs.
            await self.js.stream_info(name)
        self._streams_ready.add(domain)

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.nc is not None and not self.nc.is_closed:
            # By now the consumers are stopped and every publish awaited its
            # ack: nothing is in flight worth a drain, and draining the
            # cancelled pull subscriptions only logs spurious errors.
            await self.nc.close()
