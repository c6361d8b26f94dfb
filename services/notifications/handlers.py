"""Which events notifications consumes, and what each does: identity's,
ordering's, fleet's, billing's and assets' events become e-mails; identity's AccountUpdated keeps
notifications' own copy of each account's contacts.

Each e-mail is queued (rendered and stored PENDING) in the consumer's
transaction, together with the inbox record. Nothing is sent here: the delivery
loop sends after commit, so a failed send is retried and never lost, and a
redelivered event stores nothing twice. What each e-mail says is in drafts.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.assets.v1 import events_pb2 as assets_events
from portal.billing.v1 import events_pb2 as billing_events
from portal.fleet.v1 import events_pb2 as fleet_events
from portal.identity.v1 import events_pb2
from portal.ordering.v1 import events_pb2 as ordering_events
from services.notifications import drafts
from services.notifications.domain.contacts import Contact, EntityContacts
from services.notifications.domain.wording import normalise_language
from services.notifications.usecases.common import Deps
from services.notifications.usecases.contacts import contacts_of, record_contacts
from services.notifications.usecases.messages import Draft, queue_message

log = logging.getLogger(__name__)


class NotificationHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def subscriptions(self) -> dict[type, Callable[[AsyncSession, Any], Any]]:
        """What `ServiceApp.subscribe` takes."""
        return {
            events_pb2.ActivationRequested: self.on_activation_requested,
            events_pb2.FirstConnectionLinkIssued: self.on_first_connection_link_issued,
            events_pb2.IdentifierReminderRequested: self.on_identifier_reminder_requested,
            events_pb2.MagicLinkRequested: self.on_magic_link_requested,
            events_pb2.PasswordResetRequested: self.on_password_reset_requested,
            events_pb2.UserInvited: self.on_user_invited,
            events_pb2.PasswordChanged: self.on_password_changed,
            events_pb2.AccountUpdated: self.on_account_updated,
            ordering_events.OrderSubmitted: self.on_order_submitted,
            ordering_events.OrderShipped: self.on_order_shipped,
            fleet_events.ChangeCompleted: self.on_change_completed,
            fleet_events.SimOrdered: self.on_sim_ordered,
            billing_events.DocumentIssued: self.on_document_issued,
            billing_events.ClaimOpened: self.on_claim_opened,
            billing_events.ClaimAnswered: self.on_claim_answered,
            billing_events.DirectDebitScheduled: self.on_direct_debit_scheduled,
            billing_events.DirectDebitReturned: self.on_direct_debit_returned,
            # ParkingMonthClosed is not heard: billing's DocumentIssued announces
            # the statements it issues from it.
            assets_events.ServiceRequestCreated: self.on_service_request_created,
            assets_events.ServiceRequestStatusChanged: self.on_service_request_status_changed,
            assets_events.QuoteIssued: self.on_quote_issued,
            assets_events.QuoteAccepted: self.on_quote_accepted,
            assets_events.ChangeRequestCreated: self.on_change_request_created,
            assets_events.ChangeRequestAnswered: self.on_change_request_answered,
        }

    # --- identity: to the person the event names ---------------------------------

    async def on_activation_requested(
        self, s: AsyncSession, event: events_pb2.ActivationRequested
    ) -> None:
        await queue_message(self.deps, s, drafts.activation(event, self.deps.links))

    async def on_first_connection_link_issued(
        self, s: AsyncSession, event: events_pb2.FirstConnectionLinkIssued
    ) -> None:
        await queue_message(self.deps, s, drafts.first_connection(event, self.deps.links))

    async def on_identifier_reminder_requested(
        self, s: AsyncSession, event: events_pb2.IdentifierReminderRequested
    ) -> None:
        draft = drafts.identifier_reminder(event, self.deps.links)
        if draft is not None:
            await queue_message(self.deps, s, draft)

    async def on_magic_link_requested(
        self, s: AsyncSession, event: events_pb2.MagicLinkRequested
    ) -> None:
        await queue_message(self.deps, s, drafts.magic_link(event, self.deps.links))

    async def on_password_reset_requested(
        self, s: AsyncSession, event: events_pb2.PasswordResetRequested
    ) -> None:
        await queue_message(self.deps, s, drafts.password_reset(event, self.deps.links))

    async def on_user_invited(self, s: AsyncSession, event: events_pb2.UserInvited) -> None:
        await queue_message(self.deps, s, drafts.invitation(event, self.deps.links))

    async def on_password_changed(self, s: AsyncSession, event: events_pb2.PasswordChanged) -> None:
        draft = drafts.password_changed(
            event, self.deps.links, self.deps.timezone, self.deps.clock()
        )
        await queue_message(self.deps, s, draft)

    # --- the contacts projection ---------------------------------------------------

    async def on_account_updated(self, s: AsyncSession, event: events_pb2.AccountUpdated) -> None:
        """Keeps the newest snapshot: events may arrive in any order."""
        snapshot = EntityContacts(
            entity_id=event.entity_id,
            name=event.name,
            client_number=event.client_number,
            language=normalise_language(event.language),
            paperless_consent=event.paperless_consent,
            manager=_contact(event.manager),
            billing=_contact(event.billing),
            delivery=_contact(event.delivery),
            updated_at=drafts.when(event) or self.deps.clock(),
            secondary=_contact(event.secondary),
        )
        if await record_contacts(self.deps, s, snapshot):
            log.info("contacts of %s updated by event %s", event.entity_id, event.event_id)
        else:
            log.info("event %s is older than the contacts of %s", event.event_id, event.entity_id)

    # --- ordering, fleet and billing: to the account's contacts --------------------

    async def on_order_submitted(
        self, s: AsyncSession, event: ordering_events.OrderSubmitted
    ) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        await queue_message(self.deps, s, drafts.order_submitted(event, contacts, self.deps.links))

    async def on_order_shipped(self, s: AsyncSession, event: ordering_events.OrderShipped) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        await queue_message(self.deps, s, drafts.order_shipped(event, contacts))

    async def on_change_completed(
        self, s: AsyncSession, event: fleet_events.ChangeCompleted
    ) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        draft = drafts.change_completed(event, contacts, self.deps.links)
        await queue_message(self.deps, s, draft)

    async def on_sim_ordered(self, s: AsyncSession, event: fleet_events.SimOrdered) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        await queue_message(self.deps, s, drafts.sim_ordered(event, contacts, self.deps.links))

    async def on_document_issued(
        self, s: AsyncSession, event: billing_events.DocumentIssued
    ) -> None:
        """Announces a new document, only to accounts that accepted paperless
        documents (the others get theirs on paper): nothing is stored otherwise."""
        contacts = await contacts_of(self.deps, s, event.entity_id)
        if not contacts.paperless_consent:
            log.info(
                "document %s of %s not announced by e-mail: no paperless consent (event %s)",
                event.number,
                event.entity_id,
                event.event_id,
            )
            return
        draft = drafts.document_available(event, contacts, self.deps.links)
        await self._to_billing(s, draft, contacts)

    async def on_claim_opened(self, s: AsyncSession, event: billing_events.ClaimOpened) -> None:
        """Two messages from one event: the customer's acknowledgement and the
        operators' notice (distinct templates, so each is stored once)."""
        contacts = await contacts_of(self.deps, s, event.entity_id)
        links = self.deps.links
        await self._to_billing(s, drafts.claim_opened(event, contacts, links), contacts)
        support = drafts.claim_opened_support(event, contacts, links, self.deps.support)
        await queue_message(self.deps, s, support)

    async def on_claim_answered(self, s: AsyncSession, event: billing_events.ClaimAnswered) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        draft = drafts.claim_answered(event, contacts, self.deps.links)
        await self._to_billing(s, draft, contacts)

    async def on_direct_debit_scheduled(
        self, s: AsyncSession, event: billing_events.DirectDebitScheduled
    ) -> None:
        """The pre-notification the SEPA rulebook requires: sent whatever the
        account's paperless choice."""
        contacts = await contacts_of(self.deps, s, event.entity_id)
        draft = drafts.direct_debit_scheduled(event, contacts, self.deps.links)
        await self._to_billing(s, draft, contacts)

    async def on_direct_debit_returned(
        self, s: AsyncSession, event: billing_events.DirectDebitReturned
    ) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        draft = drafts.direct_debit_returned(event, contacts, self.deps.links)
        await self._to_billing(s, draft, contacts)

    # --- assets: to the manager, and to the department in charge ------------------

    async def on_service_request_created(
        self, s: AsyncSession, event: assets_events.ServiceRequestCreated
    ) -> None:
        """Two messages from one event: the department's notice (in French) and
        the customer's acknowledgement (distinct templates, so each is stored once)."""
        contacts = await contacts_of(self.deps, s, event.entity_id)
        links, support = self.deps.links, self.deps.support
        if not event.department_email.strip():
            log.warning(
                "service request %s names no department mailbox: sent to support (event %s)",
                event.reference,
                event.event_id,
            )
        notice = drafts.service_request_department(event, contacts, links, support)
        await queue_message(self.deps, s, notice)
        await queue_message(self.deps, s, drafts.service_request_received(event, contacts, links))

    async def on_service_request_status_changed(
        self, s: AsyncSession, event: assets_events.ServiceRequestStatusChanged
    ) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        draft = drafts.service_request_status_changed(event, contacts, self.deps.links)
        await queue_message(self.deps, s, draft)

    async def on_quote_issued(self, s: AsyncSession, event: assets_events.QuoteIssued) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        await queue_message(self.deps, s, drafts.quote_issued(event, contacts, self.deps.links))

    async def on_quote_accepted(self, s: AsyncSession, event: assets_events.QuoteAccepted) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        await queue_message(self.deps, s, drafts.quote_accepted(event, contacts, self.deps.links))

    async def on_change_request_created(
        self, s: AsyncSession, event: assets_events.ChangeRequestCreated
    ) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        if not event.department_email.strip():
            log.warning(
                "change request %s names no department mailbox: sent to support (event %s)",
                event.reference,
                event.event_id,
            )
        draft = drafts.change_request_department(
            event, contacts, self.deps.links, self.deps.support
        )
        await queue_message(self.deps, s, draft)

    async def on_change_request_answered(
        self, s: AsyncSession, event: assets_events.ChangeRequestAnswered
    ) -> None:
        contacts = await contacts_of(self.deps, s, event.entity_id)
        draft = drafts.change_request_answered(event, contacts, self.deps.links)
        await queue_message(self.deps, s, draft)

    async def _to_billing(self, s: AsyncSession, draft: Draft, contacts: EntityContacts) -> None:
        """A billing e-mail, and its copy to the holder's secondary address
        (a message of its own: same event and template, another recipient)."""
        await queue_message(self.deps, s, draft)
        for copy in contacts.copies_of(draft.to):
            await queue_message(self.deps, s, replace(draft, to=copy))


def _contact(recipient: events_pb2.Recipient) -> Contact:
    return Contact.normalised(recipient.email, recipient.name)
