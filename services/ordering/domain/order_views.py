"""An order as customers and operators read it: everything but its lines, its
first `LINES_SHOWN` lines, and the totals over all of them. A file makes orders
of up to 100,000 lines (25 MB of JSON): the rest of the lines are read page by
page, in position order (`ListOrderLines`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .orders import LoadStatus, Order, OrderLine, total_to_pay

# The lines an order carries when read; the others are paged.
LINES_SHOWN = 100


@dataclass(frozen=True)
class LineTotals:
    """What an order's lines add up to, all of them."""

    count: int = 0
    new_cards: int = 0
    loads_cents: int = 0
    loaded: int = 0
    failed: int = 0

    @classmethod
    def of(cls, lines: Iterable[OrderLine]) -> LineTotals:
        count = new_cards = loads = loaded = failed = 0
        for line in lines:
            count += 1
            new_cards += line.new_card
            loads += line.load_amount_cents
            loaded += line.load_status is LoadStatus.LOADED
            failed += line.load_status is LoadStatus.FAILED
        return cls(count, new_cards, loads, loaded, failed)


@dataclass(frozen=True)
class OrderView:
    """`order` with its first lines only (its own totals would count those
    alone: read them here); `totals` over every line."""

    order: Order
    totals: LineTotals

    @property
    def lines(self) -> list[OrderLine]:
        return self.order.lines

    @property
    def more_lines(self) -> bool:
        """Lines follow the ones shown (the next page starts at position
        `len(lines)`: positions run from 0, one per line)."""
        return self.totals.count > len(self.order.lines)

    @property
    def fees_cents(self) -> int:
        return self.totals.new_cards * self.order.card_fee_cents

    @property
    def total_cents(self) -> int:
        return total_to_pay(self.totals.loads_cents, self.fees_cents, self.order.card_fee_vat_bp)


def view_of(order: Order, shown: int = LINES_SHOWN) -> OrderView:
    """The view of a whole order (one a use case just changed)."""
    return OrderView(replace(order, lines=order.lines[:shown]), LineTotals.of(order.lines))
