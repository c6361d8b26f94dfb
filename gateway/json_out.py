"""Protobuf -> JSON for responses, the proto3 JSON mapping as the gateway
answers it (`json_format.MessageToDict(message,
always_print_fields_with_no_presence=True)`, camelCase names), without its
per-field dispatch.

json_format decides, for every field of every message it prints, what kind of
field it is: on a page of 50 records that was half the gateway's time. Here
that decision is taken once per message type: a list of (JSON name, reader)
built on first use, then each message is a loop over that list. Types this
module does not specialise (Any, Struct, Value, ListValue, FieldMask,
Duration, Empty) are handed to json_format, so the output is the same; the
tests compare both on every response type of the API.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from keyword import iskeyword
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

Reader = Callable[[Any], Any]

_INT64_TYPES = {
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED64,
}
_FLOAT_TYPES = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
_WRAPPERS = {
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}
# Well-known types left to json_format (rare in responses).
_DELEGATED = {
    "google.protobuf.Any",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.FieldMask",
    "google.protobuf.Duration",
    "google.protobuf.Empty",
}

_message_readers: dict[str, Reader] = {}


def message_to_dict(message: Message) -> Any:
    """The message's JSON value (a dict, or a scalar for a well-known type)."""
    return _message_reader(message.DESCRIPTOR)(message)


def _message_reader(descriptor: Descriptor) -> Reader:
    reader = _message_readers.get(descriptor.full_name)
    if reader is None:
        reader = _build_message_reader(descriptor)
        _message_readers[descriptor.full_name] = reader
    return reader


def _build_message_reader(descriptor: Descriptor) -> Reader:
    name = descriptor.full_name
    if name == "google.protobuf.Timestamp":
        return _timestamp
    if name in _WRAPPERS:
        value_reader = _scalar_reader(descriptor.fields_by_name["value"])
        return lambda message: value_reader(message.value)
    if name in _DELEGATED:
        return lambda message: json_format.MessageToDict(
            message, always_print_fields_with_no_presence=True
        )
    compiled: list[Reader] = []

    def read(message: Message) -> dict[str, Any]:
        # Compiled on first use: message types may refer to each other.
        if not compiled:
            compiled.append(_compile(descriptor))
        return compiled[0](message)

    return read


# Scalars whose protobuf value is already their JSON value, default included.
_AS_IS = {
    FieldDescriptor.TYPE_STRING,
    FieldDescriptor.TYPE_BOOL,
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_FIXED32,
}


def _compile(descriptor: Descriptor) -> Reader:
    """One function per message type that reads each field in turn: a loop over
    a plan of (name, reader) pairs cost twice as much per record."""
    body = ["def read(message):", "    out = {}"]
    env: dict[str, Any] = {}
    for number, field in enumerate(descriptor.fields):
        key = repr(field.json_name)
        if iskeyword(field.name):
            value = f"getattr(message, {field.name!r})"
        else:
            value = f"message.{field.name}"
        reader = f"r{number}"
        if _is_map(field):
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            env[reader] = _map_reader(key_field, value_field)
            body.append(f"    out[{key}] = {reader}({value})")
        elif field.is_repeated:
            env[reader] = _single_reader(field)
            body.append(f"    out[{key}] = [{reader}(item) for item in {value}]")
        elif field.has_presence:
            env[reader] = _single_reader(field)
            body.append(f"    if message.HasField({field.name!r}):")
            body.append(f"        out[{key}] = {reader}({value})")
        elif field.type in _AS_IS:
            body.append(f"    out[{key}] = {value}")
        else:
            env[reader] = _single_reader(field)
            env[f"d{number}"] = env[reader](field.default_value)
            body.append(f"    value = {value}")
            body.append(f"    out[{key}] = {reader}(value) if value else d{number}")
    body.append("    return out")
    exec("\n".join(body), env)  # noqa: S102 - source built above from descriptors
    return env["read"]


def _is_map(field: FieldDescriptor) -> bool:
    message_type = field.message_type
    return (
        field.is_repeated
        and message_type is not None
        and message_type.has_options
        and message_type.GetOptions().map_entry
    )


def _list_reader(item: Reader) -> Reader:
    return lambda values: [item(value) for value in values]


def _map_reader(key_field: FieldDescriptor, value_field: FieldDescriptor) -> Reader:
    value_reader = _single_reader(value_field)
    if key_field.type == FieldDescriptor.TYPE_BOOL:

        def key(k: Any) -> str:
            return "true" if k else "false"
    else:
        key = str
    return lambda entries: {key(k): value_reader(v) for k, v in entries.items()}


def _single_reader(field: FieldDescriptor) -> Reader:
    if field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        return _LazyMessageReader(field.message_type)
    return _scalar_reader(field)


class _LazyMessageReader:
    """Resolved on first call: message types may refer to each other."""

    __slots__ = ("_descriptor", "_reader")

    def __init__(self, descriptor: Descriptor) -> None:
        self._descriptor = descriptor
        self._reader: Reader | None = None

    def __call__(self, message: Message) -> Any:
        reader = self._reader
        if reader is None:
            reader = self._reader = _message_reader(self._descriptor)
        return reader(message)


def _scalar_reader(field: FieldDescriptor) -> Reader:
    kind = field.type
    if kind == FieldDescriptor.TYPE_ENUM:
        enum_type = field.enum_type
        if enum_type.full_name == "google.protobuf.NullValue":
            return lambda value: None
        names = {number: value.name for number, value in enum_type.values_by_number.items()}
        return lambda value: names.get(value, value)
    if kind == FieldDescriptor.TYPE_STRING:
        return _same
    if kind == FieldDescriptor.TYPE_BYTES:
        return lambda value: base64.b64encode(value).decode("utf-8")
    if kind == FieldDescriptor.TYPE_BOOL:
        return bool
    if kind in _INT64_TYPES:
        return str
    if kind in _FLOAT_TYPES:
        if kind == FieldDescriptor.TYPE_FLOAT:
            return _float32
        return _double
    return _same


# Timestamp.ToJsonString's answer at about half its cost (two per record of
# most pages); outside the range JSON allows, ToJsonString refuses as it did.
_MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
_EPOCH_DAY = date(1970, 1, 1)
_TWO_DIGITS = [f"{n:02d}" for n in range(60)]


@lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return (_EPOCH_DAY + timedelta(days=days)).isoformat()


def _timestamp(message: Any) -> str:
    seconds = message.seconds
    nanos = message.nanos
    if not (_MIN_SECONDS <= seconds <= _MAX_SECONDS and 0 <= nanos < 1_000_000_000):
        return message.ToJsonString()
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    text = f"{_day(days)}T{_TWO_DIGITS[hours]}:{_TWO_DIGITS[minutes]}:{_TWO_DIGITS[secs]}"
    if not nanos:
        return text + "Z"
    if not nanos % 1_000:
        micros = nanos // 1_000
        if not micros % 1_000:
            return f"{text}.{micros // 1_000:03d}Z"
        return f"{text}.{micros:06d}Z"
    return f"{text}.{nanos:09d}Z"


def _same(value: Any) -> Any:
    return value


def _double(value: float) -> Any:
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    return value


def _float32(value: float) -> Any:
    special = _double(value)
    if special is not value:
        return special
    # json_format prints a float field with the fewest digits that read back
    # as the same 32-bit value.
    from google.protobuf.internal import type_checkers

    return type_checkers.ToShortestFloat(value)
