from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from portal.identity.v1 import events_pb2
from portal.notifications.v1 import notifications_pb2 as pb
from portal.notifications.v1 import notifications_pb2_grpc
from portal_runtime.config import load_settings
from portal_runtime.db import Database
from portal_runtime.errors import InvalidArgument
from portal_runtime.server import ServiceApp
from portal_runtime.tokens import TokenIssuer, TokenVerifier
from services.notifications.__main__ import bootstrap
from services.notifications.api import NotificationsAdminApi
from services.notifications.handlers import NotificationHandlers
from services.notifications.usecases.common import Deps

from .conftest import WEB, Clock, RecordingMailer
from .test_handlers_delivery import _ts, activation


async def _seed(db: Database, handlers: NotificationHandlers, clock: Clock, count: int) -> None:
    for n in range(count):
        event = activation(clock, event_id=f"evt-{n}")
        event.token = f"tok-{n}"
        async with db.transaction() as session:
            await handlers.on_activation_requested(session, event)
        clock.advance(timedelta(seconds=1))


async def test_list_messages_newest_first_paginated_case_insensitive(
    db: Database, deps: Deps, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _seed(db, handlers, clock, 5)
    api = NotificationsAdminApi(deps)
    first = await api.ListMessages(
        pb.ListMessagesRequest(recipient=" JEAN.dupont@example.fr ", page_size=2)
    )
    assert [m.links[0] for m in first.messages] == [
        f"{WEB}/activate?token=tok-4",
        f"{WEB}/activate?token=tok-3",
    ]
    assert first.next_page_token
    second = await api.ListMessages(
        pb.ListMessagesRequest(
            recipient="jean.dupont@example.fr", page_size=2, page_token=first.next_page_token
        )
    )
    third = await api.ListMessages(
        pb.ListMessagesRequest(
            recipient="jean.dupont@example.fr", page_size=2, page_token=second.next_page_token
        )
    )
    assert [m.event_id for m in [*second.messages, *third.messages]] == ["evt-2", "evt-1", "evt-0"]
    assert third.next_page_token == ""
    message = first.messages[0]
    assert message.status == pb.DELIVERY_STATUS_PENDING
    assert message.template == "activation" and message.language == "fr"
    assert message.recipient == "jean.dupont@example.fr"
    assert message.created_at.seconds > 0 and not message.HasField("sent_at")
    other = await api.ListMessages(pb.ListMessagesRequest(recipient="nobody@example.fr"))
    assert list(other.messages) == []


async def test_an_older_event_processed_late_sorts_below(
    db: Database, deps: Deps, handlers: NotificationHandlers, clock: Clock
) -> None:
    newer, older = activation(clock, "new"), activation(clock, "old")
    older.occurred_at.CopyFrom(_ts(clock.now - timedelta(minutes=5)))
    for event in (newer, older):
        async with db.transaction() as session:
            await handlers.on_activation_requested(session, event)
        clock.advance(timedelta(seconds=1))
    found = await NotificationsAdminApi(deps).ListMessages(
        pb.ListMessagesRequest(recipient="jean.dupont@example.fr")
    )
    assert [m.event_id for m in found.messages] == ["new", "old"]


async def test_recipient_is_required(deps: Deps) -> None:
    with pytest.raises(InvalidArgument) as info:
        await NotificationsAdminApi(deps).ListMessages(pb.ListMessagesRequest(recipient="  "))
    assert [v.field for v in info.value.violations] == ["recipient"]
    with pytest.raises(InvalidArgument) as info:
        await NotificationsAdminApi(deps).ListMessages(
            pb.ListMessagesRequest(recipient="a@b.fr", page_size=-1)
        )
    assert [v.field for v in info.value.violations] == ["pageSize"]


# --- the service wired by bootstrap, over real gRPC ---------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def keys() -> tuple[TokenIssuer, TokenVerifier]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return TokenIssuer(private), TokenVerifier(public)


@pytest.fixture
async def app(
    tmp_path: Path, keys: tuple[TokenIssuer, TokenVerifier]
) -> AsyncIterator[tuple[ServiceApp, RecordingMailer]]:
    settings = load_settings(
        "notifications",
        {
            "PORTAL_VAR_DIR": str(tmp_path),
            "PORTAL_NOTIFICATIONS_ADDR": "127.0.0.1:0",
            "PORTAL_NATS_URL": f"nats://127.0.0.1:{_free_port()}",  # nobody there: fine
            "PORTAL_WEB_URL": WEB,
            "PORTAL_NOTIFICATIONS_POLL_SECONDS": "0.05",
            "PORTAL_SHUTDOWN_GRACE_SECONDS": "0.5",
        },
    )
    mailer = RecordingMailer()
    service = bootstrap(settings, mailer=mailer, verifier=keys[1])
    await service.start()
    try:
        yield service, mailer
    finally:
        await service.stop()


async def test_bootstrapped_service_stores_sends_and_lists(
    app: tuple[ServiceApp, RecordingMailer], keys: tuple[TokenIssuer, TokenVerifier]
) -> None:
    service, mailer = app
    handlers = service._consumers  # the subscriptions bootstrap registered
    assert {c.event_name for c in handlers} == {
        "ActivationRequested",
        "FirstConnectionLinkIssued",
        "IdentifierReminderRequested",
        "MagicLinkRequested",
        "PasswordResetRequested",
        "UserInvited",
        "PasswordChanged",
        "AccountUpdated",
        "OrderSubmitted",
        "OrderShipped",
        "ChangeCompleted",
        "SimOrdered",
        "DocumentIssued",
        "ClaimOpened",
        "ClaimAnswered",
        "DirectDebitScheduled",
        "DirectDebitReturned",
        "ServiceRequestCreated",
        "ServiceRequestStatusChanged",
        "QuoteIssued",
        "QuoteAccepted",
        "ChangeRequestCreated",
        "ChangeRequestAnswered",
    }
    event = events_pb2.MagicLinkRequested(
        event_id="evt-m",
        token="magic-1",
        recipient=events_pb2.Recipient(email="Op.Test@Example.com", language="en"),
    )
    consumer = next(c for c in handlers if c.event_name == "MagicLinkRequested")
    assert await consumer.apply(event.event_id, event) is True
    assert await consumer.apply(event.event_id, event) is False  # inbox: once
    for _ in range(100):
        if mailer.sent:
            break
        await asyncio.sleep(0.02)
    assert len(mailer.sent) == 1

    operator = keys[0].issue(user_id="op", entity_id="", permissions=[], operator=True)
    customer = keys[0].issue(user_id="u", entity_id="e", permissions=["users.manage"])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = notifications_pb2_grpc.NotificationsAdminServiceStub(channel)
        found = await stub.ListMessages(
            pb.ListMessagesRequest(recipient="op.test@example.com"),
            metadata=[("authorization", f"Bearer {operator}")],
        )
        [message] = found.messages
        assert message.status == pb.DELIVERY_STATUS_SENT
        assert message.links == [f"{WEB}/magic-link?token=magic-1"]
        assert message.sent_at.seconds > 0 and message.attempts == 1

        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.ListMessages(
                pb.ListMessagesRequest(recipient="op.test@example.com"),
                metadata=[("authorization", f"Bearer {customer}")],
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

        with pytest.raises(grpc.aio.AioRpcError) as invalid:
            await stub.ListMessages(
                pb.ListMessagesRequest(recipient=""),
                metadata=[("authorization", f"Bearer {operator}")],
            )
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        status = _status(invalid.value)
        fields = []
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields += [v.field for v in bad.field_violations]
        assert fields == ["recipient"]


def _status(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    for key, value in error.trailing_metadata() or ():
        if key == rpc_status.GRPC_DETAILS_METADATA_KEY:
            return status_pb2.Status.FromString(value)
    raise AssertionError("no rich status")
