"""Assets' events, billed. QuoteAccepted: one invoice with the quote's lines,
its and the order's numbers and the customer's purchase-order reference, at
exactly the quote's totals (another total refuses the event), once per quote
however often and under whatever event id it comes. ParkingMonthClosed: one
statement per contract with extra exits (extra x price over the month), none
for a statement without, once per statement."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.exc import IntegrityError

from portal.assets.v1 import events_pb2 as assets_events
from portal.identity.v1 import events_pb2 as identity_events
from portal_runtime.consumer import EventConsumer
from portal_runtime.errors import InvalidArgument
from services.billing import convert
from services.billing.domain.documents import Document, DocumentType, Line
from services.billing.domain.parking_statements import month_period, parking_statement_source
from services.billing.handlers import (
    account_updated_handler,
    parking_month_closed_handler,
    quote_accepted_handler,
    subscriptions,
)
from services.billing.store import Repository
from services.billing.usecases.documents import credit, document_pdf, issue

from .conftest import World
from .helpers import upgraded_database

PUMP = assets_events.AcceptedQuoteLine(
    label="Pompe hydraulique", quantity=1, unit_price_cents=102880, vat_rate_bp=2000
)
LABOUR = assets_events.AcceptedQuoteLine(
    label="Main d'oeuvre (heures)", quantity=3, unit_price_cents=6545, vat_rate_bp=2000
)
SEALS = assets_events.AcceptedQuoteLine(
    label="Kit de joints", quantity=7, unit_price_cents=735, vat_rate_bp=1000
)
# By hand: at 20 %, 1028.80 + 3 x 65.45 = 1225.15, VAT 245.03; at 10 %,
# 7 x 7.35 = 51.45, VAT 5.145 rounded half-up to 5.15 (once for the rate).
EXCL, TAX = 122515 + 5145, 24503 + 515
INCL = EXCL + TAX  # 1526.78
HEADING = (
    "Devis / quote DEV-2026-000012 - commande / order CMD-2026-000034 : Remplacement de la pompe"
)


def accepted(
    quote_id: str = "q-1",
    *,
    event_id: str = "",
    lines: tuple[assets_events.AcceptedQuoteLine, ...] = (PUMP, LABOUR, SEALS),
    totals: tuple[int, int, int] = (EXCL, TAX, INCL),
) -> assets_events.QuoteAccepted:
    return assets_events.QuoteAccepted(
        event_id=event_id or f"ev-{quote_id}",
        entity_id="ent-acme",
        quote_id=quote_id,
        number="DEV-2026-000012",
        order_number="CMD-2026-000034",
        purchase_order_reference=" PO-7781 ",
        title="Remplacement de la pompe",
        lines=list(lines),
        total_excl_tax_cents=totals[0],
        total_tax_cents=totals[1],
        total_incl_tax_cents=totals[2],
        user_id="u-acme",
    )


def statement(
    n: int, *, entity: str, extra: int, price: int = 250, vat: int = 2000, amount: int | None = None
) -> assets_events.ParkingStatementLine:
    return assets_events.ParkingStatementLine(
        statement_id=f"st-{n}",
        entity_id=entity,
        contract_number=f"PK-{n:04d}",
        car_park="Bellecour",
        exits=20 + extra,
        included_exits=20,
        extra_exits=extra,
        extra_exit_price_cents=price,
        amount_excl_tax_cents=extra * price if amount is None else amount,
        vat_rate_bp=vat,
    )


def month_closed(
    *statements: assets_events.ParkingStatementLine, event_id: str = "ev-month"
) -> assets_events.ParkingMonthClosed:
    return assets_events.ParkingMonthClosed(
        event_id=event_id, month="2026-02", statements=list(statements)
    )


THREE_STATEMENTS = (
    statement(1, entity="ent-acme", extra=4, price=250),
    statement(2, entity="ent-acme", extra=0, price=250),
    statement(3, entity="ent-globex", extra=13, price=185, vat=1000),
)


async def _documents(world: World, entity: str = "ent-acme") -> list[Document]:
    async with world.db.transaction() as s:
        views = await world.deps.repo.documents.find(s, entity, kept_since=date(2000, 1, 1))
    return [v.document for v in views]


def _consumer(world: World, event_type: type) -> EventConsumer:
    """The consumer billing's bootstrap subscribes (inbox included); no bus needed
    to apply an event."""
    return EventConsumer(
        service="billing",
        db=world.db,
        bus=None,  # type: ignore[arg-type]
        event_type=event_type,
        handler=subscriptions(world.deps)[event_type],
    )


# --- QuoteAccepted ------------------------------------------------------------------


async def test_an_accepted_quote_makes_one_invoice_at_its_exact_totals(world: World) -> None:
    await world.handle(
        account_updated_handler,
        identity_events.AccountUpdated(
            event_id="a1", entity_id="ent-acme", name="ACME", contract_numbers=["CTR-1"]
        ),
    )
    await world.handle(quote_accepted_handler, accepted())

    [invoice] = await _documents(world)
    assert invoice.type is DocumentType.INVOICE and invoice.number == "FAC-2026-000001"
    assert invoice.source_key == "quote:q-1" and invoice.order_id == ""
    assert invoice.purchase_order_reference == "PO-7781"
    assert invoice.contract_number == "CTR-1"
    assert invoice.lines == (
        Line(HEADING, 1, 0, 2000),
        Line("Pompe hydraulique", 1, 102880, 2000),
        Line("Main d'oeuvre (heures)", 3, 6545, 2000),
        Line("Kit de joints", 7, 735, 1000),
    )
    assert invoice.totals.excl_cents == 127660
    assert dict(invoice.totals.tax_by_rate) == {2000: 24503, 1000: 515}
    assert invoice.totals.incl_cents == 152678
    # Payable like any invoice: nothing paid, due after the payment term.
    assert invoice.payment_status == "UNPAID" and invoice.remaining_cents == 152678
    issued_on = world.clock.now.date()
    assert invoice.issue_date == issued_on and invoice.due_date == issued_on + timedelta(days=30)
    [event] = await world.events("DocumentIssued")
    assert event.document_id == invoice.id and event.type == "INVOICE"
    assert event.total_incl_tax.amount_cents == 152678


async def test_the_purchase_order_and_numbers_are_on_the_api_document_and_its_pdf(
    world: World,
) -> None:
    await world.handle(quote_accepted_handler, accepted())
    async with world.db.transaction() as s:
        [view] = await world.deps.repo.documents.find(s, "ent-acme", kept_since=date(2000, 1, 1))
    message = convert.document(view)
    assert message.purchase_order_reference == "PO-7781"
    assert message.lines[0].label == HEADING
    assert message.total_incl_tax.amount_cents == INCL

    pdf = await document_pdf(world.deps, world.acme, view.document.id)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Votre bon de commande: PO-7781" in text
    # The long label wraps in its row instead of being cut.
    for fact in ("DEV-2026-000012", "CMD-2026-000034", "Remplacement de la pompe", "1 526,78 EUR"):
        assert fact in text, fact


async def test_the_credit_note_of_a_quotes_invoice_names_the_purchase_order(
    world: World,
) -> None:
    await world.handle(quote_accepted_handler, accepted())
    [invoice] = await _documents(world)
    async with world.db.transaction() as s:
        note = await credit(world.deps, s, invoice)
    assert note.purchase_order_reference == "PO-7781" and note.source_key == ""


async def test_the_same_event_twice_issues_one_invoice(world: World) -> None:
    consumer = _consumer(world, assets_events.QuoteAccepted)
    event = accepted()
    assert await consumer.apply(event.event_id, event) is True
    assert await consumer.apply(event.event_id, event) is False  # the inbox
    await world.handle(quote_accepted_handler, event)  # past the inbox: the source
    assert len(await _documents(world)) == 1
    assert len(await world.events("DocumentIssued")) == 1


async def test_the_same_quote_under_another_event_id_issues_one_invoice(world: World) -> None:
    consumer = _consumer(world, assets_events.QuoteAccepted)
    first, again = accepted(event_id="ev-first"), accepted(event_id="ev-republished")
    assert await consumer.apply(first.event_id, first) is True
    assert await consumer.apply(again.event_id, again) is True  # a new id: handled...
    assert len(await _documents(world)) == 1  # ...and billed nothing
    assert len(await world.events("DocumentIssued")) == 1


async def test_each_quote_is_invoiced_on_its_own(world: World) -> None:
    await world.handle(quote_accepted_handler, accepted("q-1"))
    await world.handle(
        quote_accepted_handler, accepted("q-2", lines=(SEALS,), totals=(5145, 515, 5660))
    )
    invoices = await _documents(world)
    assert sorted(i.source_key for i in invoices) == ["quote:q-1", "quote:q-2"]
    assert sorted(i.totals.incl_cents for i in invoices) == [5660, INCL]


async def test_totals_billing_computes_otherwise_refuse_the_event(world: World) -> None:
    """The event says 1 cent more VAT than billing's rule (VAT once per rate,
    half-up) makes of the lines: nothing is invoiced."""
    with pytest.raises(InvalidArgument) as err:
        await world.handle(quote_accepted_handler, accepted(totals=(EXCL, TAX + 1, INCL + 1)))
    assert err.value.reason == "QUOTE_TOTALS_MISMATCH"
    assert [v.field for v in err.value.violations] == ["totalTaxCents", "totalInclTaxCents"]
    assert f"the quote's lines total {TAX} cents" in err.value.violations[0].description
    assert await _documents(world) == []
    assert await world.events("DocumentIssued") == []


async def test_the_refused_event_goes_through_the_consumer_as_a_failure(world: World) -> None:
    """The consumer lets the error through (retried, then a dead letter) and
    records nothing in its inbox: a corrected copy is still handled."""
    consumer = _consumer(world, assets_events.QuoteAccepted)
    wrong = accepted(event_id="ev-wrong", totals=(EXCL + 1, TAX, INCL + 1))
    with pytest.raises(InvalidArgument):
        await consumer.apply(wrong.event_id, wrong)
    right = accepted(event_id="ev-right")
    assert await consumer.apply(right.event_id, right) is True
    [invoice] = await _documents(world)
    assert invoice.totals.incl_cents == INCL


async def test_a_line_that_cannot_be_invoiced_is_named(world: World) -> None:
    bad = assets_events.AcceptedQuoteLine(
        label=" ", quantity=0, unit_price_cents=-5, vat_rate_bp=1234
    )
    with pytest.raises(InvalidArgument) as err:
        await world.handle(quote_accepted_handler, accepted(lines=(PUMP, bad)))
    assert [v.field for v in err.value.violations] == [
        "lines[1].label",
        "lines[1].quantity",
        "lines[1].unitPriceExclTax",
        "lines[1].vatRateBp",
    ]
    assert await _documents(world) == []


# --- ParkingMonthClosed --------------------------------------------------------------


async def test_a_closed_month_issues_a_statement_per_contract_with_extra_exits(
    world: World,
) -> None:
    await world.handle(parking_month_closed_handler, month_closed(*THREE_STATEMENTS))

    [acme] = await _documents(world, "ent-acme")  # st-2 had no extra exit
    assert acme.type is DocumentType.STATEMENT and acme.number == "REL-2026-000001"
    assert acme.source_key == "parking-statement:st-1" and acme.contract_number == "PK-0001"
    assert (acme.period_start, acme.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert acme.lines == (
        Line("Sorties supplémentaires 02/2026 - 4 x 2,50 € / extra exits", 4, 250, 2000),
    )
    # 4 x 2.50 = 10.00, VAT 20 % = 2.00.
    assert (acme.totals.excl_cents, acme.totals.tax_cents, acme.totals.incl_cents) == (
        1000,
        200,
        1200,
    )
    assert acme.due_date == acme.issue_date and acme.remaining_cents == 0  # not an invoice

    [globex] = await _documents(world, "ent-globex")
    assert globex.number == "REL-2026-000002" and globex.contract_number == "PK-0003"
    assert globex.lines == (
        Line("Sorties supplémentaires 02/2026 - 13 x 1,85 € / extra exits", 13, 185, 1000),
    )
    # 13 x 1.85 = 24.05, VAT 10 % = 2.405 rounded half-up to 2.41.
    assert (globex.totals.excl_cents, globex.totals.tax_cents, globex.totals.incl_cents) == (
        2405,
        241,
        2646,
    )
    issued = await world.events("DocumentIssued")
    assert sorted((e.entity_id, e.type, e.total_incl_tax.amount_cents) for e in issued) == [
        ("ent-acme", "STATEMENT", 1200),
        ("ent-globex", "STATEMENT", 2646),
    ]


async def test_a_closed_month_delivered_twice_issues_each_statement_once(world: World) -> None:
    consumer = _consumer(world, assets_events.ParkingMonthClosed)
    event = month_closed(*THREE_STATEMENTS)
    assert await consumer.apply(event.event_id, event) is True
    assert await consumer.apply(event.event_id, event) is False  # the inbox
    again = month_closed(*THREE_STATEMENTS, event_id="ev-month-again")
    assert await consumer.apply(again.event_id, again) is True  # handled, issues nothing
    documents = await _documents(world, "ent-acme") + await _documents(world, "ent-globex")
    assert sorted(d.source_key for d in documents) == [
        "parking-statement:st-1",
        "parking-statement:st-3",
    ]
    assert len(await world.events("DocumentIssued")) == 2


async def test_a_month_without_extra_exits_issues_nothing(world: World) -> None:
    await world.handle(
        parking_month_closed_handler,
        month_closed(statement(1, entity="ent-acme", extra=0), statement(2, entity="", extra=0)),
    )
    assert await _documents(world) == []
    assert await world.events("DocumentIssued") == []


async def test_an_amount_that_is_not_extra_exits_times_price_refuses_the_whole_event(
    world: World,
) -> None:
    with pytest.raises(InvalidArgument) as err:
        await world.handle(
            parking_month_closed_handler,
            month_closed(
                statement(1, entity="ent-acme", extra=4, price=250),
                statement(3, entity="ent-globex", extra=13, price=185, amount=2400),
            ),
        )
    assert err.value.reason == "PARKING_AMOUNT_MISMATCH"
    [violation] = err.value.violations
    assert violation.field == "statements[1].amountExclTaxCents"
    assert "make 2405 cents" in violation.description
    assert await _documents(world) == [] and await _documents(world, "ent-globex") == []


async def test_a_statement_that_cannot_be_issued_is_named(world: World) -> None:
    bad = assets_events.ParkingStatementLine(
        statement_id="", entity_id="ent-acme", contract_number="", extra_exits=2,
        extra_exit_price_cents=-1, amount_excl_tax_cents=-2, vat_rate_bp=1234,
    )  # fmt: skip
    negative = statement(2, entity="ent-acme", extra=-1)
    with pytest.raises(InvalidArgument) as err:
        await world.handle(parking_month_closed_handler, month_closed(bad, negative))
    assert [v.field for v in err.value.violations] == [
        "statements[0].contractNumber",
        "statements[0].extraExitPriceCents",
        "statements[0].vatRateBp",
        "statements[0].statementId",
        "statements[1].extraExits",
    ]
    assert await _documents(world) == []


def test_the_period_is_the_whole_month() -> None:
    assert month_period("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_period("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    for wrong in ("2026-13", "2026-2", "02/2026", ""):
        with pytest.raises(InvalidArgument) as err:
            month_period(wrong)
        assert [v.field for v in err.value.violations] == ["month"]


async def test_the_store_refuses_a_second_statement_of_the_same_source(world: World) -> None:
    """Two copies handled at the same moment both miss the lookup: the unique
    source refuses the second insert."""
    lines = (Line("Sorties supplémentaires", 1, 250, 2000),)
    source = parking_statement_source("st-1")
    async with world.db.transaction() as s:
        await issue(
            world.deps, s, entity_id="ent-acme", doc_type=DocumentType.STATEMENT,
            lines=lines, source_key=source,
        )  # fmt: skip
    with pytest.raises(IntegrityError):
        async with world.db.transaction() as s:
            await issue(
                world.deps, s, entity_id="ent-acme", doc_type=DocumentType.STATEMENT,
                lines=lines, source_key=source,
            )  # fmt: skip
    assert len(await _documents(world)) == 1


async def test_documents_from_before_the_migration_have_no_purchase_order(
    tmp_path: Path,
) -> None:
    db = await upgraded_database(
        tmp_path / "billing.db",
        "0006",
        "INSERT INTO documents (id, entity_id, type, number, issue_date, due_date, "
        "contract_number, order_id, credits_document_id, credited_by_id, paid_cents, "
        "total_incl_cents, lines, created_at, source_key) VALUES ('d-old', 'ent-1', "
        "'INVOICE', 'FAC-2026-000001', '2026-01-15', '2026-02-14', '', '', '', '', 0, 1200, "
        '\'[{"label": "Cartes", "quantity": 1, "unit_price_cents": 1000, '
        "\"vat_rate_bp\": 2000}]', '2026-01-15 10:00:00', 'fleet-request:r-1')",
    )
    try:
        async with db.transaction() as s:
            old = await Repository().documents.get(s, "d-old", None)
        assert old is not None and old.purchase_order_reference == ""
        assert old.source_key == "fleet-request:r-1"
    finally:
        await db.dispose()
