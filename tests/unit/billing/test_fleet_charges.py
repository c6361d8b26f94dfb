"""Fleet's ChangeCompleted, billed: a request's one-off option charges make one
invoice (one line per charge, VAT per rate by the shared money rule), once per
request however often and under whatever event id it comes; a request without
charges bills nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from portal.fleet.v1 import events_pb2 as fleet_events
from portal.identity.v1 import events_pb2 as identity_events
from portal_runtime.consumer import EventConsumer
from portal_runtime.errors import InvalidArgument
from services.billing.domain.documents import LABEL_MAX, Document, DocumentType, Line
from services.billing.domain.fleet_charges import (
    OneOffCharge,
    charge_label,
    charge_lines,
    fleet_request_source,
)
from services.billing.handlers import (
    account_updated_handler,
    change_completed_handler,
    subscriptions,
)
from services.billing.store import Repository
from services.billing.usecases.documents import issue

from .conftest import World
from .helpers import upgraded_database

ROAMING = fleet_events.OneOffCharge(
    option_code="ROAM-WORLD",
    option_name="Roaming Monde",
    unit_amount_cents=1250,
    vat_bp=2000,
    quantity=3,
)
DATA = fleet_events.OneOffCharge(
    option_code="DATA-5",
    option_name="Data+ 5 Go",
    unit_amount_cents=999,
    vat_bp=1000,
    quantity=5,
)


def completed(
    request_id: str = "req-1",
    *,
    event_id: str = "",
    charges: tuple[fleet_events.OneOffCharge, ...] = (ROAMING, DATA),
    entity: str = "ent-acme",
) -> fleet_events.ChangeCompleted:
    return fleet_events.ChangeCompleted(
        event_id=event_id or f"ev-{request_id}",
        entity_id=entity,
        request_id=request_id,
        kind="OPTIONS",
        user_id="u-acme",
        activate=[c.option_code for c in charges],
        activate_names=[c.option_name for c in charges],
        charges=list(charges),
        lines_total=8,
        lines_done=8,
    )


async def _invoices(world: World, entity: str = "ent-acme") -> list[Document]:
    async with world.db.transaction() as s:
        views = await world.deps.repo.documents.find(s, entity, kept_since=date(2000, 1, 1))
    return [v.document for v in views]


async def test_two_charges_make_one_invoice_with_exact_totals(world: World) -> None:
    await world.handle(
        account_updated_handler,
        identity_events.AccountUpdated(
            event_id="a1", entity_id="ent-acme", name="ACME", contract_numbers=["CTR-1"]
        ),
    )
    await world.handle(change_completed_handler, completed())

    [invoice] = await _invoices(world)
    assert invoice.type is DocumentType.INVOICE and invoice.number == "FAC-2026-000001"
    assert invoice.source_key == "fleet-request:req-1" and invoice.order_id == ""
    assert invoice.contract_number == "CTR-1"
    assert invoice.lines == (
        Line("Option Roaming Monde - 3 lignes / lines", 3, 1250, 2000),
        Line("Option Data+ 5 Go - 5 lignes / lines", 5, 999, 1000),
    )
    # 3 x 12.50 = 37.50 at 20 %: VAT 7.50; 5 x 9.99 = 49.95 at 10 %: VAT 4.995,
    # rounded half-up to 5.00.
    assert invoice.totals.excl_cents == 3750 + 4995
    assert dict(invoice.totals.tax_by_rate) == {2000: 750, 1000: 500}
    assert invoice.totals.incl_cents == 9995
    # Payable like an order's invoice: nothing paid, due after the payment term.
    assert invoice.payment_status == "UNPAID" and invoice.remaining_cents == 9995
    issued_on = world.clock.now.date()
    assert invoice.issue_date == issued_on and invoice.due_date == issued_on + timedelta(days=30)
    [event] = await world.events("DocumentIssued")
    assert event.document_id == invoice.id and event.type == "INVOICE"
    assert event.total_incl_tax.amount_cents == 9995 and event.order_id == ""


def _consumer(world: World) -> EventConsumer:
    """The consumer billing's bootstrap subscribes (inbox included); no bus needed
    to apply an event."""
    handler = subscriptions(world.deps)[fleet_events.ChangeCompleted]
    return EventConsumer(
        service="billing",
        db=world.db,
        bus=None,  # type: ignore[arg-type]
        event_type=fleet_events.ChangeCompleted,
        handler=handler,
    )


async def test_the_same_event_twice_issues_one_invoice(world: World) -> None:
    consumer = _consumer(world)
    event = completed()
    assert await consumer.apply(event.event_id, event) is True
    assert await consumer.apply(event.event_id, event) is False  # the inbox
    await world.handle(change_completed_handler, event)  # past the inbox: the source
    assert len(await _invoices(world)) == 1
    assert len(await world.events("DocumentIssued")) == 1


async def test_the_same_request_under_another_event_id_issues_one_invoice(world: World) -> None:
    consumer = _consumer(world)
    first, again = completed(event_id="ev-first"), completed(event_id="ev-republished")
    assert await consumer.apply(first.event_id, first) is True
    assert await consumer.apply(again.event_id, again) is True  # a new id: handled...
    assert len(await _invoices(world)) == 1  # ...and billed nothing
    assert len(await world.events("DocumentIssued")) == 1


async def test_each_request_is_billed_on_its_own(world: World) -> None:
    await world.handle(change_completed_handler, completed("req-1"))
    await world.handle(change_completed_handler, completed("req-2", charges=(DATA,)))
    invoices = await _invoices(world)
    assert sorted(i.source_key for i in invoices) == [
        "fleet-request:req-1",
        "fleet-request:req-2",
    ]
    assert sorted(i.totals.incl_cents for i in invoices) == [4995 + 500, 9995]


async def test_a_request_without_charges_bills_nothing(world: World) -> None:
    await world.handle(change_completed_handler, completed(charges=()))
    free = fleet_events.OneOffCharge(
        option_code="VM", option_name="Messagerie", unit_amount_cents=0, vat_bp=2000, quantity=4
    )
    await world.handle(change_completed_handler, completed("req-free", charges=(free,)))
    assert await _invoices(world) == []
    assert await world.events("DocumentIssued") == []


async def test_a_charge_that_cannot_be_billed_is_named_and_nothing_is_issued(
    world: World,
) -> None:
    bad = fleet_events.OneOffCharge(
        option_code="X", option_name="X", unit_amount_cents=-5, vat_bp=1234, quantity=2
    )
    with pytest.raises(InvalidArgument) as err:
        await world.handle(change_completed_handler, completed(charges=(ROAMING, bad)))
    fields = [v.field for v in err.value.violations]
    assert fields == ["charges[1].unitAmountCents", "charges[1].vatBp"]
    assert await _invoices(world) == []


async def test_the_store_refuses_a_second_invoice_of_the_same_request(world: World) -> None:
    """Two copies handled at the same moment both miss the lookup: the unique
    source refuses the second insert."""
    lines = (Line("Option X - 1 ligne / line", 1, 100, 2000),)
    source = fleet_request_source("req-1")
    async with world.db.transaction() as s:
        await issue(
            world.deps, s, entity_id="ent-acme", doc_type=DocumentType.INVOICE,
            lines=lines, source_key=source,
        )  # fmt: skip
    with pytest.raises(IntegrityError):
        async with world.db.transaction() as s:
            await issue(
                world.deps, s, entity_id="ent-acme", doc_type=DocumentType.INVOICE,
                lines=lines, source_key=source,
            )  # fmt: skip
    assert len(await _invoices(world)) == 1


def test_labels_count_the_lines_and_fit() -> None:
    assert charge_label("Roaming  Monde", 1) == "Option Roaming Monde - 1 ligne / line"
    assert charge_label("Roaming Monde", 12) == "Option Roaming Monde - 12 lignes / lines"
    long = charge_label("N" * 400, 7)
    assert len(long) == LABEL_MAX and long.endswith("… - 7 lignes / lines")


def test_charges_on_no_line_owe_nothing_and_a_name_falls_back_to_the_code() -> None:
    lines = charge_lines(
        [
            OneOffCharge("ROAM", "", 1250, 2000, 2),
            OneOffCharge("DATA", "Data+", 999, 2000, 0),
        ]
    )
    assert lines == (Line("Option ROAM - 2 lignes / lines", 2, 1250, 2000),)


def test_a_request_id_is_required_for_the_source() -> None:
    assert fleet_request_source(" req-9 ") == "fleet-request:req-9"
    with pytest.raises(InvalidArgument) as err:
        fleet_request_source("  ")
    assert [v.field for v in err.value.violations] == ["requestId"]


async def test_documents_from_before_the_migration_have_no_source(tmp_path: Path) -> None:
    db = await upgraded_database(
        tmp_path / "billing.db",
        "0005",
        "INSERT INTO documents (id, entity_id, type, number, issue_date, due_date, "
        "contract_number, order_id, credits_document_id, credited_by_id, paid_cents, "
        "total_incl_cents, lines, created_at) VALUES ('d-old', 'ent-1', 'INVOICE', "
        "'FAC-2026-000001', '2026-01-15', '2026-02-14', '', '', '', '', 0, 1200, "
        '\'[{"label": "Cartes", "quantity": 1, "unit_price_cents": 1000, '
        "\"vat_rate_bp\": 2000}]', '2026-01-15 10:00:00')",
    )
    try:
        async with db.transaction() as s:
            old = await Repository().documents.get(s, "d-old", None)
        assert old is not None and old.source_key == "" and old.totals.incl_cents == 1200
    finally:
        await db.dispose()
