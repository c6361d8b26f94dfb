"""Conversions between Python values and the common protobuf types
(`google.protobuf.Timestamp`, `portal.common.v1.Money`)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from portal.common.v1 import types_pb2

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


def set_money(target: types_pb2.Money, cents: int, currency: str = DEFAULT_CURRENCY) -> None:
    """Writes the amount into a message's Money field in place (see `set_timestamp`)."""
    target.amount_cents = cents
    target.currency = currency
