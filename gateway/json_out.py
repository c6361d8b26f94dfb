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

# Per message type: [(json name, field name, reader, has presence, default JSON)].
_Plan = list[tuple[str, str, Reader, bool, Any]]
_plans: dict[str, _Plan] = {}
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
        return lambda message: message.ToJsonString()
    if name in _WRAPPERS:
        value_reader = _scalar_reader(descriptor.fields_by_name["value"])
        return lambda message: value_reader(message.value)
    if name in _DELEGATED:
        return lambda message: json_format.MessageToDict(
            message, always_print_fields_with_no_presence=True
        )

    def read(message: Message) -> dict[str, Any]:
        plan = _plans.get(name)
        if plan is None:
            plan = _plans[name] = _plan(descriptor)
        out: dict[str, Any] = {}
        for json_name, field_name, reader, has_presence, default in plan:
            if has_presence:
                if message.HasField(field_name):
                    out[json_name] = reader(getattr(message, field_name))
            else:
                value = getattr(message, field_name)
                out[json_name] = reader(value) if value else _fresh(default)
        return out

    return read


def _fresh(default: Any) -> Any:
    # A repeated field's or a map's empty default must not be shared.
    if isinstance(default, list):
        return []
    if isinstance(default, dict):
        return {}
    return default


def _plan(descriptor: Descriptor) -> _Plan:
    plan: _Plan = []
    for field in descriptor.fields:
        if _is_map(field):
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            plan.append(
                (field.json_name, field.name, _map_reader(key_field, value_field), False, {})
            )
        elif field.is_repeated:
            item = _single_reader(field)
            plan.append((field.json_name, field.name, _list_reader(item), False, []))
        else:
            reader = _single_reader(field)
            default = None if field.has_presence else reader(field.default_value)
            plan.append((field.json_name, field.name, reader, field.has_presence, default))
    return plan


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
