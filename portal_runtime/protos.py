"""Conversions between Python values and the common protobuf types
(`google.protobuf.Timestamp`, `portal.common.v1.Money`)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from portal.common.v1 import types_pb2

DEFAULT_CURRENCY = "EUR"


def to_timestamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp, or None for None; a naive datetime is taken as UTC."""
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return ts


def money(cents: int, currency: str = DEFAULT_CURRENCY) -> types_pb2.Money:
    """An amount in integer cents as a Money message."""
    return types_pb2.Money(amount_cents=cents, currency=currency)
