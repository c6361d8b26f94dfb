"""The amount a customer is told when ordering is the amount of the invoice billing
issues for that order, for any order: both come from the one money rule
(`portal_runtime.money`), ordering through `Order.total_cents`, billing through
the invoice lines it builds from `OrderSubmitted`."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from portal_runtime.money import VAT_RATES_BP
from services.billing.domain.documents import compute_totals
from services.billing.domain.order_invoices import order_invoice_lines
from services.ordering.domain.orders import LoadBounds, OrderLine, OrderSource, new_order

BOUNDS = LoadBounds(min_cents=1, max_cents=200_000)
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)

lines = st.lists(
    st.tuples(st.booleans(), st.integers(min_value=BOUNDS.min_cents, max_value=BOUNDS.max_cents)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines,
    card_fee_cents=st.integers(min_value=0, max_value=10_000),
    card_fee_vat_bp=st.sampled_from(sorted(VAT_RATES_BP)),
)
def test_an_orders_total_is_its_invoices_total(
    lines: list[tuple[bool, int]], card_fee_cents: int, card_fee_vat_bp: int
) -> None:
    order = new_order(
        id="o-1",
        entity_id="e-1",
        number="CMD-2026-000001",
        source=OrderSource.UNIT,
        delivery_point_id="dp-1",
        lines=[OrderLine(f"b-{i}", new_card, cents) for i, (new_card, cents) in enumerate(lines)],
        now=NOW,
        bounds=BOUNDS,
        card_fee_cents=card_fee_cents,
        card_fee_vat_bp=card_fee_vat_bp,
    )
    # What OrderSubmitted carries, as billing reads it.
    invoice_lines = order_invoice_lines(
        loads_cents=order.loads_cents,
        new_cards=order.new_cards,
        card_fee_cents=order.card_fee_cents,
        card_fee_vat_bp=order.card_fee_vat_bp,
    )
    assert compute_totals(invoice_lines).incl_cents == order.total_cents
    assert order.total_cents >= order.loads_cents + order.fees_cents
