"""Assets e-mails: a service request reaches the department in charge (in
French, at the mailbox the event names) and is acknowledged to the customer; its
status changes, quotes issued and accepted, and answers to change requests are
told to the manager in the account's language; a change request reaches its
department in French. Each is stored once per event, however often it comes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from portal.assets.v1 import events_pb2 as assets_events
from portal.identity.v1 import events_pb2
from portal_runtime.db import Database
from portal_runtime.errors import FailedPrecondition
from services.notifications.domain.contacts import DEFAULT_SUPPORT_EMAIL
from services.notifications.handlers import NotificationHandlers
from services.notifications.store import MessageRepository

from .conftest import WEB, Clock

MANAGER = "boss@dupont.fr"
SERVICE_DESK = "sav@portail.example"
CHANGES_DESK = "modifications@portail.example"


def _ts(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def account_updated(clock: Clock, language: str) -> events_pb2.AccountUpdated:
    return events_pb2.AccountUpdated(
        event_id=f"acc-{language}-{clock.now.timestamp()}",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        name="Transports Dupont",
        client_number="C-100234",
        language=language,
        manager=events_pb2.Recipient(email="Boss@Dupont.FR", name="Jean Dupont"),
    )


def request_created(clock: Clock, **fields) -> assets_events.ServiceRequestCreated:  # type: ignore[no-untyped-def]
    values = {
        "event_id": "sr-created-1",
        "occurred_at": _ts(clock.now),
        "entity_id": "ent-1",
        "service_request_id": "sr-1",
        "reference": "SR-2026-000042",
        "kind": "INTERVENTION",
        "department_email": "SAV@Portail.example",
        "equipment": ["Atlas Copco GA30 CMP-0042", "Kaeser SK22 CMP-0043"],
        "message": "Le compresseur s'arrête\nau bout de 5 minutes",
        "intervention_type": "BREAKDOWN",
        "urgency": "CRITICAL",
        "wished_dates": ["2026-04-15", "2026-04-16"],
        "parts": ["2 x Filtre à huile (F-100)"],
        "attachments": 3,
    }
    return assets_events.ServiceRequestCreated(**(values | fields))


def status_changed(clock: Clock, **fields) -> assets_events.ServiceRequestStatusChanged:  # type: ignore[no-untyped-def]
    values = {
        "event_id": "sr-status-1",
        "occurred_at": _ts(clock.now),
        "entity_id": "ent-1",
        "service_request_id": "sr-1",
        "reference": "SR-2026-000042",
        "kind": "INTERVENTION",
        "previous_status": "RECEIVED",
        "status": "PLANNED",
        "comment": "Le technicien passera le matin.",
        "planned_for": "2026-04-15",
    }
    return assets_events.ServiceRequestStatusChanged(**(values | fields))


def quote_issued(clock: Clock) -> assets_events.QuoteIssued:
    return assets_events.QuoteIssued(
        event_id="quote-issued-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        quote_id="q-1",
        number="DEV-2026-000012",
        title="Remplacement de la pompe",
        total_incl_tax_cents=123456,
        valid_until="2026-04-30",
    )


def quote_accepted(clock: Clock) -> assets_events.QuoteAccepted:
    return assets_events.QuoteAccepted(
        event_id="quote-accepted-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        quote_id="q-1",
        number="DEV-2026-000012",
        order_number="CMD-2026-000034",
        purchase_order_reference="PO-7781",
        title="Remplacement de la pompe",
        lines=[
            assets_events.AcceptedQuoteLine(
                label="Pompe", quantity=1, unit_price_cents=102880, vat_rate_bp=2000
            )
        ],
        total_excl_tax_cents=102880,
        total_tax_cents=20576,
        total_incl_tax_cents=123456,
        user_id="u-1",
    )


def change_created(clock: Clock) -> assets_events.ChangeRequestCreated:
    return assets_events.ChangeRequestCreated(
        event_id="change-created-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        contact_request_id="cr-1",
        reference="DM-2026-000003",
        topic="LICENCE_PLATE",
        message="Nouvelle plaque :\nAB-123-CD",
        department_email=CHANGES_DESK,
        details=["Plaque / plate: GH-456-JK -> AB123CD (contrat ct-9)"],
    )


def change_answered(clock: Clock) -> assets_events.ChangeRequestAnswered:
    return assets_events.ChangeRequestAnswered(
        event_id="change-answered-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        contact_request_id="cr-1",
        reference="DM-2026-000003",
        topic="LICENCE_PLATE",
        status="REFUSED",
        answer="Merci de joindre la carte grise.",
    )


async def _handle(db: Database, handler, event) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        await handler(session, event)


async def _messages(db: Database, recipient: str = MANAGER):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await MessageRepository().list_for_recipient(session, recipient, offset=0, limit=100)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_service_request_reaches_its_department_in_french(
    db: Database, handlers: NotificationHandlers, clock: Clock, language: str
) -> None:
    """Whatever the account's language: the department reads French."""
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_service_request_created, request_created(clock))
    [notice] = await _messages(db, SERVICE_DESK)
    assert notice.template == "service_request_department" and notice.language == "fr"
    assert notice.subject == (
        "Nouvelle demande d'intervention SR-2026-000042 (urgence critique, machine à l'arrêt)"
        " : Transports Dupont, client C-100234"
    )
    for fact in [
        "Client : Transports Dupont (client n° C-100234)",
        "Type d'intervention : panne",
        "Urgence : critique, machine à l'arrêt",
        "Dates souhaitées : 15/04/2026, 16/04/2026",
        "Pièces jointes : 3",
        "- Atlas Copco GA30 CMP-0042\n- Kaeser SK22 CMP-0043",
        "- 2 x Filtre à huile (F-100)",
        "> Le compresseur s'arrête\n> au bout de 5 minutes",
    ]:
        assert fact in notice.body_text, fact
    for fact in ["Kaeser SK22 CMP-0043", "Filtre à huile (F-100)", "15/04/2026", "C-100234"]:
        assert fact in notice.body_html, fact
    link = f"{WEB}/admin/service-requests/sr-1"
    assert notice.links == (link,) and link in notice.body_text


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "fr",
            "Votre demande d'intervention SR-2026-000042 a bien été reçue",
            ["Référence : SR-2026-000042", "nous vous tiendrons informé"],
        ),
        (
            "en",
            "Your intervention request SR-2026-000042 has been received",
            ["Reference: SR-2026-000042", "we will keep you informed"],
        ),
    ],
)
async def test_a_service_request_is_acknowledged_to_the_customer(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    subject: str,
    facts: list[str],
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_service_request_created, request_created(clock))
    [ack] = await _messages(db)
    assert ack.template == "service_request_received" and ack.language == language
    assert ack.recipient_name == "Jean Dupont" and ack.subject == subject
    for fact in facts:
        assert fact in ack.body_text, fact
    # What the department reads is not the customer's business.
    assert "Filtre" not in ack.body_text and "/admin/" not in ack.body_text
    link = f"{WEB}/equipment/requests/sr-1"
    assert ack.links == (link,) and link in ack.body_text and link in ack.body_html


@pytest.mark.parametrize(
    ("kind", "fr_subject"),
    [
        ("PARTS", "Nouvelle demande de pièces détachées SR-2026-000042"),
        ("EXPERTISE", "Nouvelle demande d'expertise SR-2026-000042"),
        ("REMOVAL", "Nouvelle demande d'enlèvement SR-2026-000042"),
    ],
)
async def test_each_kind_is_said_in_words(
    db: Database, handlers: NotificationHandlers, clock: Clock, kind: str, fr_subject: str
) -> None:
    """No intervention: no type, urgency nor wished dates."""
    await _handle(db, handlers.on_account_updated, account_updated(clock, "fr"))
    event = request_created(
        clock, kind=kind, intervention_type="", urgency="", wished_dates=[], parts=[]
    )
    await _handle(db, handlers.on_service_request_created, event)
    [notice] = await _messages(db, SERVICE_DESK)
    assert notice.subject == f"{fr_subject} : Transports Dupont, client C-100234"
    for absent in ("Type d'intervention", "Urgence", "Dates souhaitées", "Pièces demandées"):
        assert absent not in notice.body_text


async def test_a_request_naming_no_department_goes_to_support(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, "fr"))
    await _handle(
        db, handlers.on_service_request_created, request_created(clock, department_email=" ")
    )
    [notice] = await _messages(db, DEFAULT_SUPPORT_EMAIL)
    assert notice.template == "service_request_department"
    assert await _messages(db, SERVICE_DESK) == []


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "fr",
            "Votre demande d'intervention SR-2026-000042 est planifiée (prévue le 15/04/2026)",
            ["Statut : planifiée", "Date prévue : 15/04/2026", "> Le technicien passera le matin."],
        ),
        (
            "en",
            "Your intervention request SR-2026-000042 is planned (planned for 15 April 2026)",
            ["Status: planned", "Planned for: 15 April 2026", "> Le technicien passera le matin."],
        ),
    ],
)
async def test_a_planned_request_says_when(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    subject: str,
    facts: list[str],
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_service_request_status_changed, status_changed(clock))
    [message] = await _messages(db)
    assert message.template == "service_request_status_changed" and message.language == language
    assert message.subject == subject
    for fact in facts:
        assert fact in message.body_text, fact
    link = f"{WEB}/equipment/requests/sr-1"
    assert message.links == (link,) and link in message.body_html


@pytest.mark.parametrize(
    ("status", "fr", "en"),
    [
        ("IN_PROGRESS", "est en cours de traitement", "is in progress"),
        ("DONE", "est terminée", "is done"),
        ("CANCELLED", "est annulée", "is cancelled"),
    ],
)
async def test_other_statuses_are_said_in_words_without_a_date(
    db: Database, handlers: NotificationHandlers, clock: Clock, status: str, fr: str, en: str
) -> None:
    """A planned date left on the event is only said for PLANNED."""
    for language, words in (("fr", fr), ("en", en)):
        clock.advance(timedelta(minutes=1))  # the newer snapshot wins
        await _handle(db, handlers.on_account_updated, account_updated(clock, language))
        event = status_changed(clock, event_id=f"ev-{language}", status=status, comment="")
        await _handle(db, handlers.on_service_request_status_changed, event)
        message = next(m for m in await _messages(db) if m.event_id == f"ev-{language}")
        assert message.subject.endswith(f"SR-2026-000042 {words}"), message.subject
        assert "15/04/2026" not in message.body_text and "April" not in message.body_text
        assert "> " not in message.body_text  # no comment, no quote


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "fr",
            "Nouveau devis DEV-2026-000012 : Remplacement de la pompe",
            ["Montant TTC : 1 234,56 €", "Valable jusqu'au : 30/04/2026"],
        ),
        (
            "en",
            "New quote DEV-2026-000012: Remplacement de la pompe",
            ["Total incl. VAT: €1,234.56", "Valid until: 30 April 2026"],
        ),
    ],
)
async def test_a_new_quote_is_announced(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    subject: str,
    facts: list[str],
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_quote_issued, quote_issued(clock))
    [message] = await _messages(db)
    assert message.template == "quote_issued" and message.language == language
    assert message.subject == subject
    for fact in facts:
        assert fact in message.body_text, fact
    link = f"{WEB}/quotes/q-1"
    assert message.links == (link,) and link in message.body_text and link in message.body_html


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "fr",
            "Devis DEV-2026-000012 accepté : commande CMD-2026-000034",
            [
                "Commande : CMD-2026-000034",
                "Votre bon de commande : PO-7781",
                "Montant TTC : 1 234,56 €",
            ],
        ),
        (
            "en",
            "Quote DEV-2026-000012 accepted: order CMD-2026-000034",
            [
                "Order: CMD-2026-000034",
                "Your purchase order: PO-7781",
                "Total incl. VAT: €1,234.56",
            ],
        ),
    ],
)
async def test_an_accepted_quote_is_confirmed(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    subject: str,
    facts: list[str],
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_quote_accepted, quote_accepted(clock))
    [message] = await _messages(db)
    assert message.template == "quote_accepted" and message.language == language
    assert message.subject == subject
    for fact in facts:
        assert fact in message.body_text, fact
    assert "PO-7781" in message.body_html and "CMD-2026-000034" in message.body_html
    assert message.links == (f"{WEB}/quotes/q-1",)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_change_request_reaches_its_department_in_french(
    db: Database, handlers: NotificationHandlers, clock: Clock, language: str
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_change_request_created, change_created(clock))
    [notice] = await _messages(db, CHANGES_DESK)
    assert notice.template == "change_request_department" and notice.language == "fr"
    assert notice.subject == (
        "Nouvelle demande de modification DM-2026-000003 (plaque d'immatriculation)"
        " : Transports Dupont, client C-100234"
    )
    assert "> Nouvelle plaque :\n> AB-123-CD" in notice.body_text
    # The change itself, a line each, for the operators who act on it.
    assert "Plaque / plate: GH-456-JK -> AB123CD (contrat ct-9)" in notice.body_text
    assert "<li>Plaque / plate: GH-456-JK -&gt; AB123CD (contrat ct-9)</li>" in notice.body_html
    assert notice.links == (f"{WEB}/admin/contact-requests/cr-1",)
    assert await _messages(db) == []  # nothing to the customer


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "fr",
            "Votre demande de modification DM-2026-000003 (plaque d'immatriculation) : refusée",
            ["Statut : refusée", "> Merci de joindre la carte grise."],
        ),
        (
            "en",
            "Your change request DM-2026-000003 (licence plate): refused",
            ["Status: refused", "> Merci de joindre la carte grise."],
        ),
    ],
)
async def test_an_answered_change_request_is_told_to_the_customer(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    subject: str,
    facts: list[str],
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_change_request_answered, change_answered(clock))
    [message] = await _messages(db)
    assert message.template == "change_request_answered" and message.language == language
    assert message.subject == subject
    for fact in facts:
        assert fact in message.body_text, fact
    assert "Merci de joindre la carte grise." in message.body_html


async def test_the_same_events_twice_store_each_message_once(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, "fr"))
    for _ in range(2):
        await _handle(db, handlers.on_service_request_created, request_created(clock))
        await _handle(db, handlers.on_service_request_status_changed, status_changed(clock))
        await _handle(db, handlers.on_quote_issued, quote_issued(clock))
        await _handle(db, handlers.on_quote_accepted, quote_accepted(clock))
        await _handle(db, handlers.on_change_request_created, change_created(clock))
        await _handle(db, handlers.on_change_request_answered, change_answered(clock))
    assert sorted(m.template for m in await _messages(db)) == [
        "change_request_answered",
        "quote_accepted",
        "quote_issued",
        "service_request_received",
        "service_request_status_changed",
    ]
    assert [m.template for m in await _messages(db, SERVICE_DESK)] == ["service_request_department"]
    assert [m.template for m in await _messages(db, CHANGES_DESK)] == ["change_request_department"]


async def test_unknown_contacts_make_the_event_retry_and_store_nothing(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    """The department's notice waits too: it names the account."""
    with pytest.raises(FailedPrecondition) as err:
        await _handle(db, handlers.on_service_request_created, request_created(clock))
    assert err.value.reason == "ENTITY_CONTACTS_UNKNOWN"
    with pytest.raises(FailedPrecondition):
        await _handle(db, handlers.on_change_request_created, change_created(clock))
    assert await _messages(db, SERVICE_DESK) == [] and await _messages(db, CHANGES_DESK) == []


def test_a_closed_parking_month_sends_nothing_here(handlers: NotificationHandlers) -> None:
    """Billing's DocumentIssued announces the statements issued from it."""
    assert assets_events.ParkingMonthClosed not in handlers.subscriptions()
