"""Conversions between Python values and the common protobuf types
(`google.protobuf.Timestamp`, `portal.common.v1.Money`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from portal.common.v1 import types_pb2
from portal_runtime.money import Totals

DEFAULT_CURRENCY = "EUR"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_timestamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp, or None for None; a naive datetime is taken as UTC."""
    if value is None:
        return None
    # Timestamp.FromDatetime goes through a time tuple and calendar.timegm: the
    # difference to the epoch is the same number at a fraction of the cost
    # (every record of every list page has a few of these).
    delta = (value if value.tzinfo else value.replace(tzinfo=UTC)) - _EPOCH
    return Timestamp(seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000)


def set_timestamp(target: Timestamp, value: datetime | None) -> None:
    """Writes `value` into a message's Timestamp field in place (None leaves it
    unset): a list of records fills its messages where they are, without a
    Timestamp built and then copied for each."""
    if value is None:
        return
    delta = (value if value.tzinfo else value.replace(tzinfo=UTC)) - _EPOCH
    target.seconds = delta.days * 86_400 + delta.seconds
    target.nanos = delta.microseconds * 1000


def money(cents: int, currency: str = DEFAULT_CURRENCY) -> types_pb2.Money:
    """An amount in integer cents as a Money message."""
    return types_pb2.Money(amount_cents=cents, currency=currency)


def fill_priced_lines(target: Any, lines: Iterable[Any]) -> None:
    """Adds `lines` to a repeated field of priced lines (a document's, a quote's:
    `label`, `quantity`, `unit_price_excl_tax`, `vat_rate_bp`, `total_excl_tax`)
    from domain lines with `label`, `quantity`, `unit_price_cents`,
    `vat_rate_bp` and `total_excl_cents`."""
    add = target.add
    for line in lines:
        out = add(label=line.label, quantity=line.quantity, vat_rate_bp=line.vat_rate_bp)
        set_money(out.unit_price_excl_tax, line.unit_price_cents)
        set_money(out.total_excl_tax, line.total_excl_cents)


def set_totals(message: Any, totals: Totals) -> None:
    """Writes `totals` into a message's `total_excl_tax`, `total_tax` and
    `total_incl_tax` fields."""
    set_money(message.total_excl_tax, totals.excl_cents)
    set_money(message.total_tax, totals.tax_cents)
    set_money(message.total_incl_tax, totals.incl_cents)


def set_money(target: types_pb2.Money, cents: int, currency: str = DEFAULT_CURRENCY) -> None:
    """Writes the amount into a message's Money field in place (see `set_timestamp`)."""
    target.amount_cents = cents
    target.currency = currency
