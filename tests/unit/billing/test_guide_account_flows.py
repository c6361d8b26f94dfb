"""The guides' account flows on billing's side: the invoice PDF says where and
with what to log in (the parking guide's "Votre identifiant web"), and paying
online waits for paperless consent where the operator requires it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from pypdf import PdfReader

from portal.identity.v1 import events_pb2 as identity_events
from portal_runtime.errors import FailedPrecondition
from services.billing.domain.accounts import (
    PAPERLESS_CONSENT_REQUIRED,
    EntityAccount,
    check_online_payment,
)
from services.billing.handlers import account_updated_handler
from services.billing.store import Repository
from services.billing.usecases import documents, payments

from .conftest import World
from .helpers import upgraded_database


def _snapshot(
    at: datetime, *, consent: bool, required: bool, entity: str = "ent-acme"
) -> identity_events.AccountUpdated:
    occurred = Timestamp()
    occurred.FromDatetime(at)
    return identity_events.AccountUpdated(
        event_id=f"a-{at.isoformat()}-{consent}-{required}",
        occurred_at=occurred,
        entity_id=entity,
        name="ACME Parking",
        client_number="CLT013261",
        paperless_consent=consent,
        paperless_consent_required=required,
    )


async def _invoice_id(world: World) -> str:
    await world.submit("o-1")
    views, _ = await documents.list_documents(
        world.deps, world.acme, doc_type=None, date_from="", date_to="", unpaid=False,
        page_size=0, page_token="",
    )  # fmt: skip
    return views[0].document.id


async def _payments(world: World) -> list:
    found, _ = await payments.list_payments(world.deps, world.acme, 0, "")
    return found


def test_the_rule() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    check_online_payment(None)  # billing has not heard of the account: not held back
    check_online_payment(EntityAccount("e", at))
    check_online_payment(EntityAccount("e", at, paperless_consent_required=True,
                                       paperless_consent=True))  # fmt: skip
    with pytest.raises(FailedPrecondition) as refused:
        check_online_payment(EntityAccount("e", at, paperless_consent_required=True))
    assert refused.value.reason == PAPERLESS_CONSENT_REQUIRED
    assert "account page" in refused.value.message and "first log" in refused.value.message


async def test_paying_online_waits_for_the_consent_where_required(world: World) -> None:
    invoice_id = await _invoice_id(world)
    await world.handle(
        account_updated_handler,
        _snapshot(datetime(2026, 3, 1, tzinfo=UTC), consent=False, required=True),
    )
    for pay in (
        lambda: payments.pay_document(world.deps, world.acme, invoice_id),
        lambda: payments.pay_balance(world.deps, world.acme, None),
    ):
        with pytest.raises(FailedPrecondition) as refused:
            await pay()
        assert refused.value.reason == PAPERLESS_CONSENT_REQUIRED
    assert await _payments(world) == [] and world.provider.checkouts == {}

    # The consent given (a newer snapshot): paying works.
    await world.handle(
        account_updated_handler,
        _snapshot(datetime(2026, 3, 2, tzinfo=UTC), consent=True, required=True),
    )
    paid = await payments.pay_document(world.deps, world.acme, invoice_id)
    assert paid.redirect_url and len(await _payments(world)) == 1

    # An older snapshot arriving late changes nothing: the newest one wins.
    await world.handle(
        account_updated_handler,
        _snapshot(datetime(2026, 2, 1, tzinfo=UTC), consent=False, required=True),
    )
    async with world.db.transaction() as s:
        account = await world.deps.repo.accounts.get(s, "ent-acme")
    assert account is not None
    assert account.paperless_consent and account.paperless_consent_required
    await payments.pay_balance(world.deps, world.acme, 100)


async def test_without_the_requirement_nothing_changes(world: World) -> None:
    invoice_id = await _invoice_id(world)
    await world.handle(
        account_updated_handler,
        _snapshot(datetime(2026, 3, 1, tzinfo=UTC), consent=False, required=False),
    )
    assert (await payments.pay_document(world.deps, world.acme, invoice_id)).redirect_url


async def test_the_pdf_says_where_and_with_what_to_log_in(world: World) -> None:
    await world.handle(
        account_updated_handler,
        _snapshot(datetime(2026, 3, 1, tzinfo=UTC), consent=False, required=False),
    )
    world.deps.web_url = "https://portail.example"
    pdf = await documents.document_pdf(world.deps, world.acme, await _invoice_id(world))
    lines = [
        line.strip()
        for page in PdfReader(io.BytesIO(pdf)).pages
        for line in page.extract_text().splitlines()
    ]
    # Top left, right under the operator's name, before the document's title.
    assert lines[1:3] == [
        "Votre espace client : https://portail.example",
        "Votre identifiant web : CLT013261",
    ]
    assert lines[3].startswith("Facture FAC-")


async def test_accounts_known_before_the_migration_neither_consent_nor_require(
    tmp_path: Path,
) -> None:
    db = await upgraded_database(
        tmp_path / "billing.db",
        "0004",
        "INSERT INTO entity_accounts (entity_id, name, client_number, language, "
        "contract_numbers, address_lines, updated_at) VALUES ('ent-old', 'Old', "
        "'C-1', 'fr', '[]', '[]', '2026-01-05 10:00:00')",
    )
    try:
        async with db.transaction() as s:
            account = await Repository().accounts.get(s, "ent-old")
        assert account is not None and account.client_number == "C-1"
        assert not account.paperless_consent and not account.paperless_consent_required
        check_online_payment(account)
    finally:
        await db.dispose()
