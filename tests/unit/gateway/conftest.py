"""A real in-process gRPC server with fake servicers, and the gateway pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import empty_pb2, timestamp_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.settings import GatewaySettings
from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal.notifications.v1 import notifications_pb2, notifications_pb2_grpc
from portal_runtime.error_mapping import to_status
from portal_runtime.errors import FieldViolation, InvalidArgument
from portal_runtime.tokens import TokenIssuer, generate_keypair


@dataclass
class Calls:
    """What the fake services received, for assertions."""

    requests: dict[str, object] = field(default_factory=dict)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)

    def record(self, name: str, request: object, context: grpc.aio.ServicerContext) -> None:
        self.requests[name] = request
        self.metadata[name] = {k: v for k, v in context.invocation_metadata() or ()}


class FakeIdentity(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def Login(self, request, context):
        self.calls.record("Login", request, context)
        if request.password.startswith("many:"):
            # As a service refusing a file with that many bad lines would.
            count = int(request.password.removeprefix("many:"))
            error = InvalidArgument.for_fields(
                [
                    FieldViolation(f"line {n}: email", "is not a valid e-mail address")
                    for n in range(2, count + 2)
                ]
            )
            await context.abort_with_status(to_status(error))
        if request.password == "bad":
            bad = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field="password", description="too short"
                    )
                ]
            )
            status = status_pb2.Status(
                code=code_pb2.INVALID_ARGUMENT, message="the password is too short"
            )
            status.details.add().Pack(bad)
            await context.abort_with_status(rpc_status.to_status(status))
        return identity_pb2.Session(
            access_token=f"tok-{request.login}", token_type="Bearer", expires_in=900
        )

    async def RequestActivation(self, request, context):
        self.calls.record("RequestActivation", request, context)
        return empty_pb2.Empty()

    async def GetMe(self, request, context):
        self.calls.record("GetMe", request, context)
        return identity_pb2.Me(
            user=identity_pb2.User(
                id="u1",
                email="a@example.com",
                created_at=timestamp_pb2.Timestamp(seconds=1_700_000_000),
            ),
            permissions=["users.manage"],
        )

    async def ListUsers(self, request, context):
        self.calls.record("ListUsers", request, context)
        return identity_pb2.ListUsersResponse(
            users=[identity_pb2.User(id="u1")], next_page_token=f"size-{request.page_size}"
        )

    async def InviteUser(self, request, context):
        self.calls.record("InviteUser", request, context)
        return identity_pb2.User(id="u2", email=request.email)

    async def UpdateUser(self, request, context):
        self.calls.record("UpdateUser", request, context)
        return identity_pb2.User(id=request.id, profile_id=request.profile_id)

    async def DeleteUser(self, request, context):
        self.calls.record("DeleteUser", request, context)
        return empty_pb2.Empty()

    async def GetAccount(self, request, context):
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such account")


class FakeIdentityAdmin(identity_pb2_grpc.IdentityAdminServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def UnlockDelegation(self, request, context):
        self.calls.record("UnlockDelegation", request, context)
        return identity_pb2.Account(id=request.id, name="ACME")


class FakeNotifications(notifications_pb2_grpc.NotificationsAdminServiceServicer):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    async def ListMessages(self, request, context):
        self.calls.record("ListMessages", request, context)
        return notifications_pb2.ListMessagesResponse(
            messages=[
                notifications_pb2.Message(
                    id="m1",
                    recipient=request.recipient,
                    status=notifications_pb2.DELIVERY_STATUS_SENT,
                    links=["https://x/1"],
                )
            ]
        )


@dataclass
class Backend:
    addr: str
    calls: Calls
    health: health.aio.HealthServicer


@dataclass
class Keys:
    public_pem: bytes
    issuer: TokenIssuer

    def customer(self, **kw) -> str:
        return self.issuer.issue(user_id="u1", entity_id="e1", permissions={"users.manage"}, **kw)

    def operator(self) -> str:
        return self.issuer.issue(user_id="op", entity_id="", permissions=set(), operator=True)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder: Path = tmp_path_factory.mktemp("keys")
    generate_keypair(folder / "private.pem", folder / "public.pem")
    return Keys((folder / "public.pem").read_bytes(), TokenIssuer.from_file(folder / "private.pem"))


@pytest.fixture(scope="session")
async def backend() -> AsyncIterator[Backend]:
    calls = Calls()
    server = grpc.aio.server()
    identity_pb2_grpc.add_IdentityServiceServicer_to_server(FakeIdentity(calls), server)
    identity_pb2_grpc.add_IdentityAdminServiceServicer_to_server(FakeIdentityAdmin(calls), server)
    notifications_pb2_grpc.add_NotificationsAdminServiceServicer_to_server(
        FakeNotifications(calls), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield Backend(f"127.0.0.1:{port}", calls, health_servicer)
    await server.stop(0)


@pytest.fixture(scope="session")
def make_client(backend: Backend, keys: Keys) -> Callable[..., httpx.AsyncClient]:
    def make(**overrides: object) -> httpx.AsyncClient:
        values: dict[str, object] = {
            "backends": {"identity": backend.addr, "notifications": backend.addr},
            "domains": frozenset({"identity", "notifications"}),
            "jwt_public_key_pem": keys.public_pem,
            "jwt_public_key_file": Path("/nonexistent"),
            "auth_rate_limit": "1000/minute",
            "max_body_bytes": 64 * 1024,
            "timeout_seconds": 5,
            **overrides,
        }
        settings = GatewaySettings(**values)  # type: ignore[arg-type]
        app: Starlette = create_app(settings)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5555)),
            base_url="http://gateway",
        )

    return make


@pytest.fixture(scope="session")
async def client(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as http:
        yield http
