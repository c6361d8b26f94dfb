"""Identity's, ordering's and billing's events that become e-mails, and identity's
AccountUpdated that keeps notifications' own copy of each account's contacts.

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
from portal.billing.v1 import events_pb2 as billing_events
from portal.identity.v1 import events_pb2
from portal.ordering.v1 import events_pb2 as ordering_events
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.money import format_euros
from services.notifications.domain import (
    DEFAULT_SUPPORT_EMAIL,
    DEFAULT_VALIDITY,
    Contact,
    EntityContacts,
    LinkBuilder,
    Message,
    Template,
    contacts_unknown,
    describe_claim_reason,
    describe_claim_status,
    describe_date,
    describe_document_type,
    describe_moment,
    describe_validity,
    normalise_email,
    normalise_language,
    require_email,
)
from services.notifications.rendering import Renderer
from services.notifications.store import ContactsRepository, MessageRepository

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
        support_email: str = DEFAULT_SUPPORT_EMAIL,
    ) -> None:
        self.renderer = renderer
        self.links = links
        self.clock = clock
        self.timezone = timezone
        # The operators' mailbox that hears about every new claim (in French).
        self.support = Contact(require_email(support_email, "PORTAL_SUPPORT_EMAIL"))

    def subscriptions(self) -> dict[type, Callable[[AsyncSession, Any], Any]]:
        """What `ServiceApp.subscribe` takes."""
        return {
            events_pb2.ActivationRequested: self.on_activation_requested,
            events_pb2.MagicLinkRequested: self.on_magic_link_requested,
            events_pb2.PasswordResetRequested: self.on_password_reset_requested,
            events_pb2.UserInvited: self.on_user_invited,
            events_pb2.PasswordChanged: self.on_password_changed,
            events_pb2.AccountUpdated: self.on_account_updated,
            ordering_events.OrderSubmitted: self.on_order_submitted,
            ordering_events.OrderShipped: self.on_order_shipped,
            billing_events.DocumentIssued: self.on_document_issued,
            billing_events.ClaimOpened: self.on_claim_opened,
            billing_events.ClaimAnswered: self.on_claim_answered,
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

    # --- the contacts projection ---------------------------------------------------

    async def on_account_updated(
        self, session: AsyncSession, event: events_pb2.AccountUpdated
    ) -> None:
        """Keeps the newest snapshot: events may arrive in any order."""

        def contact(recipient: events_pb2.Recipient) -> Contact:
            return Contact(normalise_email(recipient.email), " ".join(recipient.name.split()))

        snapshot = EntityContacts(
            entity_id=event.entity_id,
            name=event.name,
            client_number=event.client_number,
            language=normalise_language(event.language),
            paperless_consent=event.paperless_consent,
            manager=contact(event.manager),
            billing=contact(event.billing),
            delivery=contact(event.delivery),
            updated_at=_when(event.occurred_at, event.HasField("occurred_at")) or self.clock(),
        )
        repo = ContactsRepository(session)
        if snapshot.supersedes(await repo.get(event.entity_id)) and await repo.save(snapshot):
            log.info("contacts of %s updated by event %s", event.entity_id, event.event_id)
        else:
            log.info("event %s is older than the contacts of %s", event.event_id, event.entity_id)

    async def _contacts(self, session: AsyncSession, entity_id: str) -> EntityContacts:
        """The entity's contacts, or a domain error.

        Raising is right here: identity's AccountUpdated travels on another
        stream than ordering's events, so an order event may arrive before the
        account's first snapshot (or while identity's outbox waits for NATS).
        The runtime then naks the order event and redelivers it with backoff
        (2, 4, 8, 16 s), by which time the snapshot is usually here; if it never
        comes, the event lands in the dead letters after 5 tries, visible to
        operators (/v1/admin/notifications/dead-letters) instead of lost."""
        contacts = await ContactsRepository(session).get(entity_id)
        if contacts is None:
            raise contacts_unknown(entity_id)
        return contacts

    # --- ordering ------------------------------------------------------------------

    async def on_order_submitted(
        self, session: AsyncSession, event: ordering_events.OrderSubmitted
    ) -> None:
        contacts = await self._contacts(session, event.entity_id)
        to = contacts.for_orders()
        transfer = event.payment_method.upper() == "TRANSFER"
        link = self.links.login()
        context = {
            "order_number": event.order_number,
            "entity_name": contacts.name,
            "client_number": contacts.client_number,
            "amount": format_euros(event.amount.amount_cents, contacts.language),
            "transfer": transfer,
            "iban": event.transfer_iban,
            "bic": event.transfer_bic,
            "holder": event.transfer_holder,
            "reference": event.transfer_reference,
            "link": link,
        }
        await self._store_for(
            session, event, Template.ORDER_SUBMITTED, to, contacts.language, context, [link]
        )

    async def on_order_shipped(
        self, session: AsyncSession, event: ordering_events.OrderShipped
    ) -> None:
        contacts = await self._contacts(session, event.entity_id)
        to = contacts.for_deliveries()
        context = {
            "order_number": event.order_number,
            "entity_name": contacts.name,
            "carrier": event.carrier,
            "tracking_url": event.tracking_url,
        }
        links = [event.tracking_url] if event.tracking_url else []
        await self._store_for(
            session, event, Template.ORDER_SHIPPED, to, contacts.language, context, links
        )

    # --- billing -------------------------------------------------------------------

    async def on_document_issued(
        self, session: AsyncSession, event: billing_events.DocumentIssued
    ) -> None:
        """Announces a new document, only to accounts that accepted paperless
        documents (the others get theirs on paper): nothing is stored otherwise."""
        contacts = await self._contacts(session, event.entity_id)
        if not contacts.paperless_consent:
            log.info(
                "document %s of %s not announced by e-mail: no paperless consent (event %s)",
                event.number,
                event.entity_id,
                event.event_id,
            )
            return
        language = contacts.language
        link = self.links.document(event.document_id)
        context = {
            "document_number": event.number,
            "document_type": describe_document_type(event.type, language),
            "invoice": event.type.upper() == "INVOICE",
            "entity_name": contacts.name,
            "client_number": contacts.client_number,
            "amount": format_euros(event.total_incl_tax.amount_cents, language),
            "due_date": describe_date(event.due_date, language),
            "link": link,
        }
        await self._store_for(
            session,
            event,
            Template.DOCUMENT_AVAILABLE,
            contacts.for_billing(),
            language,
            context,
            [link],
        )

    async def on_claim_opened(
        self, session: AsyncSession, event: billing_events.ClaimOpened
    ) -> None:
        """Two messages from one event: the customer's acknowledgement and the
        operators' notice (distinct templates, so each is stored once)."""
        contacts = await self._contacts(session, event.entity_id)
        language = contacts.language
        link = self.links.document(event.document_id)
        context = {
            "document_number": event.document_number,
            "reason": describe_claim_reason(event.reason, language),
            "message": event.message.strip(),
            "entity_name": contacts.name,
            "client_number": contacts.client_number,
            "link": link,
        }
        await self._store_for(
            session,
            event,
            Template.CLAIM_OPENED,
            contacts.for_billing(),
            language,
            context,
            [link],
        )
        admin_link = self.links.admin_claim(event.claim_id)
        support_context = {
            **context,
            "reason": describe_claim_reason(event.reason, "fr"),
            "link": admin_link,
        }
        await self._store_for(
            session,
            event,
            Template.CLAIM_OPENED_SUPPORT,
            self.support,
            "fr",
            support_context,
            [admin_link],
        )

    async def on_claim_answered(
        self, session: AsyncSession, event: billing_events.ClaimAnswered
    ) -> None:
        contacts = await self._contacts(session, event.entity_id)
        language = contacts.language
        link = self.links.claim(event.claim_id)
        context = {
            "document_number": event.document_number,
            "status": describe_claim_status(event.status, language),
            "answer": event.answer.strip(),
            "entity_name": contacts.name,
            "link": link,
        }
        await self._store_for(
            session,
            event,
            Template.CLAIM_ANSWERED,
            contacts.for_billing(),
            language,
            context,
            [link],
        )

    async def _store_for(
        self,
        session: AsyncSession,
        event: Any,
        template: Template,
        to: Contact,
        language: str,
        context: Mapping[str, Any],
        links: list[str],
    ) -> None:
        language = self.renderer.language_for(template, language)
        content = self.renderer.render(template, language, {"name": to.name, **context})
        message = Message.new(
            event_id=event.event_id,
            recipient=to.email,
            recipient_name=to.name,
            template=template,
            language=language,
            content=content,
            links=links,
            now=self.clock(),
            occurred_at=_when(event.occurred_at, event.HasField("occurred_at")),
        )
        if await MessageRepository(session).add(message):
            log.info("%s message %s queued for event %s", template, message.id, event.event_id)
        else:
            log.info("event %s already has its %s message", event.event_id, template)

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
