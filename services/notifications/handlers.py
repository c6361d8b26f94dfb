"""Identity's events that become e-mails.

Each handler renders the message and stores it PENDING in the consumer's
transaction (together with the inbox record). Nothing is sent here: the
delivery loop sends after commit, so a failed send is retried and never lost,
and a redelivered event stores nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2
from services.notifications.domain import (
    DEFAULT_VALIDITY,
    LinkBuilder,
    Message,
    Template,
    describe_moment,
    describe_validity,
)
from services.notifications.rendering import Renderer
from services.notifications.store import MessageRepository

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _when(ts: Timestamp, has: bool) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if has else None


class NotificationHandlers:
    def __init__(
        self,
        *,
        renderer: Renderer,
        links: LinkBuilder,
        clock: Clock = lambda: datetime.now(UTC),
        timezone: tzinfo = UTC,
    ) -> None:
        self.renderer = renderer
        self.links = links
        self.clock = clock
        self.timezone = timezone

    def subscriptions(self) -> dict[type, Callable[[AsyncSession, Any], Any]]:
        """What `ServiceApp.subscribe` takes."""
        return {
            events_pb2.ActivationRequested: self.on_activation_requested,
            events_pb2.MagicLinkRequested: self.on_magic_link_requested,
            events_pb2.PasswordResetRequested: self.on_password_reset_requested,
            events_pb2.UserInvited: self.on_user_invited,
            events_pb2.PasswordChanged: self.on_password_changed,
        }

    async def on_activation_requested(
        self, session: AsyncSession, event: events_pb2.ActivationRequested
    ) -> None:
        link = self.links.activation(event.token)
        await self._store(
            session, event, Template.ACTIVATION, link, {"client_number": event.client_number}
        )

    async def on_magic_link_requested(
        self, session: AsyncSession, event: events_pb2.MagicLinkRequested
    ) -> None:
        await self._store(session, event, Template.MAGIC_LINK, self.links.magic_link(event.token))

    async def on_password_reset_requested(
        self, session: AsyncSession, event: events_pb2.PasswordResetRequested
    ) -> None:
        link = self.links.password_reset(event.token)
        await self._store(session, event, Template.PASSWORD_RESET, link)

    async def on_user_invited(self, session: AsyncSession, event: events_pb2.UserInvited) -> None:
        context = {
            "entity_name": event.entity_name,
            "invited_by": event.invited_by,
            "has_token": bool(event.token),
        }
        link = self.links.invitation(event.token)
        await self._store(session, event, Template.INVITATION, link, context)

    async def on_password_changed(
        self, session: AsyncSession, event: events_pb2.PasswordChanged
    ) -> None:
        await self._store(session, event, Template.PASSWORD_CHANGED, self.links.forgot_password())

    async def _store(
        self,
        session: AsyncSession,
        event: Any,
        template: Template,
        link: str,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        now = self.clock()
        language = self.renderer.language_for(template, event.recipient.language)
        occurred = _when(event.occurred_at, event.HasField("occurred_at"))
        values: dict[str, Any] = {"name": event.recipient.name.strip(), "link": link}
        values.update(context or {})
        if template in DEFAULT_VALIDITY:
            values["validity"] = describe_validity(self._validity(event, template), language)
        if template is Template.PASSWORD_CHANGED:
            values["changed_at"] = describe_moment(occurred or now, language, self.timezone)
        content = self.renderer.render(template, language, values)
        message = Message.new(
            event_id=event.event_id,
            recipient=event.recipient.email,
            recipient_name=event.recipient.name,
            template=template,
            language=language,
            content=content,
            links=[link],
            now=now,
            occurred_at=occurred,
        )
        stored = await MessageRepository(session).add(message)
        if stored:
            log.info("%s message %s queued for event %s", template, message.id, event.event_id)
        else:
            log.info("event %s already has its %s message", event.event_id, template)

    @staticmethod
    def _validity(event: Any, template: Template) -> timedelta:
        occurred = _when(event.occurred_at, event.HasField("occurred_at"))
        expires = _when(event.expires_at, event.HasField("expires_at"))
        if occurred and expires and expires > occurred:
            return expires - occurred
        return DEFAULT_VALIDITY[template]
