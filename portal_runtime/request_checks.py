"""Checks every request message gets before its servicer runs, whatever the
method: no control characters in text (PostgreSQL refuses NUL at write time, and
none belongs in a name or a label) and no enum value the API does not define
(`?status=99` would otherwise filter on nothing and return everything).

Field names in the violations are the API's JSON paths (`lines[2].label`)."""

from __future__ import annotations

import re

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from portal_runtime.errors import FieldViolation, InvalidArgument

# C0 controls but tab, line feed and carriage return (free-text messages have
# lines), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS = "must not contain control characters"


def check_request(message: Message) -> None:
    """INVALID_ARGUMENT naming every field with a control character or an
    unknown enum value."""
    violations = request_violations(message)
    if violations:
        raise InvalidArgument.for_fields(violations, reason="INVALID_FIELDS")


def request_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    found: list[FieldViolation] = []
    for field, value in message.ListFields():
        path = f"{prefix}{field.json_name}"
        if field.is_repeated:
            if _is_map(field):
                for key in value:
                    found.extend(_value_violations(field, value[key], f"{path}[{key}]"))
            else:
                for index, item in enumerate(value):
                    found.extend(_value_violations(field, item, f"{path}[{index}]"))
        else:
            found.extend(_value_violations(field, value, path))
    return found


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _value_violations(field: FieldDescriptor, value: object, path: str) -> list[FieldViolation]:
    if _is_map(field):
        field = field.message_type.fields_by_name["value"]
    if field.type == FieldDescriptor.TYPE_STRING:
        assert isinstance(value, str)
        return [FieldViolation(path, CONTROL_CHARACTERS)] if _CONTROL.search(value) else []
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        if value not in enum.values_by_number:
            names = ", ".join(v.name for v in enum.values if v.number != 0)
            return [FieldViolation(path, f"must be one of {names}")]
        return []
    if field.type == FieldDescriptor.TYPE_MESSAGE and isinstance(value, Message):
        return request_violations(value, f"{path}.")
    return []
