"""Direct-debit e-mails: DirectDebitScheduled is the customer's SEPA
pre-notification (sent whatever the paperless choice), DirectDebitReturned tells
them the bank sent the debit back and why; both to the billing contact (else the
manager), in the account's language, once per event."""

from __future__ import annotations

import pytest

from portal.billing.v1 import events_pb2 as billing_events
from portal.common.v1 import types_pb2
from portal_runtime.db import Database
from services.notifications.domain.wording import describe_return_reason
from services.notifications.handlers import NotificationHandlers

from .conftest import WEB, Clock
from .test_billing_emails import BILLING, MANAGER, NUMBER, _handle, _messages, _ts, account_updated

UMR = "PTL-ENT1-000001"


def scheduled(clock: Clock) -> billing_events.DirectDebitScheduled:
    return billing_events.DirectDebitScheduled(
        event_id="dd-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        debit_id="debit-1",
        document_id="d-42",
        document_number=NUMBER,
        amount=types_pb2.Money(amount_cents=123456, currency="EUR"),
        collection_date="2026-03-24",
        mandate_reference=UMR,
        creditor_id="FR72ZZZ123456",
        iban_masked="FR76 **** **** **** **** ***0 189",
        sequence_type="FRST",
    )


def returned(clock: Clock, *, reopened: bool = True) -> billing_events.DirectDebitReturned:
    return billing_events.DirectDebitReturned(
        event_id="ret-1",
        occurred_at=_ts(clock.now),
        entity_id="ent-1",
        debit_id="debit-1",
        document_id="d-42",
        document_number=NUMBER,
        amount=types_pb2.Money(amount_cents=123456, currency="EUR"),
        reason_code="AM04",
        returned_on="2026-03-27",
        mandate_reference=UMR,
        reopened=reopened,
    )


def test_return_reasons_in_words() -> None:
    assert describe_return_reason("AM04", "fr") == "provision insuffisante"
    assert describe_return_reason("md06", "en") == "refund requested by the debtor"
    assert describe_return_reason("FF01", "en") == "FF01"


@pytest.mark.parametrize(
    ("language", "facts"),
    [
        ("fr", ["1 234,56 €", "24/03/2026", "RUM", "Identifiant créancier SEPA"]),
        ("en", ["€1,234.56", "24 March 2026", "UMR", "SEPA creditor identifier"]),
    ],
)
async def test_pre_notification_to_the_billing_contact_even_without_paperless(
    db: Database, handlers: NotificationHandlers, clock: Clock, language: str, facts: list[str]
) -> None:
    update = account_updated(clock, language=language, paperless=False, billing=BILLING)
    await _handle(db, handlers.on_account_updated, update)
    await _handle(db, handlers.on_direct_debit_scheduled, scheduled(clock))
    await _handle(db, handlers.on_direct_debit_scheduled, scheduled(clock))  # redelivered
    assert await _messages(db, MANAGER) == []
    [message] = await _messages(db, BILLING)
    assert message.template == "direct_debit_scheduled" and message.language == language
    link = f"{WEB}/documents/d-42"
    assert message.links == (link,)
    assert NUMBER in message.subject and facts[0] in message.subject
    for fact in [*facts, NUMBER, UMR, "FR72ZZZ123456", "***0 189", "C-100234", link]:
        assert fact in message.body_text, fact
    assert "30006" not in message.body_text + message.body_html


@pytest.mark.parametrize(("reopened", "fact"), [(True, "reste due"), (False, "n'a pas eu lieu")])
async def test_return_tells_the_customer_why(
    db: Database, handlers: NotificationHandlers, clock: Clock, reopened: bool, fact: str
) -> None:
    await _handle(db, handlers.on_account_updated, account_updated(clock))
    await _handle(db, handlers.on_direct_debit_returned, returned(clock, reopened=reopened))
    await _handle(db, handlers.on_direct_debit_returned, returned(clock, reopened=reopened))
    [message] = await _messages(db, MANAGER)
    assert message.template == "direct_debit_returned" and NUMBER in message.subject
    for words in [fact, "provision insuffisante", "AM04", "27/03/2026", UMR, "1 234,56 €"]:
        assert words in message.body_text, words
    assert message.links == (f"{WEB}/documents/d-42",)
