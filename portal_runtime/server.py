"""Service bootstrap: the one way every service starts, serves and stops.

app = ServiceApp(settings, db, migrations=...)
app.add_servicer(add_fn, servicer, "portal.x.v1.XService")
app.subscribe({SomeEvent: handler})
app.add_task(loop)            # async def loop(stop: asyncio.Event)
app.add_startup(fn)           # async def fn() after migrations
app.add_shutdown(fn)          # async def fn() once drained (close clients)
await app.run()               # until SIGTERM/SIGINT
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from portal_runtime.bus import Bus
from portal_runtime.config import ServiceSettings, load_settings
from portal_runtime.consumer import EventConsumer, Handler
from portal_runtime.db import Database
from portal_runtime.error_mapping import METADATA_SIZE_OPTIONS
from portal_runtime.idempotency import purge_expired
from portal_runtime.interceptor import PortalInterceptor
from portal_runtime.logs import configure_logging
from portal_runtime.operations import OperationsServicer
from portal_runtime.outbox import OutboxRelay
from portal_runtime.revocation import EndedSessions, EndedSessionsListener
from portal_runtime.telemetry import configure_tracing, shutdown_tracing
from portal_runtime.tokens import TokenVerifier

log = logging.getLogger(__name__)

Task = Callable[[asyncio.Event], Awaitable[None]]

# gRPC's 4 MiB default is below the gateway's upload limit (order files of
# 100,000 lines are ~7 MB); this sits above it.
DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024


class ServiceApp:
    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        *,
        migrations: Path | None = None,
        verifier: TokenVerifier | None = None,
        bus: Bus | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.migrations = migrations
        self.verifier = verifier or TokenVerifier.from_file(settings.jwt_public_key_file)
        self.bus = bus or Bus(
            settings.nats_url,
            name=f"portail-{settings.service}",
            stream_replicas=settings.get_int("NATS_STREAM_REPLICAS", 1),
        )
        self.relay = OutboxRelay(db, self.bus)
        # Sessions identity ended: this replica refuses their tokens at once.
        self.ended_sessions = EndedSessions()
        self.verifier.session_ended = self.ended_sessions.ended
        self.port = 0
        self._servicers: list[tuple[Callable[[Any, grpc.aio.Server], None], Any, str]] = []
        self._consumers: list[EventConsumer] = []
        self._tasks: list[Task] = [
            self.relay.run,
            self._purge_idempotency_keys,
            EndedSessionsListener(self.bus, self.ended_sessions).run,
        ]
        self._startups: list[Callable[[], Awaitable[None]]] = []
        self._shutdowns: list[Callable[[], Awaitable[None]]] = []
        self._operations: tuple[Callable[[Any, grpc.aio.Server], None], str] | None = None
        self._stop = asyncio.Event()
        self._running: list[asyncio.Task] = []
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None

    def add_servicer(
        self, add_fn: Callable[[Any, grpc.aio.Server], None], servicer: Any, full_name: str
    ) -> None:
        self._servicers.append((add_fn, servicer, full_name))

    def add_operations(
        self, add_fn: Callable[[Any, grpc.aio.Server], None], full_name: str
    ) -> None:
        """Serves the service's `<Domain>OperationsService` (dead letters)."""
        self._operations = (add_fn, full_name)

    def subscribe(self, handlers: dict[type, Handler], *, max_deliveries: int = 5) -> None:
        for event_type, handler in handlers.items():
            self._consumers.append(
                EventConsumer(
                    service=self.settings.service,
                    db=self.db,
                    bus=self.bus,
                    event_type=event_type,
                    handler=handler,
                    max_deliveries=max_deliveries,
                )
            )

    def add_task(self, task: Task) -> None:
        self._tasks.append(task)

    def add_startup(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._startups.append(fn)

    def add_shutdown(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Runs `fn` at the end of `stop()`, once calls drained (e.g. close a client)."""
        self._shutdowns.append(fn)

    async def start(self) -> None:
        if self.migrations is not None:
            await self.db.migrate(self.migrations)
        for fn in self._startups:
            await fn()
        self.bus.start()
        max_bytes = self.settings.get_int("GRPC_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES)
        server = grpc.aio.server(
            interceptors=[PortalInterceptor(self.verifier, self.db)],
            options=[
                ("grpc.max_receive_message_length", max_bytes),
                ("grpc.max_send_message_length", max_bytes),
                *METADATA_SIZE_OPTIONS,
            ],
        )
        names = [reflection.SERVICE_NAME, health.SERVICE_NAME]
        if self._operations is not None:
            add_fn, full_name = self._operations
            self._servicers.append(
                (add_fn, OperationsServicer(self.db, self._consumers), full_name)
            )
            self._operations = None
        for add_fn, servicer, full_name in self._servicers:
            add_fn(servicer, server)
            names.append(full_name)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        reflection.enable_server_reflection(names, server)
        self.port = server.add_insecure_port(self.settings.grpc_addr)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {self.settings.grpc_addr}")
        for _, _, full_name in self._servicers:
            await health_servicer.set(full_name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await health_servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        await server.start()
        self._server = server
        self._health = health_servicer
        for task in self._tasks:
            self._running.append(asyncio.create_task(task(self._stop)))
        for consumer in self._consumers:
            self._running.append(asyncio.create_task(consumer.run(self._stop)))
        self._running.append(asyncio.create_task(self._serving_when_ready()))
        log.info("%s listening on port %d", self.settings.service, self.port)

    async def _serving_when_ready(self) -> None:
        # SERVING once the DB answered (migrations ran) and NATS connected the
        # first time; a later NATS outage does not flip it: the outbox holds
        # events meanwhile, and pulling every pod out of rotation would turn a
        # broker hiccup into an outage.
        await self.bus.connected.wait()
        for _, _, full_name in self._servicers:
            await self._health.set(full_name, health_pb2.HealthCheckResponse.SERVING)
        await self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        log.info("%s ready", self.settings.service)

    async def stop(self) -> None:
        log.info("%s stopping", self.settings.service)
        if self._health is not None and self._server is not None:
            await self._health.enter_graceful_shutdown()
        self._stop.set()
        if self._server is not None:
            await self._server.stop(self.settings.shutdown_grace_seconds)
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        self._running.clear()
        if self.bus.connected.is_set():
            try:  # flush what the last calls wrote
                await asyncio.wait_for(self.relay.publish_pending(), timeout=5)
            except Exception:
                log.warning("outbox not fully flushed; it will be at next start")
        await self.bus.close()
        for fn in self._shutdowns:
            try:
                await fn()
            except Exception:
                log.warning("shutdown hook failed", exc_info=True)
        await self.db.dispose()

    async def run(self) -> None:
        await self.start()
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        await self.stop()

    async def _purge_idempotency_keys(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await purge_expired(self.db)
            except Exception:
                log.warning("idempotency purge failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=3600)


def main(bootstrap: Callable[[ServiceSettings], ServiceApp], service: str) -> None:
    """The body of every service's __main__."""
    settings = load_settings(service)
    configure_logging(service, settings.log_level)
    configure_tracing(service)

    async def _run() -> None:
        await bootstrap(settings).run()

    try:
        # Not uvloop (the gateway runs on it): under it, fleet's background
        # line processing stalled in tests/integration/test_fleet_crash.py.
        asyncio.run(_run())
    finally:
        shutdown_tracing()
