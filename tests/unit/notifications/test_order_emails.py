"""Order e-mails: the entity_contacts projection fed by identity's
AccountUpdated, and ordering's OrderSubmitted / OrderShipped rendered in the
account's language to the right contact."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from portal.common.v1 import types_pb2
from portal.identity.v1 import events_pb2
from portal.ordering.v1 import events_pb2 as ordering_events
from portal_runtime.db import Database
from portal_runtime.errors import FailedPrecondition
from portal_runtime.money import format_euros
from services.notifications.handlers import NotificationHandlers
from services.notifications.store import ContactsRepository, MessageRepository

from .conftest import WEB, Clock

IBAN, BIC, HOLDER, REFERENCE = "FR7630006000011234567890189", "AGRIFRPP", "Portail SAS", "RF18X42"
TRACKING = "https://tracking.example/colis?n=8L123"


def _ts(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def account_updated(
    clock: Clock, *, event_id: str = "acc-1", language: str = "fr", delivery: str = "", **kw
) -> events_pb2.AccountUpdated:  # type: ignore[no-untyped-def]
    event = events_pb2.AccountUpdated(
        event_id=event_id,
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        name="Transports Dupont",
        client_number="C-100234",
        language=language,
        paperless_consent=True,
        manager=events_pb2.Recipient(email="Boss@Dupont.FR", name="Jean Dupont", language="fr"),
        **kw,
    )
    if delivery:
        event.delivery.CopyFrom(events_pb2.Recipient(email=delivery, name="Dee Livraison"))
    return event


def submitted(clock: Clock, method: str = "TRANSFER") -> ordering_events.OrderSubmitted:
    transfer = method == "TRANSFER"
    return ordering_events.OrderSubmitted(
        event_id="ord-sub-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        order_id="o-1",
        order_number="CMD-2026-000042",
        amount=types_pb2.Money(amount_cents=1234, currency="EUR"),
        payment_method=method,
        transfer_reference=REFERENCE if transfer else "",
        transfer_iban=IBAN if transfer else "",
        transfer_bic=BIC if transfer else "",
        transfer_holder=HOLDER if transfer else "",
    )


def shipped(clock: Clock) -> ordering_events.OrderShipped:
    return ordering_events.OrderShipped(
        event_id="ord-ship-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        order_id="o-1",
        order_number="CMD-2026-000042",
        carrier="Colissimo",
        tracking_url=TRACKING,
    )


async def _handle(db: Database, handler, event) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        await handler(session, event)


async def _messages(db: Database, recipient: str):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await MessageRepository().list_for_recipient(session, recipient, offset=0, limit=100)


async def _contacts(db: Database):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await ContactsRepository().get(session, "ent-1")


def test_amounts_in_euros() -> None:
    assert format_euros(1234, "fr") == "12,34 €"
    assert format_euros(1234, "en") == "€12.34"
    assert format_euros(123456789, "fr") == "1 234 567,89 €"
    assert format_euros(123456789, "en") == "€1,234,567.89"
    assert format_euros(5, "fr") == "0,05 €"


async def test_the_newest_snapshot_wins(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    older = account_updated(clock, event_id="acc-old", language="fr")
    clock.advance(timedelta(minutes=5))
    newer = account_updated(clock, event_id="acc-new", language="en", delivery="dee@dupont.fr")
    await _handle(db, handlers.on_account_updated, newer)
    await _handle(db, handlers.on_account_updated, older)  # arrives late: ignored
    contacts = await _contacts(db)
    assert contacts is not None
    assert contacts.language == "en" and contacts.delivery.email == "dee@dupont.fr"
    assert contacts.manager.email == "boss@dupont.fr" and contacts.paperless_consent
    assert contacts.updated_at == clock.now

    clock.advance(timedelta(minutes=5))
    latest = account_updated(clock, event_id="acc-latest", language="fr")
    await _handle(db, handlers.on_account_updated, latest)
    contacts = await _contacts(db)
    assert contacts is not None and contacts.language == "fr" and not contacts.delivery.email


@pytest.mark.parametrize(
    ("language", "facts"),
    [
        ("fr", ["12,34 €", "Référence à indiquer", "virement", "Transports Dupont"]),
        ("en", ["€12.34", "Reference to quote", "transfer", "Transports Dupont"]),
    ],
)
async def test_order_submitted_by_transfer_gives_the_bank_details(
    db: Database, handlers: NotificationHandlers, clock: Clock, language: str, facts: list[str]
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language=language))
    await _handle(db, handlers.on_order_submitted, submitted(clock))
    [message] = await _messages(db, "boss@dupont.fr")
    assert message.template == "order_submitted" and message.language == language
    assert message.recipient_name == "Jean Dupont"
    assert "CMD-2026-000042" in message.subject
    for fact in [*facts, IBAN, BIC, HOLDER, REFERENCE, "CMD-2026-000042"]:
        assert fact in message.body_text, fact
        assert fact in message.body_html, fact
    assert message.links == (f"{WEB}/login",)


@pytest.mark.parametrize(
    ("language", "amount", "fact"),
    [("fr", "12,34 €", "carte bancaire"), ("en", "€12.34", "card payment")],
)
async def test_order_submitted_by_card_says_payment_is_awaited(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    amount: str,
    fact: str,
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language=language))
    await _handle(db, handlers.on_order_submitted, submitted(clock, "CARD"))
    [message] = await _messages(db, "boss@dupont.fr")
    assert amount in message.body_text and fact in message.body_text
    assert "IBAN" not in message.body_text and "IBAN" not in message.body_html


@pytest.mark.parametrize(
    ("language", "facts"),
    [("fr", ["expédiée", "Suivre ma livraison"]), ("en", ["shipped", "Track my delivery"])],
)
async def test_order_shipped_goes_to_the_delivery_contact_with_tracking(
    db: Database, handlers: NotificationHandlers, clock: Clock, language: str, facts: list[str]
) -> None:
    update = account_updated(clock, language=language, delivery="dee@dupont.fr")
    await _handle(db, handlers.on_account_updated, update)
    await _handle(db, handlers.on_order_shipped, shipped(clock))
    assert await _messages(db, "boss@dupont.fr") == []
    [message] = await _messages(db, "dee@dupont.fr")
    assert message.template == "order_shipped" and message.language == language
    assert message.links == (TRACKING,)
    assert "Colissimo" in message.body_text and TRACKING in message.body_text
    assert facts[0] in message.subject and facts[1] in message.body_html


async def test_order_shipped_without_delivery_contact_goes_to_the_manager(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock))
    await _handle(db, handlers.on_order_shipped, shipped(clock))
    [message] = await _messages(db, "boss@dupont.fr")
    assert message.template == "order_shipped" and message.links == (TRACKING,)


async def test_unknown_contacts_make_the_event_retry(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    """The order event arrived before identity's AccountUpdated: the handler
    raises (the runtime naks and redelivers later) and stores nothing; once the
    snapshot is in, the redelivered event makes its message."""
    with pytest.raises(FailedPrecondition) as err:
        await _handle(db, handlers.on_order_submitted, submitted(clock))
    assert err.value.reason == "ENTITY_CONTACTS_UNKNOWN"
    with pytest.raises(FailedPrecondition):
        await _handle(db, handlers.on_order_shipped, shipped(clock))
    assert await _messages(db, "boss@dupont.fr") == []

    await _handle(db, handlers.on_account_updated, account_updated(clock))
    await _handle(db, handlers.on_order_submitted, submitted(clock))
    await _handle(db, handlers.on_order_submitted, submitted(clock))  # redelivered: once
    assert [m.template for m in await _messages(db, "boss@dupont.fr")] == ["order_submitted"]
