"""Quotes' use cases against a real migrated SQLite: issuing, lists (filters,
sorts, expiry by the clock's date, paging), entity isolation, accepting once
(even concurrently), declining, the PDF, and the account projection."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from datetime import UTC, date, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from pypdf import PdfReader
from sqlalchemy import Date, DateTime, Integer, Table, insert

from portal.assets.v1 import events_pb2
from portal.identity.v1 import events_pb2 as identity_events
from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.assets.domain.quotes import LineInput, QuoteStatus
from services.assets.handlers import subscriptions
from services.assets.store.equipment_tables import equipment
from services.assets.store.request_tables import service_requests
from services.assets.usecases import quotes
from tests.support.outbox import outbox_events
from tests.unit.assets.conftest import World


def lines(*specs: tuple[int, int, int]) -> list[LineInput]:
    return [
        LineInput(label=f"Ligne {i}", quantity=qty, unit_price_cents=price, vat_rate_bp=rate)
        for i, (qty, price, rate) in enumerate(specs)
    ]


async def issue(world: World, *, entity: str = "ent-acme", until: str = "2026-04-10", **kw):
    values: dict = {"title": "Révision annuelle", "lines": lines((1, 10_000, 2000))}
    values.update(kw)
    view = await quotes.issue_quote(
        world.deps, world.operator, entity_id=entity, valid_until=until, **values
    )
    return view.quote


async def events(world: World, name: str) -> list:
    return await outbox_events(world.db, events_pb2, name)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---- issuing -------------------------------------------------------------------------


async def test_an_operator_issues_numbered_quotes_with_exact_totals(world: World) -> None:
    first = await issue(world, lines=lines((3, 1999, 2000), (2, 1001, 2000), (1, 125, 1000)))
    second = await issue(world)
    assert (first.number, second.number) == ("DEV-2026-000001", "DEV-2026-000002")
    stored = (await quotes.get_quote(world.deps, world.acme, first.id)).quote
    assert stored.lines == first.lines
    assert (stored.totals.excl_cents, stored.totals.tax_cents, stored.totals.incl_cents) == (
        8124,
        1613,
        9737,
    )
    issued = await events(world, "QuoteIssued")
    assert [(e.number, e.total_incl_tax_cents, e.valid_until) for e in issued] == [
        ("DEV-2026-000001", 9737, "2026-04-10"),
        ("DEV-2026-000002", 12_000, "2026-04-10"),
    ]


async def test_only_operators_issue_and_bad_input_writes_nothing(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await quotes.issue_quote(
            world.deps,
            world.acme,
            entity_id="ent-acme",
            title="x",
            lines=lines((1, 1, 2000)),
            valid_until="2026-04-10",
        )
    with pytest.raises(InvalidArgument) as refused:
        await issue(world, until="2026-03-09", lines=lines((0, 100, 2000)))
    fields = {v.field for v in refused.value.violations}
    assert fields == {"validUntil", "lines[0].quantity"}
    assert await events(world, "QuoteIssued") == []
    # The refused quote took no number.
    assert (await issue(world)).number == "DEV-2026-000001"


# ---- lists -------------------------------------------------------------------------


async def test_lists_filter_sort_and_page(world: World) -> None:
    small = await issue(world, lines=lines((1, 1_000, 2000)), until="2026-03-10")  # 12.00
    world.clock.advance(days=2)
    large = await issue(world, lines=lines((1, 50_000, 2000)), until="2026-05-01")  # 600.00
    world.clock.advance(days=2)
    middle = await issue(world, lines=lines((1, 20_000, 2000)), until="2026-04-01")  # 240.00
    await issue(world, entity="ent-globex")

    async def listed(**kw) -> list[str]:
        views, _ = await quotes.list_quotes(world.deps, world.acme, **kw)
        return [view.quote.number for view in views]

    assert await listed() == [middle.number, large.number, small.number]
    assert await listed(sort="issued") == [small.number, large.number, middle.number]
    assert await listed(sort="amount") == [small.number, middle.number, large.number]
    assert await listed(sort="-amount") == [large.number, middle.number, small.number]
    assert await listed(sort="validUntil") == [small.number, middle.number, large.number]
    assert await listed(min_amount_cents=24_000) == [middle.number, large.number]
    assert await listed(min_amount_cents=1_200, max_amount_cents=24_000) == [
        middle.number,
        small.number,
    ]
    assert await listed(date_from="2026-03-12", date_to="2026-03-12") == [large.number]
    assert await listed(date_to="2026-03-11") == [small.number]
    # The first quote's last day (2026-03-10) is past: EXPIRED, not PENDING.
    assert await listed(status=QuoteStatus.EXPIRED) == [small.number]
    assert await listed(status=QuoteStatus.PENDING) == [middle.number, large.number]

    first, token = await quotes.list_quotes(world.deps, world.acme, page_size=2)
    rest, end = await quotes.list_quotes(world.deps, world.acme, page_size=2, page_token=token)
    assert [v.quote.number for v in first + rest] == [middle.number, large.number, small.number]
    assert token and not end
    assert [v.status for v in first + rest] == [
        QuoteStatus.PENDING,
        QuoteStatus.PENDING,
        QuoteStatus.EXPIRED,
    ]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"date_from": "2026-13-01"}, "from"),
        ({"date_to": "yesterday"}, "to"),
        ({"sort": "price"}, "sort"),
        ({"min_amount_cents": -1}, "minAmountCents"),
    ],
)
async def test_bad_list_parameters_are_field_errors(world: World, kw: dict, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await quotes.list_quotes(world.deps, world.acme, **kw)
    assert field in {v.field for v in refused.value.violations}


async def test_another_entity_finds_nothing(world: World) -> None:
    found = await issue(world)
    assert (await quotes.list_quotes(world.deps, world.globex))[0] == []
    for call in (
        quotes.get_quote(world.deps, world.globex, found.id),
        quotes.quote_pdf(world.deps, world.globex, found.id),
        quotes.accept_quote(world.deps, world.globex, found.id, "PO-1"),
        quotes.decline_quote(world.deps, world.globex, found.id, "non"),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await quotes.get_quote(world.deps, world.acme, found.id)).status is QuoteStatus.PENDING


# ---- answers -------------------------------------------------------------------------


async def test_accepting_makes_one_order_and_tells_billing(world: World) -> None:
    found = await issue(world, lines=lines((2, 1250, 2000), (1, 125, 1000)))
    view = await quotes.accept_quote(world.deps, world.acme, found.id, " BC-77 ")
    assert view.status is QuoteStatus.ACCEPTED
    assert (view.quote.order_number, view.quote.purchase_order_reference) == (
        "CMD-2026-000001",
        "BC-77",
    )
    with pytest.raises(FailedPrecondition) as again:
        await quotes.accept_quote(world.deps, world.acme, found.id, "BC-78")
    assert again.value.reason == "QUOTE_ALREADY_ACCEPTED"
    with pytest.raises(FailedPrecondition) as decline:
        await quotes.decline_quote(world.deps, world.acme, found.id, "finalement non")
    assert decline.value.reason == "QUOTE_ALREADY_ACCEPTED"

    stored = (await quotes.get_quote(world.deps, world.acme, found.id)).quote
    assert (stored.order_number, stored.purchase_order_reference, stored.answered_by) == (
        "CMD-2026-000001",
        "BC-77",
        "u-acme",
    )
    [accepted] = await events(world, "QuoteAccepted")
    assert (accepted.order_number, accepted.purchase_order_reference, accepted.user_id) == (
        "CMD-2026-000001",
        "BC-77",
        "u-acme",
    )
    assert [(li.quantity, li.unit_price_cents, li.vat_rate_bp) for li in accepted.lines] == [
        (2, 1250, 2000),
        (1, 125, 1000),
    ]
    # 25.00 at 20 % -> 5.00; 1.25 at 10 % -> 0.125 -> 0.13.
    assert (
        accepted.total_excl_tax_cents,
        accepted.total_tax_cents,
        accepted.total_incl_tax_cents,
    ) == (2625, 513, 3138)


async def test_a_quote_is_acceptable_on_its_last_day_and_expired_after(world: World) -> None:
    last_day = await issue(world, until="2026-03-10")
    expiring = await issue(world, until="2026-03-10")
    world.clock.advance(hours=14)  # 23:00 the same day
    assert (await quotes.accept_quote(world.deps, world.acme, last_day.id, "PO-1")).status is (
        QuoteStatus.ACCEPTED
    )
    world.clock.advance(hours=1)  # 00:00 the next day
    assert (await quotes.get_quote(world.deps, world.acme, expiring.id)).status is (
        QuoteStatus.EXPIRED
    )
    for answer in (
        quotes.accept_quote(world.deps, world.acme, expiring.id, "PO-2"),
        quotes.decline_quote(world.deps, world.acme, expiring.id, "trop tard"),
    ):
        with pytest.raises(FailedPrecondition) as refused:
            await answer
        assert refused.value.reason == "QUOTE_EXPIRED"
    assert len(await events(world, "QuoteAccepted")) == 1
    assert await events(world, "QuoteDeclined") == []
    # The refusal consumed no order number.
    later = await issue(world, until="2026-03-20")
    assert (
        await quotes.accept_quote(world.deps, world.acme, later.id, "PO-3")
    ).quote.order_number == ("CMD-2026-000002")


async def test_declining_needs_a_reason_and_is_final(world: World) -> None:
    found = await issue(world)
    with pytest.raises(InvalidArgument):
        await quotes.decline_quote(world.deps, world.acme, found.id, "  ")
    view = await quotes.decline_quote(world.deps, world.acme, found.id, "Budget reporté")
    assert (view.status, view.quote.decline_reason) == (QuoteStatus.DECLINED, "Budget reporté")
    with pytest.raises(FailedPrecondition) as refused:
        await quotes.accept_quote(world.deps, world.acme, found.id, "PO-1")
    assert refused.value.reason == "QUOTE_DECLINED"
    [declined] = await events(world, "QuoteDeclined")
    assert (declined.number, declined.reason) == (found.number, "Budget reporté")
    assert await events(world, "QuoteAccepted") == []


async def test_two_managers_accepting_at_once_make_one_order(world: World) -> None:
    found = await issue(world)
    outcomes = await asyncio.gather(
        quotes.accept_quote(world.deps, world.acme, found.id, "PO-A"),
        quotes.accept_quote(world.deps, world.acme, found.id, "PO-B"),
        return_exceptions=True,
    )
    accepted = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(accepted) == 1 and len(refused) == 1
    assert isinstance(refused[0], FailedPrecondition)
    assert refused[0].reason == "QUOTE_ALREADY_ACCEPTED"
    [event] = await events(world, "QuoteAccepted")
    stored = (await quotes.get_quote(world.deps, world.acme, found.id)).quote
    assert event.purchase_order_reference == stored.purchase_order_reference
    assert stored.order_number == event.order_number == "CMD-2026-000001"


async def test_the_status_condition_holds_where_the_row_lock_does_not(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that let a second transaction read the quote as PENDING after
    the first accepted it: the conditional update still refuses the second."""
    found = await issue(world)
    stale = (await quotes.get_quote(world.deps, world.acme, found.id)).quote
    await quotes.accept_quote(world.deps, world.acme, found.id, "PO-A")

    real_get = world.deps.repo.quotes.get

    async def stale_when_locking(s, quote_id, entity_id, *, for_update=False):
        if for_update:
            return dataclasses.replace(stale)
        return await real_get(s, quote_id, entity_id)

    monkeypatch.setattr(world.deps.repo.quotes, "get", stale_when_locking)
    with pytest.raises(FailedPrecondition) as refused:
        await quotes.accept_quote(world.deps, world.acme, found.id, "PO-B")
    assert refused.value.reason == "QUOTE_ALREADY_ACCEPTED"
    monkeypatch.undo()
    stored = (await quotes.get_quote(world.deps, world.acme, found.id)).quote
    assert (stored.purchase_order_reference, stored.order_number) == ("PO-A", "CMD-2026-000001")
    assert len(await events(world, "QuoteAccepted")) == 1


# ---- PDF and the account projection ------------------------------------------------


def account_updated(entity: str, name: str, language: str, at: datetime):
    occurred = Timestamp()
    occurred.FromDatetime(at)
    return identity_events.AccountUpdated(
        event_id=f"ev-{name}",
        occurred_at=occurred,
        entity_id=entity,
        name=name,
        client_number="C-0042",
        language=language,
        billing_address_lines=["12 rue des Forges", "69007 Lyon"],
    )


async def deliver(world: World, event) -> None:
    handler = subscriptions(world.deps)[identity_events.AccountUpdated]
    async with world.db.transaction() as s:
        await handler(s, event)


async def test_the_pdf_prints_the_quote_for_the_customer_in_their_language(world: World) -> None:
    found = await issue(world, lines=lines((2, 123_456, 2000), (1, 125, 1000)))
    unknown = await quotes.quote_pdf(world.deps, world.acme, found.id)
    assert unknown.startswith(b"%PDF")
    text = pdf_text(unknown)
    # French by default, euros formatted the French way.
    assert "Devis DEV-2026-000001" in text and "Total TTC" in text
    # 2,469.12 + 20 % (493.82) + 1.25 + 10 % (0.13).
    assert "2 964,32 €" in text

    await deliver(
        world, account_updated("ent-acme", "Acme Industrie", "en", datetime(2026, 3, 1, tzinfo=UTC))
    )
    await quotes.accept_quote(world.deps, world.acme, found.id, "BC-2026-17")
    text = pdf_text(await quotes.quote_pdf(world.deps, world.acme, found.id))
    for expected in (
        "Quote DEV-2026-000001",
        "Acme Industrie",
        "C-0042",
        "69007 Lyon",
        "BC-2026-17",
        "CMD-2026-000001",
        "€2,964.32",
        "Accepted on 2026-03-10",
    ):
        assert expected in text, expected


async def test_the_newest_account_snapshot_wins(world: World) -> None:
    newer = account_updated("ent-acme", "Acme 2", "en", datetime(2026, 3, 2, tzinfo=UTC))
    older = account_updated("ent-acme", "Acme 1", "fr", datetime(2026, 3, 1, tzinfo=UTC))
    await deliver(world, newer)
    await deliver(world, older)
    async with world.db.transaction() as s:
        kept = await world.deps.repo.accounts.get(s, "ent-acme")
    assert kept is not None
    assert (kept.name, kept.language, kept.address_lines) == (
        "Acme 2",
        "en",
        ("12 rue des Forges", "69007 Lyon"),
    )


# ---- links to the service request and the machine --------------------------------


async def insert_row(world: World, table: Table, **given: object) -> None:
    """A row of another area's table with only what quotes look at (`id`,
    `entity_id`); other required columns get placeholder values."""
    placeholders = {Date: date(2026, 1, 1), DateTime: datetime(2026, 1, 1, tzinfo=UTC)}
    values = dict(given)
    for column in table.columns:
        if column.name in values or column.nullable:
            continue
        kind = type(column.type)
        found = next((v for k, v in placeholders.items() if issubclass(kind, k)), None)
        if found is None:
            found = 0 if issubclass(kind, Integer) else f"{column.name}-{given['id']}"[:32]
        values[column.name] = found
    async with world.db.transaction() as s:
        await s.execute(insert(table).values(**values))


async def test_links_must_be_the_customers_and_filter_the_list(world: World) -> None:
    await insert_row(world, equipment, id="eq-acme", entity_id="ent-acme")
    await insert_row(world, equipment, id="eq-globex", entity_id="ent-globex")
    await insert_row(world, service_requests, id="sr-acme", entity_id="ent-acme")
    linked = await issue(world, equipment_id="eq-acme", service_request_id="sr-acme")
    await issue(world)
    assert (linked.equipment_id, linked.service_request_id) == ("eq-acme", "sr-acme")
    with pytest.raises(InvalidArgument) as refused:
        await issue(world, equipment_id="eq-globex", service_request_id="sr-nope")
    assert {v.field for v in refused.value.violations} == {"equipmentId", "serviceRequestId"}

    views, _ = await quotes.list_quotes(world.deps, world.acme, equipment_id="eq-acme")
    assert [view.quote.id for view in views] == [linked.id]
    async with world.db.transaction() as s:
        history = await world.deps.repo.quotes.of_equipment(s, "ent-acme", "eq-acme")
    assert [quote.id for quote in history] == [linked.id]
