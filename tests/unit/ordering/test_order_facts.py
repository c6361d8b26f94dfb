"""The facts an order's state changes return: built from the order's own data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.ordering.domain import facts
from services.ordering.domain.orders import (
    Action,
    LoadOutcome,
    LoadStatus,
    OrderLine,
    OrderSource,
    OrderStatus,
    PaymentMethod,
    TransferAccount,
    new_order,
    parse_payment_method,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACCOUNT = TransferAccount(iban="FR7630006000011234567890189", bic="AGRIFRPP", holder="ACME")


def _order(card_fee_cents: int = 500):
    lines = [
        OrderLine("b1", new_card=True, load_amount_cents=5_000, id="l1"),
        OrderLine("b2", new_card=False, load_amount_cents=2_500, id="l2"),
        OrderLine("b3", new_card=True, load_amount_cents=1_000, id="l3"),
    ]
    return new_order(id="o-1", entity_id="e-1", number="CMD-2026-000042",
                     source=OrderSource.UNIT, delivery_point_id="dp1", lines=lines, now=NOW,
                     card_fee_cents=card_fee_cents)  # fmt: skip


def test_lines_are_numbered_in_order() -> None:
    assert [line.position for line in _order().lines] == [0, 1, 2]


def test_submit_by_transfer_fills_the_instructions_and_tells_everything() -> None:
    order = _order()
    fact = order.submit(PaymentMethod.TRANSFER, ACCOUNT, NOW + timedelta(hours=1))
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.updated_at == NOW + timedelta(hours=1)
    assert order.transfer_reference == "RF022026000042" == fact.transfer_reference
    assert fact == facts.OrderSubmitted(
        order_id="o-1", entity_id="e-1", number="CMD-2026-000042", amount_cents=9_700,
        payment_method="TRANSFER", transfer_reference="RF022026000042",
        transfer_iban=ACCOUNT.iban, transfer_bic=ACCOUNT.bic, transfer_holder="ACME",
        loads_cents=8_500, new_cards=2, card_fee_cents=500, card_fee_vat_bp=2000,
    )  # fmt: skip


def test_new_cards_are_counted_even_without_a_fee() -> None:
    fact = _order(card_fee_cents=0).submit(PaymentMethod.CARD, ACCOUNT, NOW)
    assert (fact.new_cards, fact.amount_cents, fact.transfer_iban) == (2, 8_500, "")


def test_payment_method_is_card_or_transfer() -> None:
    assert parse_payment_method(" transfer ") is PaymentMethod.TRANSFER
    with pytest.raises(InvalidArgument) as err:
        parse_payment_method("CHEQUE")
    assert err.value.violations[0].field == "paymentMethod"


def test_paid_cancelled_shipped_delivered() -> None:
    order = _order()
    order.submit(PaymentMethod.CARD, ACCOUNT, NOW)
    assert order.mark_paid("inv-1", NOW) == facts.OrderPaid("o-1", "e-1", 9_700)
    assert order.invoice_id == "inv-1"
    order.start_production(NOW)
    with pytest.raises(FailedPrecondition):
        order.add_stage("In transit", "Lyon", NOW)
    shipped = order.ship("La Poste", "https://track.example/1", NOW)
    assert shipped == facts.OrderShipped(
        "o-1", "e-1", "CMD-2026-000042", "La Poste", "https://track.example/1"
    )
    order.add_stage("In transit", "Lyon", NOW)
    assert [(x.label, x.location) for x in order.stages] == [
        ("Picked up", ""),
        ("In transit", "Lyon"),
    ]
    assert order.deliver(NOW) == facts.OrderDelivered("o-1", "e-1", "CMD-2026-000042")
    assert _order().cancel(NOW) == facts.OrderCancelled("o-1", "e-1", "CMD-2026-000042")


def test_recorded_loads_count_each_reported_line_once() -> None:
    order = _order()
    for action in (Action.SUBMIT, Action.MARK_PAID, Action.START_PRODUCTION):
        order.apply(action, NOW)
    later = NOW + timedelta(days=1)
    fact = order.record_loads(
        [LoadOutcome("l1", False, "blocked"), LoadOutcome("l2", True), LoadOutcome("l1", True)],
        later,
    )
    assert fact == facts.CardsLoaded(
        order_id="o-1", entity_id="e-1", number="CMD-2026-000042", lines_loaded=2,
        lines_failed=0, amount_loaded_cents=7_500, new_card_holders=("b1",),
    )  # fmt: skip
    assert [line.load_status for line in order.lines] == [
        LoadStatus.LOADED, LoadStatus.LOADED, LoadStatus.PENDING,
    ]  # fmt: skip
    assert [line.loaded_at for line in order.lines] == [later, later, None]
    with pytest.raises(InvalidArgument):
        order.record_loads([LoadOutcome("nope", True)], later)
