"""Fleet e-mails: ChangeCompleted confirms a processed request on lines (what
was asked, the counts, the failed lines with their reasons, then the lines done,
and how many more), SimOrdered confirms a SIM order; both to the manager, in the
account's language, each stored once per event."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from portal.fleet.v1 import events_pb2 as fleet_events
from portal.identity.v1 import events_pb2
from portal_runtime.db import Database
from portal_runtime.errors import FailedPrecondition
from services.notifications.handlers import NotificationHandlers
from services.notifications.store import MessageRepository

from .conftest import WEB, Clock

MANAGER = "boss@dupont.fr"
ICCID = "89330123456789012345"


def _ts(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def account_updated(clock: Clock, language: str) -> events_pb2.AccountUpdated:
    return events_pb2.AccountUpdated(
        event_id="acc-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        name="Transports Dupont",
        client_number="C-100234",
        language=language,
        manager=events_pb2.Recipient(email="Boss@Dupont.FR", name="Jean Dupont"),
    )


def outcome(n: int, *, failed: str = "", user: str = "") -> fleet_events.LineOutcome:
    return fleet_events.LineOutcome(
        line_id=f"l-{n}",
        number=f"+336123456{n:02d}",
        national_number=f"06 12 34 56 {n:02d}",
        user_name=user,
        succeeded=not failed,
        failure_reason=failed,
    )


def completed(clock: Clock, **fields) -> fleet_events.ChangeCompleted:  # type: ignore[no-untyped-def]
    """40 lines, 2 failed: the two failed and three done are listed (the event
    lists failed lines first), so 35 more are not."""
    values = {
        "event_id": "fleet-ev-1",
        "occurred_at": _ts(clock.now),
        "entity_id": "ent-1",
        "request_id": "req-1",
        "kind": "OPTIONS",
        "user_id": "u-1",
        "activate": ["ROAM-WORLD"],
        "activate_names": ["Roaming Monde"],
        "deactivate": ["VOICEMAIL"],
        "deactivate_names": ["Messagerie vocale"],
        "lines": [
            outcome(1, failed="Line terminated", user="Marie Curie"),
            outcome(2, failed="Provisioning refused the option"),
            outcome(3, user="Paul Martin"),
            outcome(4),
            outcome(5),
        ],
        "lines_total": 40,
        "lines_done": 38,
        "lines_failed": 2,
    }
    return fleet_events.ChangeCompleted(**(values | fields))


def sim_ordered(clock: Clock, **fields) -> fleet_events.SimOrdered:  # type: ignore[no-untyped-def]
    values = {
        "event_id": "fleet-sim-1",
        "occurred_at": _ts(clock.now),
        "entity_id": "ent-1",
        "sim_order_id": "so-1",
        "reference": "SIM-2026-000007",
        "quantity": 3,
        "esim": False,
        "user_id": "u-1",
        "recipient": "Jean Dupont",
        "address_lines": ["12 rue des Lilas", "69003 Lyon"],
    }
    return fleet_events.SimOrdered(**(values | fields))


async def _handle(db: Database, handler, event) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        await handler(session, event)


async def _messages(db: Database, recipient: str = MANAGER):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await MessageRepository().list_for_recipient(session, recipient, offset=0, limit=100)


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "fr",
            "Votre demande sur 40 lignes est traitée (2 en échec)",
            [
                "Options ajoutées : Roaming Monde",
                "Options retirées : Messagerie vocale",
                "Lignes concernées : 40",
                "Lignes traitées : 38",
                "Lignes en échec : 2",
                "- 06 12 34 56 01 (Marie Curie) : Line terminated",
                "- 06 12 34 56 02 : Provisioning refused the option",
                "- 06 12 34 56 03 (Paul Martin)\n",
                "et 35 autres lignes",
            ],
        ),
        (
            "en",
            "Your request on 40 lines is done (2 failed)",
            [
                "Options added: Roaming Monde",
                "Options removed: Messagerie vocale",
                "Lines in the request: 40",
                "Lines done: 38",
                "Lines failed: 2",
                "- 06 12 34 56 01 (Marie Curie): Line terminated",
                "- 06 12 34 56 02: Provisioning refused the option",
                "- 06 12 34 56 03 (Paul Martin)\n",
                "and 35 more lines",
            ],
        ),
    ],
)
async def test_a_request_with_failures_is_confirmed_in_the_accounts_language(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    subject: str,
    facts: list[str],
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_change_completed, completed(clock))
    [message] = await _messages(db)
    assert message.template == "fleet_change_completed" and message.language == language
    assert message.recipient_name == "Jean Dupont"
    assert message.subject == subject
    for fact in facts:
        assert fact in message.body_text, fact
    text = message.body_text
    # Failed lines first, then those done; numbers as the country writes them.
    positions = [text.index(f"06 12 34 56 0{n}") for n in (1, 2, 3, 4, 5)]
    assert positions == sorted(positions)
    assert "+33612345601" not in text
    for fact in ["Marie Curie", "Line terminated", "Roaming Monde", "35"]:
        assert fact in message.body_html, fact
    link = f"{WEB}/fleet/requests/req-1"
    assert message.links == (link,) and link in text and link in message.body_html


@pytest.mark.parametrize(
    ("fields", "fr", "en"),
    [
        ({"kind": "SUSPEND", "suspension_reason": "THEFT"}, "Motif : vol", "Reason: theft"),
        ({"kind": "SUSPEND", "suspension_reason": "LOSS"}, "Motif : perte", "Reason: loss"),
        (
            {"kind": "SUSPEND", "suspension_reason": "TEMPORARY"},
            "Motif : suspension temporaire",
            "Reason: temporary suspension",
        ),
        ({"kind": "REACTIVATE"}, "Demande : réactivation", "Request: reactivation"),
        (
            {"kind": "SWITCH_TO_PREPAID"},
            "Demande : passage en prépayé",
            "Request: switch to prepaid",
        ),
        (
            {"kind": "CHANGE_PLAN", "plan": "PRO-50", "plan_name": "Pro 50 Go"},
            "Nouveau forfait : Pro 50 Go",
            "New plan: Pro 50 Go",
        ),
        (
            {"kind": "ACTIVATE_SIM", "iccid": ICCID},
            f"Carte SIM (ICCID) : {ICCID}",
            f"SIM card (ICCID): {ICCID}",
        ),
    ],
)
async def test_what_was_asked_is_said_in_words(
    db: Database, handlers: NotificationHandlers, clock: Clock, fields: dict, fr: str, en: str
) -> None:
    """One line, done: no failure in the subject, nothing "more"."""
    one_line = {
        "activate": [],
        "activate_names": [],
        "deactivate": [],
        "deactivate_names": [],
        "lines": [outcome(7, user="Zoé Dupont")],
        "lines_total": 1,
        "lines_done": 1,
        "lines_failed": 0,
    }
    for language, fact in (("fr", fr), ("en", en)):
        clock.advance(timedelta(minutes=1))  # the newer snapshot wins
        await _handle(db, handlers.on_account_updated, account_updated(clock, language))
        event = completed(clock, event_id=f"ev-{language}", **one_line, **fields)
        await _handle(db, handlers.on_change_completed, event)
        message = next(m for m in await _messages(db) if m.event_id == f"ev-{language}")
        assert fact in message.body_text, (fact, message.body_text)
        assert (
            message.subject
            == {
                "fr": "Votre demande sur 1 ligne est traitée",
                "en": "Your request on 1 line is done",
            }[language]
        )
        assert "06 12 34 56 07 (Zoé Dupont)" in message.body_text
        assert "autre" not in message.body_text and "more line" not in message.body_text
        assert "Option" not in message.body_text


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "fr",
            "Votre commande de 3 cartes SIM est enregistrée (réf. SIM-2026-000007)",
            ["Quantité : 3", "carte SIM physique", "Livraison à :", "Jean Dupont\n"],
        ),
        (
            "en",
            "Your order of 3 SIM cards is registered (ref. SIM-2026-000007)",
            ["Quantity: 3", "physical SIM card", "Delivered to:", "Jean Dupont\n"],
        ),
    ],
)
async def test_a_sim_order_is_confirmed(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    language: str,
    subject: str,
    facts: list[str],
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, language))
    await _handle(db, handlers.on_sim_ordered, sim_ordered(clock))
    [message] = await _messages(db)
    assert message.template == "sim_ordered" and message.language == language
    assert message.subject == subject
    for fact in [*facts, "SIM-2026-000007", "12 rue des Lilas\n69003 Lyon"]:
        assert fact in message.body_text, fact
    assert "12 rue des Lilas<br>69003 Lyon" in message.body_html
    assert message.links == (f"{WEB}/login",)


async def test_an_esim_order_says_esim(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, "en"))
    event = sim_ordered(clock, quantity=1, esim=True, recipient="", address_lines=[])
    await _handle(db, handlers.on_sim_ordered, event)
    [message] = await _messages(db)
    assert message.subject == "Your order of 1 eSIM is registered (ref. SIM-2026-000007)"
    assert "Type: eSIM" in message.body_text and "Delivered to" not in message.body_text


async def test_the_same_event_twice_stores_one_message(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock, "fr"))
    for _ in range(2):
        await _handle(db, handlers.on_change_completed, completed(clock))
        await _handle(db, handlers.on_sim_ordered, sim_ordered(clock))
    messages = await _messages(db)
    assert sorted(m.template for m in messages) == ["fleet_change_completed", "sim_ordered"]


async def test_unknown_contacts_make_the_event_retry(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    with pytest.raises(FailedPrecondition) as err:
        await _handle(db, handlers.on_change_completed, completed(clock))
    assert err.value.reason == "ENTITY_CONTACTS_UNKNOWN"
    with pytest.raises(FailedPrecondition):
        await _handle(db, handlers.on_sim_ordered, sim_ordered(clock))
    assert await _messages(db) == []
