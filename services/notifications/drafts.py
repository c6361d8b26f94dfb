"""What each event's e-mail says: its template, recipient, language, links and
the template's values, read from the event (protobuf) and, for order, fleet,
billing and assets e-mails, the account's contacts. Pure translation, no I/O: handlers.py
hands the drafts to the `queue_message` use case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from itertools import zip_longest
from typing import Any

from portal.assets.v1 import events_pb2 as assets_events
from portal.billing.v1 import events_pb2 as billing_events
from portal.fleet.v1 import events_pb2 as fleet_events
from portal.identity.v1 import events_pb2 as identity_events
from portal.ordering.v1 import events_pb2 as ordering_events
from portal_runtime.money import format_euros
from services.notifications.domain.contacts import Contact, EntityContacts
from services.notifications.domain.links import LinkBuilder, link_validity
from services.notifications.domain.messages import Template, normalise_email
from services.notifications.domain.wording import (
    describe_change_kind,
    describe_change_request_status,
    describe_change_topic,
    describe_claim_reason,
    describe_claim_status,
    describe_date,
    describe_document_type,
    describe_intervention_type,
    describe_moment,
    describe_return_reason,
    describe_service_request_kind,
    describe_service_request_status,
    describe_suspension_reason,
    describe_urgency,
    describe_validity,
)
from services.notifications.usecases.messages import Draft


def when(event: Any, field: str = "occurred_at") -> datetime | None:
    """A timestamp field of the event as an aware datetime; None when unset."""
    return getattr(event, field).ToDatetime(tzinfo=UTC) if event.HasField(field) else None


def _draft(
    event: Any,
    template: Template,
    to: Contact,
    language: str,
    links: list[str],
    context: dict[str, Any],
) -> Draft:
    return Draft(event.event_id, when(event), template, to, language, links, context)


# --- identity: the person named in the event, in their language ---------------

AccountEvent = (
    identity_events.ActivationRequested
    | identity_events.FirstConnectionLinkIssued
    | identity_events.IdentifierReminderRequested
    | identity_events.MagicLinkRequested
    | identity_events.PasswordResetRequested
    | identity_events.UserInvited
    | identity_events.PasswordChanged
)


def _to_person(event: AccountEvent, template: Template, link: str, **context: Any) -> Draft:
    to = Contact(event.recipient.email, event.recipient.name)
    values = {"link": link, **context}
    return _draft(event, template, to, event.recipient.language, [link], values)


def _one_time_link(event: AccountEvent, template: Template, link: str, **context: Any) -> Draft:
    """A one-time link's e-mail, saying how long the link stays valid."""
    duration = link_validity(template, when(event), when(event, "expires_at"))
    validity = describe_validity(duration, event.recipient.language)
    return _to_person(event, template, link, validity=validity, **context)


def activation(event: identity_events.ActivationRequested, links: LinkBuilder) -> Draft:
    """The account's opening sends ACCOUNT_OPENED, a request again ACTIVATION:
    both say the client and contract numbers the activation form asks for."""
    template = Template.ACCOUNT_OPENED if event.account_opened else Template.ACTIVATION
    return _one_time_link(
        event,
        template,
        links.activation(event.token),
        client_number=event.client_number,
        contract_number=event.contract_number,
        entity_name=event.entity_name,
    )


def first_connection(event: identity_events.FirstConnectionLinkIssued, links: LinkBuilder) -> Draft:
    """The operator's invitation: a link that connects at once, valid 30 days;
    a password is chosen right after."""
    link = links.magic_link(event.token)
    return _one_time_link(event, Template.FIRST_CONNECTION, link, entity_name=event.entity_name)


def identifier_reminder(
    event: identity_events.IdentifierReminderRequested, links: LinkBuilder
) -> Draft | None:
    """The login identifiers of the address; None when it is no customer's
    (identity states those requests too, with no one to tell)."""
    if not event.recipient.email:
        return None
    accounts = [{"client_number": a.client_number, "name": a.name} for a in event.accounts]
    email = normalise_email(event.recipient.email)
    return _to_person(
        event, Template.IDENTIFIER_REMINDER, links.login(), email=email, accounts=accounts
    )


def magic_link(event: identity_events.MagicLinkRequested, links: LinkBuilder) -> Draft:
    return _one_time_link(event, Template.MAGIC_LINK, links.magic_link(event.token))


def password_reset(event: identity_events.PasswordResetRequested, links: LinkBuilder) -> Draft:
    return _one_time_link(event, Template.PASSWORD_RESET, links.password_reset(event.token))


def invitation(event: identity_events.UserInvited, links: LinkBuilder) -> Draft:
    return _one_time_link(
        event,
        Template.INVITATION,
        links.invitation(event.token),
        entity_name=event.entity_name,
        invited_by=event.invited_by,
        has_token=bool(event.token),
    )


def password_changed(
    event: identity_events.PasswordChanged, links: LinkBuilder, timezone: tzinfo, now: datetime
) -> Draft:
    """The security notice: when (the event's time, else now) and where to ask
    for a reset link if it was not them."""
    changed_at = describe_moment(when(event) or now, event.recipient.language, timezone)
    link = links.forgot_password()
    return _to_person(event, Template.PASSWORD_CHANGED, link, changed_at=changed_at)


# --- ordering: to the account's contacts, in the account's language -----------


def order_submitted(
    event: ordering_events.OrderSubmitted, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The amount in euros; for a TRANSFER what to pay where, else "payment awaited"."""
    to = contacts.for_orders()
    link = links.login()
    context = {
        "order_number": event.order_number,
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "amount": format_euros(event.amount.amount_cents, contacts.language),
        "transfer": event.payment_method.upper() == "TRANSFER",
        "iban": event.transfer_iban,
        "bic": event.transfer_bic,
        "holder": event.transfer_holder,
        "reference": event.transfer_reference,
        "link": link,
    }
    return _draft(event, Template.ORDER_SUBMITTED, to, contacts.language, [link], context)


def order_shipped(event: ordering_events.OrderShipped, contacts: EntityContacts) -> Draft:
    to = contacts.for_deliveries()
    context = {
        "order_number": event.order_number,
        "entity_name": contacts.name,
        "carrier": event.carrier,
        "tracking_url": event.tracking_url,
    }
    links = [event.tracking_url] if event.tracking_url else []
    return _draft(event, Template.ORDER_SHIPPED, to, contacts.language, links, context)


# --- fleet: to the manager, in the account's language ------------------------


def _names(names: Sequence[str], codes: Sequence[str]) -> list[str]:
    """The options' names as the event gives them, a code where a name is missing."""
    pairs = zip_longest(names, codes, fillvalue="")
    return [label for name, code in pairs if (label := name.strip() or code.strip())]


def _outcome(line: fleet_events.LineOutcome) -> dict[str, str]:
    """A listed line: its number as the country writes it, and its user."""
    number = line.national_number or line.number
    user = " ".join(line.user_name.split())
    return {
        "number": number,
        "user_name": user,
        "label": f"{number} ({user})" if user else number,
        "reason": " ".join(line.failure_reason.split()),
    }


def change_completed(
    event: fleet_events.ChangeCompleted, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """What was asked, the counts, then the lines the event lists (failed first,
    then done, at most MAX_LISTED_OUTCOMES) and how many more there are."""
    language = contacts.language
    link = links.fleet_request(event.request_id)
    listed = list(event.lines)
    total = max(event.lines_total, event.lines_done + event.lines_failed, len(listed))
    reason = event.suspension_reason.strip()
    context = {
        "request": describe_change_kind(event.kind, language),
        "options_added": _names(event.activate_names, event.activate),
        "options_removed": _names(event.deactivate_names, event.deactivate),
        "suspension_reason": describe_suspension_reason(reason, language) if reason else "",
        "plan": (event.plan_name or event.plan).strip(),
        "iccid": event.iccid,
        "lines_total": total,
        "lines_done": event.lines_done,
        "lines_failed": event.lines_failed,
        "failed": [_outcome(line) for line in listed if not line.succeeded],
        "done": [_outcome(line) for line in listed if line.succeeded],
        "more": total - len(listed),
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }
    to = contacts.for_orders()
    return _draft(event, Template.FLEET_CHANGE_COMPLETED, to, language, [link], context)


def sim_ordered(
    event: fleet_events.SimOrdered, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The SIM order's confirmation: what, how many, and where they are sent."""
    link = links.login()
    context = {
        "reference": event.reference,
        "quantity": event.quantity,
        "esim": event.esim,
        "recipient": event.recipient.strip(),
        "address_lines": [line.strip() for line in event.address_lines if line.strip()],
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }
    to = contacts.for_orders()
    return _draft(event, Template.SIM_ORDERED, to, contacts.language, [link], context)


# --- billing: to the billing contact (else the manager) -----------------------


def document_available(
    event: billing_events.DocumentIssued, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    language = contacts.language
    link = links.document(event.document_id)
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
    to = contacts.for_billing()
    return _draft(event, Template.DOCUMENT_AVAILABLE, to, language, [link], context)


def _claim_opened_context(
    event: billing_events.ClaimOpened, contacts: EntityContacts, language: str, link: str
) -> dict[str, Any]:
    return {
        "document_number": event.document_number,
        "reason": describe_claim_reason(event.reason, language),
        "message": event.message.strip(),
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }


def claim_opened(
    event: billing_events.ClaimOpened, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The customer's acknowledgement."""
    language = contacts.language
    link = links.document(event.document_id)
    context = _claim_opened_context(event, contacts, language, link)
    to = contacts.for_billing()
    return _draft(event, Template.CLAIM_OPENED, to, language, [link], context)


def claim_opened_support(
    event: billing_events.ClaimOpened,
    contacts: EntityContacts,
    links: LinkBuilder,
    support: Contact,
) -> Draft:
    """The operators' notice, always in French, pointing to the back office."""
    link = links.admin_claim(event.claim_id)
    context = _claim_opened_context(event, contacts, "fr", link)
    return _draft(event, Template.CLAIM_OPENED_SUPPORT, support, "fr", [link], context)


def claim_answered(
    event: billing_events.ClaimAnswered, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    language = contacts.language
    link = links.claim(event.claim_id)
    context = {
        "document_number": event.document_number,
        "status": describe_claim_status(event.status, language),
        "answer": event.answer.strip(),
        "entity_name": contacts.name,
        "link": link,
    }
    to = contacts.for_billing()
    return _draft(event, Template.CLAIM_ANSWERED, to, language, [link], context)


def _debit_context(
    event: billing_events.DirectDebitScheduled | billing_events.DirectDebitReturned,
    contacts: EntityContacts,
    link: str,
) -> dict[str, Any]:
    return {
        "document_number": event.document_number,
        "amount": format_euros(event.amount.amount_cents, contacts.language),
        "mandate_reference": event.mandate_reference,
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }


def direct_debit_scheduled(
    event: billing_events.DirectDebitScheduled, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The SEPA pre-notification: what will be debited, when, from which account
    (masked), under which mandate and creditor identifier."""
    language = contacts.language
    link = links.document(event.document_id)
    context = {
        **_debit_context(event, contacts, link),
        "collection_date": describe_date(event.collection_date, language),
        "iban_masked": event.iban_masked,
        "creditor_id": event.creditor_id,
    }
    to = contacts.for_billing()
    return _draft(event, Template.DIRECT_DEBIT_SCHEDULED, to, language, [link], context)


def direct_debit_returned(
    event: billing_events.DirectDebitReturned, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The bank sent a debit back: why, and that the invoice is to pay."""
    language = contacts.language
    link = links.document(event.document_id)
    context = {
        **_debit_context(event, contacts, link),
        "reason": describe_return_reason(event.reason_code, language),
        "reason_code": event.reason_code,
        "returned_on": describe_date(event.returned_on, language),
        "reopened": event.reopened,
    }
    to = contacts.for_billing()
    return _draft(event, Template.DIRECT_DEBIT_RETURNED, to, language, [link], context)


# --- assets: the customer's e-mails to the manager, in the account's language;
# the department's to the mailbox the event names, in French ------------------

DEPARTMENT_LANGUAGE = "fr"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def department(email: str, support: Contact) -> Contact:
    """The department's mailbox the event names; the support mailbox when it
    names none, so the request still reaches an operator (an address that is no
    address is refused when the message is built, and the event retried)."""
    return Contact(email.strip()) if email.strip() else support


def service_request_department(
    event: assets_events.ServiceRequestCreated,
    contacts: EntityContacts,
    links: LinkBuilder,
    support: Contact,
) -> Draft:
    """Everything the department needs to handle the request, and the back
    office's page of it."""
    language = DEPARTMENT_LANGUAGE
    link = links.admin_service_request(event.service_request_id)
    intervention = event.intervention_type.strip()
    urgency = event.urgency.strip()
    context = {
        "kind": describe_service_request_kind(event.kind, language),
        "reference": event.reference,
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "equipment": [line for item in event.equipment if (line := _one_line(item))],
        "message": event.message.strip(),
        "intervention_type": describe_intervention_type(intervention, language)
        if intervention
        else "",
        "urgency": describe_urgency(urgency, language) if urgency else "",
        "wished_dates": [describe_date(day, language) for day in event.wished_dates if day.strip()],
        "parts": [line for part in event.parts if (line := _one_line(part))],
        "attachments": event.attachments,
        "link": link,
    }
    to = department(event.department_email, support)
    return _draft(event, Template.SERVICE_REQUEST_DEPARTMENT, to, language, [link], context)


def service_request_received(
    event: assets_events.ServiceRequestCreated, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The customer's acknowledgement: the reference to quote, and that they
    will be kept informed."""
    language = contacts.language
    link = links.equipment_request(event.service_request_id)
    context = {
        "kind": describe_service_request_kind(event.kind, language),
        "reference": event.reference,
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }
    to = contacts.for_orders()
    return _draft(event, Template.SERVICE_REQUEST_RECEIVED, to, language, [link], context)


def service_request_status_changed(
    event: assets_events.ServiceRequestStatusChanged,
    contacts: EntityContacts,
    links: LinkBuilder,
) -> Draft:
    """The new status in words, the operator's comment, and the visit's date
    when it is planned."""
    language = contacts.language
    link = links.equipment_request(event.service_request_id)
    planned = event.status.strip().upper() == "PLANNED" and event.planned_for.strip()
    context = {
        "kind": describe_service_request_kind(event.kind, language),
        "reference": event.reference,
        "status": describe_service_request_status(event.status, language),
        "comment": event.comment.strip(),
        "planned_for": describe_date(event.planned_for, language) if planned else "",
        "entity_name": contacts.name,
        "link": link,
    }
    to = contacts.for_orders()
    return _draft(event, Template.SERVICE_REQUEST_STATUS_CHANGED, to, language, [link], context)


def quote_issued(
    event: assets_events.QuoteIssued, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    language = contacts.language
    link = links.quote(event.quote_id)
    context = {
        "number": event.number,
        "title": _one_line(event.title),
        "amount": format_euros(event.total_incl_tax_cents, language),
        "valid_until": describe_date(event.valid_until, language),
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }
    to = contacts.for_orders()
    return _draft(event, Template.QUOTE_ISSUED, to, language, [link], context)


def quote_accepted(
    event: assets_events.QuoteAccepted, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The order's confirmation: the quote, the order made, the customer's
    purchase order and the total incl. VAT (billing's invoice follows)."""
    language = contacts.language
    link = links.quote(event.quote_id)
    context = {
        "number": event.number,
        "title": _one_line(event.title),
        "order_number": event.order_number,
        "purchase_order_reference": _one_line(event.purchase_order_reference),
        "amount": format_euros(event.total_incl_tax_cents, language),
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }
    to = contacts.for_orders()
    return _draft(event, Template.QUOTE_ACCEPTED, to, language, [link], context)


def change_request_department(
    event: assets_events.ChangeRequestCreated,
    contacts: EntityContacts,
    links: LinkBuilder,
    support: Contact,
) -> Draft:
    language = DEPARTMENT_LANGUAGE
    link = links.admin_contact_request(event.contact_request_id)
    context = {
        "reference": event.reference,
        "topic": describe_change_topic(event.topic, language),
        "details": [line.strip() for line in event.details if line.strip()],
        "message": event.message.strip(),
        "entity_name": contacts.name,
        "client_number": contacts.client_number,
        "link": link,
    }
    to = department(event.department_email, support)
    return _draft(event, Template.CHANGE_REQUEST_DEPARTMENT, to, language, [link], context)


def change_request_answered(
    event: assets_events.ChangeRequestAnswered, contacts: EntityContacts, links: LinkBuilder
) -> Draft:
    """The answer in the e-mail itself; the link opens the customer's space
    (no page of a change request of its own is known to notifications)."""
    language = contacts.language
    link = links.login()
    context = {
        "reference": event.reference,
        "topic": describe_change_topic(event.topic, language),
        "status": describe_change_request_status(event.status, language),
        "answer": event.answer.strip(),
        "entity_name": contacts.name,
        "link": link,
    }
    to = contacts.for_orders()
    return _draft(event, Template.CHANGE_REQUEST_ANSWERED, to, language, [link], context)
