"""The small helpers every service shares (clock, errors, auth, protos, filters, db)."""

import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Column, Table

from portal_runtime.auth import authenticated, customer_entity
from portal_runtime.clock import utcnow
from portal_runtime.db import ID_TYPE, new_id, new_metadata, timestamp_column
from portal_runtime.errors import InvalidArgument, PermissionDenied, Unauthenticated, require_field
from portal_runtime.filters import day_bounds, day_range, parse_day
from portal_runtime.protos import money, set_timestamp, to_timestamp
from portal_runtime.tokens import Principal


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_require_field_strips_and_names_the_field():
    assert require_field("  abc ", "name") == "abc"
    for blank in ("", "   "):
        with pytest.raises(InvalidArgument) as caught:
            require_field(blank, "newPassword")
        assert caught.value.reason == "REQUIRED_FIELD"
        assert [v.field for v in caught.value.violations] == ["newPassword"]


def _principal(entity_id: str = "", operator: bool = False) -> Principal:
    return Principal(user_id="u1", entity_id=entity_id, permissions=frozenset(), operator=operator)


def test_customer_entity():
    assert customer_entity(_principal("e1")) == "e1"
    with pytest.raises(Unauthenticated) as missing:
        customer_entity(None)
    assert missing.value.reason == "TOKEN_MISSING"
    with pytest.raises(PermissionDenied) as operator:
        customer_entity(_principal("", operator=True))
    assert operator.value.reason == "ENTITY_REQUIRED"


def test_authenticated():
    principal = _principal("e1")
    assert authenticated(principal) is principal
    with pytest.raises(Unauthenticated):
        authenticated(None)


def test_to_timestamp_takes_naive_as_utc():
    assert to_timestamp(None) is None
    aware = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert to_timestamp(aware).seconds == int(aware.timestamp())
    assert to_timestamp(aware.replace(tzinfo=None)) == to_timestamp(aware)
    paris = datetime(2024, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=1)))
    assert to_timestamp(paris) == to_timestamp(aware)


def test_set_timestamp_writes_what_to_timestamp_builds():
    from google.protobuf.timestamp_pb2 import Timestamp

    for value in (
        datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime(2024, 3, 1, 12, 30),  # naive: UTC
    ):
        target = Timestamp()
        set_timestamp(target, value)
        assert target == to_timestamp(value)
    untouched = Timestamp()
    set_timestamp(untouched, None)
    assert untouched == Timestamp()


def test_money():
    assert money(1250).amount_cents == 1250
    assert money(1250).currency == "EUR"
    assert money(5, "CHF").currency == "CHF"


def test_parse_day():
    assert parse_day(" 2024-02-29 ") == date(2024, 2, 29)
    for bad in ("2023-02-29", "2024-2-1", "20240201", "", "2024-02-01T00:00"):
        assert parse_day(bad) is None


def test_day_bounds_and_range():
    assert day_bounds("", " ") == (None, None)
    assert day_bounds("2024-01-01", "2024-01-31") == (date(2024, 1, 1), date(2024, 1, 31))
    assert day_range("2024-01-01", "2024-01-31") == (
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 2, 1, tzinfo=UTC),
    )
    assert day_range("", "2024-01-31") == (None, datetime(2024, 2, 1, tzinfo=UTC))


def test_day_bounds_names_the_bad_fields():
    with pytest.raises(InvalidArgument) as both:
        day_bounds("nope", "2024-13-01")
    assert both.value.reason == "INVALID_DATE_RANGE"
    assert [v.field for v in both.value.violations] == ["from", "to"]
    with pytest.raises(InvalidArgument) as reversed_:
        day_range("2024-02-01", "2024-01-31")
    assert reversed_.value.reason == "INVALID_DATE_RANGE"
    assert [v.field for v in reversed_.value.violations] == ["to"]


def test_db_helpers():
    ident = new_id()
    assert len(ident) == 32 and int(ident, 16) >= 0 and ident != new_id()
    metadata = new_metadata()
    table = Table(
        "things",
        metadata,
        Column("id", ID_TYPE, primary_key=True),
        timestamp_column("created_at", nullable=False),
        timestamp_column("deleted_at", index=True),
    )
    assert table.c.id.type.length == 32
    assert table.c.created_at.type.timezone and not table.c.created_at.nullable
    assert table.c.deleted_at.nullable and table.c.deleted_at.index
    assert table.primary_key.name == "pk_things"
    assert new_metadata().naming_convention == metadata.naming_convention
    assert metadata.naming_convention["fk"] == (
        "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"
    )


def test_to_timestamp_is_protobufs_conversion_for_any_instant():
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    rng = random.Random(13)
    instants = [
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2))),
        *(
            epoch + timedelta(microseconds=rng.randint(-(6 * 10**16), 6 * 10**16))
            for _ in range(500)
        ),
    ]
    for instant in instants:
        expected = Timestamp()
        expected.FromDatetime(instant)
        assert to_timestamp(instant) == expected, instant
