"""Orders (unit mode, duplication, submit, cancel, history), production and the
InvoiceSettled consumer, against a real (SQLite) database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.billing.v1 import events_pb2 as billing_events
from portal.common.v1 import types_pb2
from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.ordering.domain.orders import LoadOutcome
from services.ordering.domain.references import is_valid_rf
from services.ordering.handlers import invoice_settled_handler
from services.ordering.usecases import beneficiaries as catalog
from services.ordering.usecases import delivery_points as points
from services.ordering.usecases import orders, production

from .conftest import World
from .helpers import draft, person, point


async def pay(world: World, order_id: str, cents: int, event_id: str = "ev-1", entity="ent-acme"):
    """Billing settled the order's invoice (of `cents`)."""
    handler = invoice_settled_handler(world.deps)
    event = billing_events.InvoiceSettled(
        event_id=event_id,
        entity_id=entity,
        document_id="inv-1",
        document_number="FAC-2026-000001",
        order_id=order_id,
        total_incl_tax=types_pb2.Money(amount_cents=cents, currency="EUR"),
    )
    async with world.db.transaction() as s:
        await handler(s, event)


async def test_unit_order_totals_and_numbers(world: World) -> None:
    order, hq, people = await draft(world, amounts=(5000, 2500))
    row = order
    assert row.status == "DRAFT" and row.source == "UNIT" and row.delivery_point_id == hq.id
    assert row.number == "CMD-2026-000001"
    assert row.total_cents == 5000 + 2500 + 2 * 500 + 200  # + 20 % VAT on the fees
    assert [line.employee_number for line in order.lines] == ["E-0", "E-1"]
    second = await orders.create_order(
        world.deps, world.acme, hq.id, [orders.LineInput(people[0].id, False, 1000)]
    )
    assert second.number == "CMD-2026-000002" and second.total_cents == 1000


async def test_create_order_bad_input(world: World) -> None:
    hq = await point(world)
    ada = await person(world)
    with pytest.raises(NotFound):
        await orders.create_order(
            world.deps, world.acme, "nope", [orders.LineInput(ada.id, 1, 500)]
        )
    with pytest.raises(InvalidArgument) as err:
        await orders.create_order(
            world.deps, world.acme, hq.id,
            [orders.LineInput(ada.id, False, 50), orders.LineInput(ada.id, False, 500)],
        )  # fmt: skip
    fields = {v.field for v in err.value.violations}
    assert fields == {"lines[0].loadAmountCents", "lines[1].beneficiaryId"}
    with pytest.raises(PermissionDenied):
        await orders.get_order(world.deps, world.operator, "x")


async def test_submit_transfer_fills_instructions_and_publishes(world: World) -> None:
    order, _, _ = await draft(world)
    with pytest.raises(InvalidArgument) as err:
        await orders.submit_order(world.deps, world.acme, order.id, "CHEQUE")
    assert err.value.violations[0].field == "paymentMethod"
    submitted = await orders.submit_order(world.deps, world.acme, order.id, "TRANSFER")
    row = submitted
    assert row.status == "AWAITING_PAYMENT" and row.payment_method == "TRANSFER"
    assert row.transfer_iban == "FR7630006000011234567890189" and row.transfer_bic == "AGRIFRPP"
    assert row.transfer_holder == "Portail Demo" and is_valid_rf(row.transfer_reference)
    [event] = await world.events("OrderSubmitted")
    assert (event.order_id, event.amount.amount_cents) == (row.id, row.total_cents)
    assert event.transfer_reference == row.transfer_reference
    assert (event.transfer_iban, event.transfer_bic) == (row.transfer_iban, row.transfer_bic)
    assert event.transfer_holder == "Portail Demo"
    assert [h.status for h in submitted.history] == ["DRAFT", "AWAITING_PAYMENT"]
    with pytest.raises(FailedPrecondition):
        await orders.submit_order(world.deps, world.acme, order.id, "CARD")
    with pytest.raises(NotFound):
        await orders.submit_order(world.deps, world.globex, order.id, "CARD")


async def test_invoice_settled_twice_publishes_one_order_paid(world: World) -> None:
    order, _, _ = await draft(world)
    await orders.submit_order(world.deps, world.acme, order.id, "CARD")
    total = order.total_cents
    await pay(world, order.id, total, entity="ent-globex")  # another entity: ignored
    seen = await orders.get_order(world.deps, world.acme, order.id)
    assert seen.order.status == "AWAITING_PAYMENT"
    await pay(world, order.id, total, "ev-2")
    await pay(world, order.id, total, "ev-3")
    paid = (await orders.get_order(world.deps, world.acme, order.id)).order
    assert paid.status == "PAID" and paid.invoice_id == "inv-1"
    [event] = await world.events("OrderPaid")
    assert (event.entity_id, event.order_id, event.amount.amount_cents) == (
        "ent-acme", order.id, total,
    )  # fmt: skip


async def test_cancel_before_production_only(world: World) -> None:
    order, _, _ = await draft(world)
    cancelled = await orders.cancel_order(world.deps, world.acme, order.id)
    assert cancelled.status == "CANCELLED"
    assert [e.order_id for e in await world.events("OrderCancelled")] == [order.id]
    hq = (await points.list_delivery_points(world.deps, world.acme, 0, ""))[0][0]
    ada = await person(world, "E-7")
    second = await orders.create_order(
        world.deps, world.acme, hq.id, [orders.LineInput(ada.id, True, 1000)]
    )
    await orders.submit_order(world.deps, world.acme, second.id, "CARD")
    await pay(world, second.id, second.total_cents)
    await production.start_production(world.deps, world.operator, second.id)
    with pytest.raises(FailedPrecondition) as err:
        await orders.cancel_order(world.deps, world.acme, second.id)
    assert err.value.reason == "ORDER_NOT_CANCELLABLE"


async def test_duplicate_skips_deleted_beneficiaries(world: World) -> None:
    order, _, people = await draft(world, amounts=(5000, 2500))
    await catalog.delete_beneficiary(world.deps, world.acme, people[0].id)
    copy = await orders.duplicate_order(world.deps, world.acme, order.id)
    assert copy.source == "DUPLICATE" and copy.status == "DRAFT"
    assert [(x.beneficiary_id, x.load_amount_cents) for x in copy.lines] == [(people[1].id, 2500)]
    await catalog.delete_beneficiary(world.deps, world.acme, people[1].id)
    with pytest.raises(FailedPrecondition):
        await orders.duplicate_order(world.deps, world.acme, order.id)
    with pytest.raises(NotFound):
        await orders.duplicate_order(world.deps, world.globex, order.id)


async def test_list_orders_filters(world: World) -> None:
    first, hq, people = await draft(world)
    world.clock.advance(timedelta(days=2))  # 2026-03-12
    second = await orders.create_order(
        world.deps, world.acme, hq.id, [orders.LineInput(people[0].id, False, 1000)]
    )
    await orders.submit_order(world.deps, world.acme, second.id, "CARD")

    async def numbers(**kw) -> list[str]:
        args = {"status": "", "date_from": "", "date_to": "", "page_size": 0, "page_token": ""}
        found, _ = await orders.list_orders(world.deps, world.acme, **{**args, **kw})
        return [d.order.number for d in found]

    assert await numbers() == [second.number, first.number]
    assert await numbers(status="DRAFT") == [first.number]
    assert await numbers(date_from="2026-03-11") == [second.number]
    assert await numbers(date_to="2026-03-10") == [first.number]
    assert await numbers(date_from="2026-03-10", date_to="2026-03-12") == [
        second.number, first.number,
    ]  # fmt: skip
    with pytest.raises(InvalidArgument) as err:
        await numbers(date_from="10/03/2026", date_to="2026-02-30")
    assert [v.field for v in err.value.violations] == ["from", "to"]
    found, _ = await orders.list_orders(
        world.deps, world.globex, status="", date_from="", date_to="", page_size=0, page_token=""
    )
    assert found == []


async def test_production_shipping_delivery_and_loads(world: World) -> None:
    order, _, people = await draft(world, amounts=(5000, 2500))
    order_id = order.id
    await orders.submit_order(world.deps, world.acme, order_id, "CARD")
    with pytest.raises(PermissionDenied):
        await production.start_production(world.deps, world.acme, order_id)
    with pytest.raises(FailedPrecondition):
        await production.start_production(world.deps, world.operator, order_id)
    await pay(world, order_id, order.total_cents)
    await production.start_production(world.deps, world.operator, order_id)
    with pytest.raises(InvalidArgument) as err:
        await production.ship_order(world.deps, world.operator, order_id, "", "javascript:x")
    assert {v.field for v in err.value.violations} == {"carrier", "trackingUrl"}
    shipped = await production.ship_order(
        world.deps, world.operator, order_id, "La Poste", "https://track.example/123"
    )
    assert shipped.status == "SHIPPED" and [s.label for s in shipped.stages] == ["Picked up"]
    staged = await production.add_delivery_stage(
        world.deps, world.operator, order_id, "In transit", "Lyon"
    )
    assert [s.location for s in staged.stages] == ["", "Lyon"]
    lines = shipped.lines
    loaded = await production.record_loads(
        world.deps,
        world.operator,
        order_id,
        [
            LoadOutcome(lines[0].id, True),
            LoadOutcome(lines[1].id, False, "card blocked"),
        ],
    )
    assert [x.load_status for x in loaded.lines] == ["LOADED", "FAILED"]
    assert loaded.lines[1].load_error == "card blocked"
    assert (await catalog.get_beneficiary(world.deps, world.acme, people[0].id)).has_card
    assert not (await catalog.get_beneficiary(world.deps, world.acme, people[1].id)).has_card
    [event] = await world.events("CardsLoaded")
    assert (event.lines_loaded, event.lines_failed, event.amount_loaded.amount_cents) == (
        1,
        1,
        5000,
    )
    delivered = await production.deliver_order(world.deps, world.operator, order_id)
    assert delivered.status == "DELIVERED"
    assert [e.carrier for e in await world.events("OrderShipped")] == ["La Poste"]
    assert len(await world.events("OrderDelivered")) == 1
    with pytest.raises(InvalidArgument):
        await production.record_loads(
            world.deps, world.operator, order_id, [LoadOutcome("nope", True)]
        )
