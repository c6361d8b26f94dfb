"""Billing e-mails: DocumentIssued announces a new document to accounts that
accepted paperless documents, ClaimOpened acknowledges the claim to the
customer and tells the support mailbox, ClaimAnswered gives the customer the
operator's answer; all to the billing contact (else the manager), in the
account's language (support in French)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from portal.billing.v1 import events_pb2 as billing_events
from portal.common.v1 import types_pb2
from portal.identity.v1 import events_pb2
from portal_runtime.db import Database
from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.notifications.domain.contacts import DEFAULT_SUPPORT_EMAIL, support_contact
from services.notifications.domain.links import LinkBuilder
from services.notifications.domain.wording import (
    describe_claim_reason,
    describe_claim_status,
    describe_date,
    describe_document_type,
)
from services.notifications.handlers import NotificationHandlers
from services.notifications.store import MessageRepository
from services.notifications.usecases.common import Deps

from .conftest import WEB, Clock

MANAGER, BILLING, SUPPORT = "boss@dupont.fr", "compta@dupont.fr", DEFAULT_SUPPORT_EMAIL
NUMBER = "FAC-2026-000042"


def _ts(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def account_updated(
    clock: Clock, *, language: str = "fr", paperless: bool = True, billing: str = ""
) -> events_pb2.AccountUpdated:
    event = events_pb2.AccountUpdated(
        event_id="acc-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        name="Transports Dupont",
        client_number="C-100234",
        language=language,
        paperless_consent=paperless,
        manager=events_pb2.Recipient(email="Boss@Dupont.FR", name="Jean Dupont"),
    )
    if billing:
        event.billing.CopyFrom(events_pb2.Recipient(email=billing, name="Céline Compta"))
    return event


def document_issued(clock: Clock, doc_type: str = "INVOICE") -> billing_events.DocumentIssued:
    return billing_events.DocumentIssued(
        event_id="doc-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        document_id="d-42",
        number=NUMBER,
        type=doc_type,
        total_incl_tax=types_pb2.Money(amount_cents=123456, currency="EUR"),
        due_date="2026-03-31",
        order_id="o-1",
    )


def claim_opened(clock: Clock) -> billing_events.ClaimOpened:
    return billing_events.ClaimOpened(
        event_id="claim-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        claim_id="c-7",
        document_id="d-42",
        document_number=NUMBER,
        reason="WRONG_AMOUNT",
        message="The card fee looks wrong.\nPlease check <this>.",
    )


def claim_answered(clock: Clock, status: str = "REJECTED") -> billing_events.ClaimAnswered:
    return billing_events.ClaimAnswered(
        event_id="claim-ans-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        claim_id="c-7",
        document_number=NUMBER,
        status=status,
        answer="Checked: the fee is right.",
    )


async def _handle(db: Database, handler, event) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        await handler(session, event)


async def _messages(db: Database, recipient: str):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await MessageRepository().list_for_recipient(session, recipient, offset=0, limit=100)


def test_billing_codes_in_words() -> None:
    assert describe_date("2026-03-31", "fr") == "31/03/2026"
    assert describe_date("2026-03-31", "en") == "31 March 2026"
    assert describe_date("", "fr") == "" and describe_date("soon", "en") == "soon"
    assert describe_document_type("INVOICE", "fr") == "facture"
    assert describe_document_type("CREDIT_NOTE", "en") == "credit note"
    assert describe_claim_reason("WRONG_AMOUNT", "fr") == "montant erroné"
    assert describe_claim_status("IN_PROGRESS", "en") == "in progress"
    assert describe_claim_status("SOMETHING_NEW", "fr") == "SOMETHING_NEW"


def test_billing_links() -> None:
    links = LinkBuilder(WEB)
    assert links.document("d-42") == f"{WEB}/documents/d-42"
    assert links.claim("c/7") == f"{WEB}/claims/c%2F7"
    assert links.admin_claim("c-7") == f"{WEB}/admin/claims/c-7"
    with pytest.raises(InvalidArgument):
        links.document("")


def test_a_bad_support_address_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        support_contact("nope")


@pytest.mark.parametrize(
    ("language", "facts"),
    [
        ("fr", ["facture", "1 234,56 €", "Montant TTC", "Échéance : 31/03/2026"]),
        ("en", ["invoice", "€1,234.56", "Amount incl. tax", "Due date: 31 March 2026"]),
    ],
)
async def test_document_available_with_paperless_consent(
    db: Database, handlers: NotificationHandlers, clock: Clock, language: str, facts: list[str]
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language=language))
    await _handle(db, handlers.on_document_issued, document_issued(clock))
    await _handle(db, handlers.on_document_issued, document_issued(clock))  # redelivered
    [message] = await _messages(db, MANAGER)
    assert message.template == "document_available" and message.language == language
    assert message.recipient_name == "Jean Dupont"
    assert NUMBER in message.subject
    link = f"{WEB}/documents/d-42"
    assert message.links == (link,)
    for fact in [*facts, NUMBER, link, "Transports Dupont", "C-100234"]:
        assert fact in message.body_text, fact
    assert facts[1] in message.body_html and link in message.body_html


async def test_document_available_goes_to_the_billing_contact(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, billing=BILLING))
    await _handle(db, handlers.on_document_issued, document_issued(clock, "CREDIT_NOTE"))
    assert await _messages(db, MANAGER) == []
    [message] = await _messages(db, BILLING)
    assert message.recipient_name == "Céline Compta"
    assert "avoir" in message.subject and "Échéance" not in message.body_text


async def test_no_document_e_mail_without_paperless_consent(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, paperless=False))
    with caplog.at_level(logging.INFO, logger="services.notifications.handlers"):
        await _handle(db, handlers.on_document_issued, document_issued(clock))
    assert await _messages(db, MANAGER) == []
    assert any(r.levelno == logging.INFO and "paperless" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("language", "facts"),
    [
        ("fr", ["réclamation", "montant erroné", "Votre message"]),
        ("en", ["claim", "wrong amount", "Your message"]),
    ],
)
async def test_claim_opened_acknowledges_and_tells_support(
    db: Database, handlers: NotificationHandlers, clock: Clock, language: str, facts: list[str]
) -> None:
    await _handle(
        db, handlers.on_account_updated, account_updated(clock, language=language, billing=BILLING)
    )
    await _handle(db, handlers.on_claim_opened, claim_opened(clock))
    await _handle(db, handlers.on_claim_opened, claim_opened(clock))  # redelivered: once each

    [ack] = await _messages(db, BILLING)
    assert ack.template == "claim_opened" and ack.language == language
    assert NUMBER in ack.subject and ack.links == (f"{WEB}/documents/d-42",)
    for fact in [*facts, NUMBER, "> The card fee looks wrong.", "> Please check <this>."]:
        assert fact in ack.body_text, fact
    assert "Please check &lt;this&gt;." in ack.body_html  # the customer's text, escaped

    [notice] = await _messages(db, SUPPORT)
    assert notice.template == "claim_opened_support" and notice.language == "fr"
    assert notice.event_id == ack.event_id
    assert NUMBER in notice.subject and "Transports Dupont" in notice.subject
    for fact in ["Transports Dupont", "C-100234", "montant erroné", "> The card fee looks wrong."]:
        assert fact in notice.body_text, fact
    assert notice.links == (f"{WEB}/admin/claims/c-7",)
    assert await _messages(db, MANAGER) == []


async def test_claim_notice_goes_to_the_configured_support_mailbox(
    db: Database, deps: Deps, clock: Clock
) -> None:
    handlers = NotificationHandlers(replace(deps, support=support_contact("Help@Portail.FR")))
    await _handle(db, handlers.on_account_updated, account_updated(clock))
    await _handle(db, handlers.on_claim_opened, claim_opened(clock))
    assert [m.template for m in await _messages(db, MANAGER)] == ["claim_opened"]
    assert [m.template for m in await _messages(db, "help@portail.fr")] == ["claim_opened_support"]
    assert await _messages(db, SUPPORT) == []


@pytest.mark.parametrize(
    ("language", "status", "words"),
    [
        ("fr", "REJECTED", "refusée"),
        ("fr", "IN_PROGRESS", "en cours de traitement"),
        ("en", "ACCEPTED", "accepted"),
    ],
)
async def test_claim_answered_gives_the_answer(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    status: str,
    words: str,
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language=language))
    await _handle(db, handlers.on_claim_answered, claim_answered(clock, status))
    await _handle(db, handlers.on_claim_answered, claim_answered(clock, status))  # redelivered
    [message] = await _messages(db, MANAGER)
    assert message.template == "claim_answered" and message.language == language
    assert NUMBER in message.subject and words in message.subject
    assert "> Checked: the fee is right." in message.body_text
    assert "Checked: the fee is right." in message.body_html
    assert message.links == (f"{WEB}/claims/c-7",)


async def test_unknown_contacts_make_billing_events_retry(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    """Billing's events may arrive before identity's AccountUpdated: the handler
    raises (the runtime naks and redelivers later) and stores nothing - not even
    the support notice."""
    for handler, event in [
        (handlers.on_document_issued, document_issued(clock)),
        (handlers.on_claim_opened, claim_opened(clock)),
        (handlers.on_claim_answered, claim_answered(clock)),
    ]:
        with pytest.raises(FailedPrecondition) as err:
            await _handle(db, handler, event)
        assert err.value.reason == "ENTITY_CONTACTS_UNKNOWN"
    assert await _messages(db, MANAGER) == [] and await _messages(db, SUPPORT) == []

    await _handle(db, handlers.on_account_updated, account_updated(clock))
    await _handle(db, handlers.on_document_issued, document_issued(clock))
    await _handle(db, handlers.on_claim_opened, claim_opened(clock))
    templates = sorted(m.template for m in await _messages(db, MANAGER))
    assert templates == ["claim_opened", "document_available"]
    assert [m.template for m in await _messages(db, SUPPORT)] == ["claim_opened_support"]
