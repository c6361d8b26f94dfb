"""gRPC channels to the domain services: one per domain, created lazily inside
the running event loop (grpc.aio channels are bound to it), closed on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.routes import Route
from gateway.settings import GatewaySettings
from gateway.transcode import message_class
from portal_runtime.error_mapping import METADATA_SIZE_OPTIONS

log = logging.getLogger(__name__)

# Request headers passed on to services as call metadata.
FORWARDED_HEADERS = (
    "authorization",
    "idempotency-key",
    "x-request-id",
    "traceparent",
    "tracestate",
    "accept-language",
    # Content negotiation (CSV or JSON) of HttpBody answers.
    "accept",
)


def clean_metadata(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """gRPC refuses non-ASCII or control characters in metadata values: drop such
    headers rather than fail the whole call."""
    kept = []
    for key, value in pairs:
        if value.isascii() and value.isprintable():
            kept.append((key, value))
        else:
            log.info("dropped header %s: not printable ASCII", key)
    return kept


# (first, largest) wait between connection attempts to a service that is down.
RECONNECT_BACKOFF_MS = (250, 2_000)

# round_robin spreads calls over every address the name resolves to (a headless
# Service's pods); with a single address it behaves like pick_first.
CHANNEL_OPTIONS = (
    ("grpc.lb_policy_name", "round_robin"),
    # Above the gateway's body limit (uploads travel in one message); services
    # accept the same (portal_runtime.server.DEFAULT_MAX_MESSAGE_BYTES).
    ("grpc.max_send_message_length", 32 * 1024 * 1024),
    ("grpc.max_receive_message_length", 32 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    # Reconnect to a restarted service within about two seconds: gRPC's default
    # backoff grows to two minutes (14 s were seen after a restart). Two seconds
    # between attempts is still no load on a service that stays down.
    ("grpc.initial_reconnect_backoff_ms", RECONNECT_BACKOFF_MS[0]),
    ("grpc.min_reconnect_backoff_ms", RECONNECT_BACKOFF_MS[0]),
    ("grpc.max_reconnect_backoff_ms", RECONNECT_BACKOFF_MS[1]),
    # Errors listing many field violations carry them in a trailer larger than
    # gRPC's default limit (portal_runtime.error_mapping keeps within this).
    *METADATA_SIZE_OPTIONS,
)


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


class Backends:
    def __init__(self, settings: GatewaySettings, routes: Sequence[Route]) -> None:
        self._settings = settings
        self._channels: dict[str, grpc.aio.Channel] = {}
        # One callable per RPC, made on first use (they live as long as the channel).
        self._stubs: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}
        # Only domains with routed services are called, and checked by /readyz.
        self.domains = sorted({route.domain for route in routes})

    def channel(self, domain: str) -> grpc.aio.Channel:
        channel = self._channels.get(domain)
        if channel is None:
            addr = self._settings.backend_addr(domain)
            channel = grpc.aio.insecure_channel(addr, options=CHANNEL_OPTIONS)
            self._channels[domain] = channel
        return channel

    async def call(
        self, route: Route, request: Message, metadata: Sequence[tuple[str, str]]
    ) -> Message:
        stub = self._stubs.get(route.grpc_path)
        if stub is None:
            response_type = message_class(route.method.output_type)
            stub = self.channel(route.domain).unary_unary(
                route.grpc_path,
                request_serializer=_serialize,
                response_deserializer=response_type.FromString,
            )
            self._stubs[route.grpc_path] = stub
        return await stub(request, metadata=tuple(metadata), timeout=self._settings.timeout_seconds)

    async def not_ready(self) -> list[str]:
        """The domains whose service does not answer SERVING to a health check."""

        async def check(domain: str) -> str | None:
            stub = health_pb2_grpc.HealthStub(self.channel(domain))
            try:
                answer = await stub.Check(
                    health_pb2.HealthCheckRequest(service=""),
                    timeout=self._settings.health_timeout_seconds,
                )
            except grpc.aio.AioRpcError as exc:
                log.info("health of %s: %s", domain, exc.code().name)
                return domain
            if answer.status != health_pb2.HealthCheckResponse.SERVING:
                return domain
            return None

        results = await asyncio.gather(*(check(d) for d in self.domains))
        return [domain for domain in results if domain is not None]

    async def close(self) -> None:
        channels, self._channels = list(self._channels.values()), {}
        self._stubs = {}
        for channel in channels:
            await channel.close(grace=1.0)
