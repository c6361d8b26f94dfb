"""The guides' access e-mails (issue #9): the account's opening sends the
activation e-mail with the client and contract numbers, an operator's
first-connection link, the forgotten-identifier reminder, and billing e-mails
in copy to the holder's secondary address."""

from __future__ import annotations

from datetime import timedelta

from portal.identity.v1 import events_pb2
from portal_runtime.db import Database
from services.notifications.handlers import NotificationHandlers
from services.notifications.store import MessageRepository

from .conftest import WEB, Clock
from .test_billing_emails import _handle, _ts, account_updated, claim_answered, document_issued

PERSON = events_pb2.Recipient(email="Zoe@Dupont.FR", name="Zoé Dupont", language="en")


async def _messages(db: Database, recipient: str):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await MessageRepository().list_for_recipient(session, recipient, offset=0, limit=50)


def _link_event(kind, clock: Clock, valid: timedelta, **fields):  # type: ignore[no-untyped-def]
    """An identity event carrying a one-time link to PERSON, valid `valid`."""
    issued = _ts(clock.now)
    expires = _ts(clock.now + valid)
    return kind(occurred_at=issued, expires_at=expires, recipient=PERSON, **fields)


async def test_the_opening_sends_the_activation_email_with_both_numbers(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    event = _link_event(
        events_pb2.ActivationRequested,
        clock,
        timedelta(hours=48),
        event_id="evt-open",
        token="tok-1",
        client_number="C-100234",
        contract_number="CT-2026-7",
        account_opened=True,
        entity_name="Transports Dupont",
    )
    await _handle(db, handlers.on_activation_requested, event)
    [message] = await _messages(db, "zoe@dupont.fr")
    assert message.template == "account_opened" and message.language == "en"
    assert message.links == (f"{WEB}/activate?token=tok-1",)
    for fact in ("C-100234", "CT-2026-7", "48 hours", "Transports Dupont"):
        assert fact in message.body_text, fact

    again = events_pb2.ActivationRequested()
    again.CopyFrom(event)
    again.event_id, again.account_opened, again.token = "evt-again", False, "tok-2"
    clock.advance(timedelta(minutes=5))
    again.occurred_at.CopyFrom(_ts(clock.now))
    await _handle(db, handlers.on_activation_requested, again)
    newest = (await _messages(db, "zoe@dupont.fr"))[0]
    assert newest.template == "activation" and "CT-2026-7" in newest.body_text


async def test_a_first_connection_link_connects_for_30_days(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    event = _link_event(
        events_pb2.FirstConnectionLinkIssued,
        clock,
        timedelta(days=30),
        event_id="evt-first",
        token="tok-first",
        entity_name="Cimme Clients",
    )
    await _handle(db, handlers.on_first_connection_link_issued, event)
    [message] = await _messages(db, "zoe@dupont.fr")
    assert message.template == "first_connection"
    assert message.links == (f"{WEB}/magic-link?token=tok-first",)
    assert "30 days" in message.body_text and "choose your password" in message.body_text


async def test_the_identifier_reminder_lists_the_email_and_client_numbers(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    known = events_pb2.IdentifierReminderRequested(
        event_id="evt-ids",
        occurred_at=_ts(clock.now),
        user_id="u-1",
        recipient=PERSON,
        accounts=[events_pb2.AccountLogin(client_number="C-100234", name="Transports Dupont")],
    )
    await _handle(db, handlers.on_identifier_reminder_requested, known)
    [message] = await _messages(db, "zoe@dupont.fr")
    assert message.template == "identifier_reminder" and message.links == (f"{WEB}/login",)
    assert "zoe@dupont.fr" in message.body_text
    assert "C-100234 (Transports Dupont)" in message.body_text
    # A request about an address no customer has: nothing to send, nothing stored.
    unknown = events_pb2.IdentifierReminderRequested(event_id="evt-none")
    await _handle(db, handlers.on_identifier_reminder_requested, unknown)
    assert len(await _messages(db, "zoe@dupont.fr")) == 1


async def test_billing_emails_go_in_copy_to_the_secondary_address(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    snapshot = account_updated(clock)
    snapshot.secondary.CopyFrom(events_pb2.Recipient(email="Backup@Home.FR", name="Jean"))
    await _handle(db, handlers.on_account_updated, snapshot)
    clock.advance(timedelta(minutes=1))
    issued = document_issued(clock)
    for _ in range(2):  # redelivered: each message once
        await _handle(db, handlers.on_document_issued, issued)
    await _handle(db, handlers.on_claim_answered, claim_answered(clock))
    main = {m.template for m in await _messages(db, "boss@dupont.fr")}
    copies = await _messages(db, "backup@home.fr")
    assert main == {"document_available", "claim_answered"}
    assert sorted(m.template for m in copies) == ["claim_answered", "document_available"]
    assert all(m.event_id in {"doc-1", "claim-ans-1"} for m in copies)


async def test_no_copy_when_the_secondary_is_the_recipient(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    snapshot = account_updated(clock, billing="compta@dupont.fr")
    snapshot.secondary.CopyFrom(events_pb2.Recipient(email="compta@dupont.fr", name="C"))
    await _handle(db, handlers.on_account_updated, snapshot)
    await _handle(db, handlers.on_document_issued, document_issued(clock))
    assert len(await _messages(db, "compta@dupont.fr")) == 1
