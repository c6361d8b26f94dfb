from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.ordering.domain import orders as domain
from services.ordering.domain.orders import (
    Action,
    LoadBounds,
    LoadStatus,
    OrderLine,
    OrderSource,
    OrderStatus,
    next_status,
)

S = OrderStatus
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def new_order(**values):  # the identity these rules do not look at
    return domain.new_order(id="o-1", entity_id="e-1", source=OrderSource.UNIT, **values)


ALLOWED = {
    (S.DRAFT, Action.SUBMIT): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, Action.MARK_PAID): S.PAID,
    (S.PAID, Action.START_PRODUCTION): S.IN_PRODUCTION,
    (S.IN_PRODUCTION, Action.SHIP): S.SHIPPED,
    (S.SHIPPED, Action.DELIVER): S.DELIVERED,
    (S.DRAFT, Action.CANCEL): S.CANCELLED,
    (S.AWAITING_PAYMENT, Action.CANCEL): S.CANCELLED,
    (S.PAID, Action.CANCEL): S.CANCELLED,
}


@pytest.mark.parametrize("status", list(OrderStatus), ids=lambda s: s.value)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
def test_transition_table(status: OrderStatus, action: Action) -> None:
    expected = ALLOWED.get((status, action))
    if expected is not None:
        assert next_status(status, action) is expected
        return
    with pytest.raises(FailedPrecondition) as excinfo:
        next_status(status, action)
    wanted = "ORDER_NOT_CANCELLABLE" if action is Action.CANCEL else "INVALID_ORDER_STATUS"
    assert excinfo.value.reason == wanted


def _lines() -> list[OrderLine]:
    return [
        OrderLine("b1", new_card=True, load_amount_cents=5_000),
        OrderLine("b2", new_card=False, load_amount_cents=12_345),
        OrderLine("b3", new_card=True, load_amount_cents=100),
    ]


def test_new_order_is_a_draft_with_totals_in_cents() -> None:
    order = new_order(number="CMD-2026-000001", delivery_point_id="dp1", lines=_lines(), now=NOW)
    assert order.status is S.DRAFT
    assert [(c.status, c.at) for c in order.history] == [(S.DRAFT, NOW)]
    assert order.loads_cents == 17_445
    assert order.new_cards == 2
    assert order.fees_cents == 1_000
    assert order.fees_tax_cents == 200  # 20 % on the fees; loads carry no VAT
    assert order.total_cents == 18_645
    assert order.is_open


def test_fee_vat_is_rounded_half_up_on_the_fees_sum() -> None:
    lines = [OrderLine(f"b{i}", new_card=True, load_amount_cents=1_000) for i in range(3)]
    order = new_order(number="N", delivery_point_id="dp1", lines=lines, now=NOW,
                      card_fee_cents=333, card_fee_vat_bp=550)  # fmt: skip
    # 999 x 5.5 % = 54.945 -> 55 (half-up on the sum, as the invoice computes it)
    assert order.fees_tax_cents == 55
    assert order.total_cents == 3_000 + 999 + 55


def test_card_fee_is_passed_in() -> None:
    order = new_order(
        number="N", delivery_point_id="dp1", lines=_lines(), now=NOW, card_fee_cents=0
    )
    assert order.total_cents == 17_445


def test_order_lifecycle_records_history() -> None:
    order = new_order(number="N", delivery_point_id="dp1", lines=_lines(), now=NOW)
    path = [Action.SUBMIT, Action.MARK_PAID, Action.START_PRODUCTION, Action.SHIP, Action.DELIVER]
    for hours, action in enumerate(path, start=1):
        order.apply(action, NOW + timedelta(hours=hours))
    assert [c.status for c in order.history] == [
        S.DRAFT,
        S.AWAITING_PAYMENT,
        S.PAID,
        S.IN_PRODUCTION,
        S.SHIPPED,
        S.DELIVERED,
    ]
    assert order.history[-1].at == NOW + timedelta(hours=5)
    assert not order.is_open


def test_cancel_after_production_is_refused_and_history_unchanged() -> None:
    order = new_order(number="N", delivery_point_id="dp1", lines=_lines(), now=NOW)
    for action in (Action.SUBMIT, Action.MARK_PAID, Action.START_PRODUCTION):
        order.apply(action, NOW)
    with pytest.raises(FailedPrecondition) as excinfo:
        order.apply(Action.CANCEL, NOW)
    assert excinfo.value.reason == "ORDER_NOT_CANCELLABLE"
    assert order.status is S.IN_PRODUCTION
    assert len(order.history) == 4


def test_an_order_needs_a_line_and_a_delivery_point() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        new_order(number="N", delivery_point_id="dp1", lines=[], now=NOW)
    assert [v.field for v in excinfo.value.violations] == ["lines"]
    with pytest.raises(InvalidArgument) as excinfo:
        new_order(number="N", delivery_point_id="", lines=_lines(), now=NOW)
    assert [v.field for v in excinfo.value.violations] == ["deliveryPointId"]


def test_a_beneficiary_appears_once_per_order() -> None:
    lines = [*_lines(), OrderLine("b1", new_card=False, load_amount_cents=1_000)]
    with pytest.raises(InvalidArgument) as excinfo:
        new_order(number="N", delivery_point_id="dp1", lines=lines, now=NOW)
    assert [v.field for v in excinfo.value.violations] == ["lines[3].beneficiaryId"]


@pytest.mark.parametrize(
    ("cents", "ok"),
    [(0, False), (-100, False), (99, False), (100, True), (200_000, True), (200_001, False)],
)
def test_load_bounds_default(cents: int, ok: bool) -> None:
    lines = [OrderLine("b1", new_card=False, load_amount_cents=cents)]
    if ok:
        new_order(number="N", delivery_point_id="dp1", lines=lines, now=NOW)
        return
    with pytest.raises(InvalidArgument) as excinfo:
        new_order(number="N", delivery_point_id="dp1", lines=lines, now=NOW)
    assert [v.field for v in excinfo.value.violations] == ["lines[0].loadAmountCents"]


def test_load_bounds_from_the_contract() -> None:
    bounds = LoadBounds(min_cents=1_000, max_cents=2_000)
    assert bounds.problem(1_500) is None
    assert bounds.problem(999) == "must be between 10,00 € and 20,00 €"
    assert bounds.problem(0) == "must be positive"


def test_load_outcomes_and_counts() -> None:
    order = new_order(number="N", delivery_point_id="dp1", lines=_lines(), now=NOW)
    with pytest.raises(FailedPrecondition):
        order.record_load(0, loaded=True)
    for action in (Action.SUBMIT, Action.MARK_PAID, Action.START_PRODUCTION):
        order.apply(action, NOW)
    order.record_load(0, loaded=True)
    order.record_load(1, loaded=False, error="card blocked")
    assert order.lines[1].load_status is LoadStatus.FAILED
    assert order.lines[1].load_error == "card blocked"
    assert (order.lines_loaded, order.lines_failed, order.lines_pending) == (1, 1, 1)
    order.record_load(1, loaded=True)  # a retry succeeded
    assert order.lines[1].load_error == ""
    assert (order.lines_loaded, order.lines_failed, order.lines_pending) == (2, 0, 1)
    with pytest.raises(InvalidArgument):
        order.record_load(3, loaded=True)
