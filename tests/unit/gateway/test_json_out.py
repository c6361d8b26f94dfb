"""The gateway's JSON printer gives json_format's answer for every response type."""

from __future__ import annotations

import random

import pytest
from google.protobuf import json_format, message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from gateway.json_out import message_to_dict
from gateway.routes import discover_routes

F = FieldDescriptor
ANY = "google.protobuf.Any"


def _response_types() -> list[Descriptor]:
    seen: dict[str, Descriptor] = {}
    for route in discover_routes():
        seen[route.method.output_type.full_name] = route.method.output_type
    # Sent as raw bytes or an empty body, never printed as JSON.
    seen.pop("google.api.HttpBody", None)
    seen.pop("google.protobuf.Empty", None)
    return [seen[name] for name in sorted(seen)]


RESPONSE_TYPES = _response_types()


def _scalar(field: FieldDescriptor, rng: random.Random) -> object:
    kind = field.type
    if kind == F.TYPE_ENUM:
        numbers = [v.number for v in field.enum_type.values]
        return rng.choice(numbers)
    if kind == F.TYPE_STRING:
        return rng.choice(["", "é à", "x" * rng.randint(1, 5), 'quote " and \\ <tag>'])
    if kind == F.TYPE_BYTES:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
    if kind == F.TYPE_BOOL:
        return rng.random() < 0.5
    if kind in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return rng.choice([0, -1, 2**62, rng.randint(-(10**12), 10**12)])
    if kind in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return rng.choice([0, 2**63, rng.randint(0, 10**12)])
    if kind in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
        return rng.randint(-(2**31), 2**31 - 1)
    if kind in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return rng.randint(0, 2**32 - 1)
    if kind == F.TYPE_DOUBLE:
        return rng.choice([0.0, 1.5, -2.25, 1e300, float("inf"), float("nan")])
    if kind == F.TYPE_FLOAT:
        return rng.choice([0.0, 0.1, -3.5, float("-inf")])
    raise AssertionError(f"unexpected field type {kind}")


def _fill(message: Message, rng: random.Random, depth: int) -> None:
    """Sets a random subset of fields (every kind: scalars, enums, repeated,
    maps, nested and well-known messages), leaving others at their defaults."""
    if message.DESCRIPTOR.full_name == "google.protobuf.Timestamp":
        assert isinstance(message, timestamp_pb2.Timestamp)
        message.seconds = rng.choice([0, 1_700_000_000, 253_402_300_799])
        message.nanos = rng.choice([0, 1_000_000, 1_000, 7])
        return
    for field in message.DESCRIPTOR.fields:
        if rng.random() < 0.25:
            continue  # left unset
        if field.message_type is not None and field.message_type.full_name == ANY:
            continue  # an Any needs a real type URL: json_format prints it, not us
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            target = getattr(message, field.name)
            value_field = field.message_type.fields_by_name["value"]
            key_field = field.message_type.fields_by_name["key"]
            for _ in range(rng.randint(0, 3)):
                key = _scalar(key_field, rng)
                if value_field.message_type is not None:
                    if depth > 0:
                        _fill(target[key], rng, depth - 1)
                else:
                    target[key] = _scalar(value_field, rng)
        elif field.is_repeated:
            target = getattr(message, field.name)
            for _ in range(rng.randint(0, 3)):
                if field.message_type is not None:
                    if depth > 0:
                        _fill(target.add(), rng, depth - 1)
                else:
                    target.append(_scalar(field, rng))
        elif field.message_type is not None:
            if depth > 0:
                _fill(getattr(message, field.name), rng, depth - 1)
                getattr(message, field.name).SetInParent()
        else:
            setattr(message, field.name, _scalar(field, rng))


def _expected(message: Message) -> object:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def _same(a: object, b: object) -> bool:
    # NaN is the one value unequal to itself; both sides print it as "NaN".
    return repr(a) == repr(b) if a != a else a == b


@pytest.mark.parametrize("descriptor", RESPONSE_TYPES, ids=lambda d: d.full_name)
def test_every_response_type_prints_as_json_format_does(descriptor: Descriptor) -> None:
    cls = message_factory.GetMessageClass(descriptor)
    assert message_to_dict(cls()) == _expected(cls())  # all defaults
    rng = random.Random(descriptor.full_name)
    for _ in range(30):
        message = cls()
        _fill(message, rng, depth=4)
        assert message_to_dict(message) == _expected(message)


def test_the_api_has_response_types_to_compare() -> None:
    assert len(RESPONSE_TYPES) > 50


def test_unknown_enum_numbers_and_timestamps() -> None:
    message = timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=1_500_000)
    assert message_to_dict(message) == "2023-11-14T22:13:20.001500Z"


def test_timestamps_print_as_protobuf_does_over_the_whole_range() -> None:
    rng = random.Random(13)
    seconds = [-62_135_596_800, -1, 0, 951_782_400, 253_402_300_799]  # 2000-02-29 too
    seconds += [rng.randint(-62_135_596_800, 253_402_300_799) for _ in range(3_000)]
    for second in seconds:
        for nanos in (0, 5_000_000, 123_456_000, 7, 999_999_999, rng.randrange(10**9)):
            message = timestamp_pb2.Timestamp(seconds=second, nanos=nanos)
            assert message_to_dict(message) == message.ToJsonString(), (second, nanos)


@pytest.mark.parametrize(("seconds", "nanos"), [(253_402_300_800, 0), (-62_135_596_801, 0)])
def test_a_timestamp_outside_json_range_is_refused_as_protobuf_does(
    seconds: int, nanos: int
) -> None:
    message = timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
    with pytest.raises(ValueError):
        message.ToJsonString()
    with pytest.raises(ValueError):
        message_to_dict(message)
