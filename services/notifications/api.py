"""NotificationsAdminService: operators read what was sent to a recipient."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from portal.notifications.v1 import notifications_pb2, notifications_pb2_grpc
from portal_runtime.db import Database
from portal_runtime.errors import InvalidArgument
from portal_runtime.pagination import parse_page
from services.notifications.domain import Message, Status, normalise_email
from services.notifications.store import MessageRepository

_STATUS = {
    Status.PENDING: notifications_pb2.DELIVERY_STATUS_PENDING,
    Status.SENT: notifications_pb2.DELIVERY_STATUS_SENT,
    Status.FAILED: notifications_pb2.DELIVERY_STATUS_FAILED,
}


def to_proto(message: Message) -> notifications_pb2.Message:
    out = notifications_pb2.Message(
        id=message.id,
        recipient=message.recipient,
        subject=message.subject,
        template=message.template,
        language=message.language,
        links=list(message.links),
        status=_STATUS[message.status],
        attempts=message.attempts,
        last_error=message.last_error,
        event_id=message.event_id,
    )
    out.created_at.CopyFrom(_timestamp(message.created_at))
    if message.sent_at is not None:
        out.sent_at.CopyFrom(_timestamp(message.sent_at))
    return out


def _timestamp(value) -> Timestamp:  # type: ignore[no-untyped-def]
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


class NotificationsAdminApi(notifications_pb2_grpc.NotificationsAdminServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ListMessages(
        self,
        request: notifications_pb2.ListMessagesRequest,
        context: grpc.aio.ServicerContext | None = None,
    ) -> notifications_pb2.ListMessagesResponse:
        recipient = normalise_email(request.recipient)
        if not recipient:
            raise InvalidArgument.for_field("recipient", "is required", reason="RECIPIENT_REQUIRED")
        page = parse_page(request.page_size, request.page_token)
        async with self.db.transaction() as session:
            found = await MessageRepository(session).list_for_recipient(
                recipient, offset=page.offset, limit=page.limit + 1
            )
        has_more = len(found) > page.limit
        return notifications_pb2.ListMessagesResponse(
            messages=[to_proto(m) for m in found[: page.limit]],
            next_page_token=page.next_token(has_more),
        )
