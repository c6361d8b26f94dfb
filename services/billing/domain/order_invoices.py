"""The lines of an order's invoice, from what ordering says the order holds.

Ordering computes the order's total from the same amounts with the shared rule of
`portal_runtime.money`, so the invoice's total is the amount the customer was told."""

from __future__ import annotations

from .documents import Line

LOADS_LABEL = "Chargement de cartes / card loads"
FEES_LABEL = "Frais de carte / card fees"
LOADS_VAT_BP = 0  # meal-card loads carry no VAT


def order_invoice_lines(
    *, loads_cents: int, new_cards: int, card_fee_cents: int, card_fee_vat_bp: int
) -> tuple[Line, ...]:
    """Card loads at VAT 0; new cards' fees at the rate ordering applied to them,
    only when there are some and they cost something (empty when the order
    bills nothing)."""
    lines: list[Line] = []
    if loads_cents > 0:
        lines.append(Line(LOADS_LABEL, 1, loads_cents, LOADS_VAT_BP))
    if new_cards > 0 and card_fee_cents > 0:
        lines.append(Line(FEES_LABEL, new_cards, card_fee_cents, card_fee_vat_bp))
    return tuple(lines)


def lump_sum_lines(*, order_number: str, amount_cents: int) -> tuple[Line, ...]:
    """An order announced before its event said what it holds: one line of its
    amount at VAT 0 (empty when the amount is nothing)."""
    if amount_cents <= 0:
        return ()
    return (Line(f"Commande / order {order_number}", 1, amount_cents, LOADS_VAT_BP),)
