"""NotificationsAdminService: operators read what was sent to a recipient."""

from __future__ import annotations

import grpc

from portal.notifications.v1 import notifications_pb2, notifications_pb2_grpc
from services.notifications.convert import message_to_proto
from services.notifications.usecases.common import Deps
from services.notifications.usecases.messages import list_messages


class NotificationsAdminApi(notifications_pb2_grpc.NotificationsAdminServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def ListMessages(
        self,
        request: notifications_pb2.ListMessagesRequest,
        context: grpc.aio.ServicerContext | None = None,
    ) -> notifications_pb2.ListMessagesResponse:
        page = await list_messages(
            self.deps, request.recipient, request.page_size, request.page_token
        )
        return notifications_pb2.ListMessagesResponse(
            messages=[message_to_proto(m) for m in page.messages],
            next_page_token=page.next_page_token,
        )
