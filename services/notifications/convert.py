"""Domain -> protobuf for the admin API."""

from __future__ import annotations

from portal.notifications.v1 import notifications_pb2
from portal_runtime.protos import to_timestamp
from services.notifications.domain.messages import Message, Status

_STATUS = {
    Status.PENDING: notifications_pb2.DELIVERY_STATUS_PENDING,
    Status.SENT: notifications_pb2.DELIVERY_STATUS_SENT,
    Status.FAILED: notifications_pb2.DELIVERY_STATUS_FAILED,
}


def message_to_proto(message: Message) -> notifications_pb2.Message:
    return notifications_pb2.Message(
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
        created_at=to_timestamp(message.created_at),
        sent_at=to_timestamp(message.sent_at),
    )
