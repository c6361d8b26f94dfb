"""HTTP request <-> protobuf message, following the HttpRule mapping:
path variables, then the body (`*` or one field), then query parameters for the
fields the body does not carry. Responses use the proto3 JSON mapping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from google.api import httpbody_pb2
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from starlette.responses import JSONResponse, Response

from gateway.errors import HttpError, bad_request
from gateway.json_body import decode_json
from gateway.json_out import message_to_dict
from gateway.routes import Route

HTTP_BODY = httpbody_pb2.HttpBody.DESCRIPTOR.full_name
EMPTY = "google.protobuf.Empty"

# Well-known message types that have a scalar JSON form, so a query parameter
# can carry them (`?from=2025-01-01T00:00:00Z`).
_SCALAR_MESSAGES = {
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
    "google.protobuf.BoolValue",
    "google.protobuf.Int32Value",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.FloatValue",
    "google.protobuf.DoubleValue",
}
_BOOL_WRAPPER = "google.protobuf.BoolValue"


@dataclass(frozen=True)
class RawBody:
    """The request body before decoding: bytes and their content type, or an
    uploaded file already taken out of a multipart form."""

    data: bytes
    content_type: str
    form_fields: tuple[tuple[str, str], ...] = ()


def message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


def body_field(route: Route) -> FieldDescriptor | None:
    if route.body in ("", "*"):
        return None
    field = route.method.input_type.fields_by_name.get(route.body)
    if field is None:
        raise ValueError(f"{route.grpc_path}: body field {route.body!r} does not exist")
    return field


def takes_raw_body(route: Route) -> bool:
    """Does the request carry raw bytes (uploads) rather than JSON?"""
    if route.method.input_type.full_name == HTTP_BODY and route.body == "*":
        return True
    field = body_field(route)
    return (
        field is not None
        and field.message_type is not None
        and (field.message_type.full_name == HTTP_BODY)
    )


def build_request(
    route: Route,
    path_vars: dict[str, str],
    query: Iterable[tuple[str, str]],
    body: RawBody | None,
) -> Message:
    request = message_class(route.method.input_type)()
    if body is not None and route.body:
        _apply_body(route, request, body)
    params: dict[str, list[str]] = {}
    for key, value in [*query, *(body.form_fields if body else ())]:
        params.setdefault(key, []).append(value)
    if params and route.body == "*":
        name = next(iter(params))
        raise HttpError(400, f"unknown query parameter {name!r}", reason="UNKNOWN_PARAMETER")
    for name, values in params.items():
        bound = set(path_vars) | ({route.body} if route.body else set())
        _set_field(request, name, values, reserved=bound, source="query parameter")
    for name, value in path_vars.items():
        _set_field(request, name, [value], reserved=set(), source="path variable")
    return request


def _apply_body(route: Route, request: Message, body: RawBody) -> None:
    if takes_raw_body(route):
        target = request if route.body == "*" else getattr(request, route.body)
        target.content_type = body.content_type
        target.data = body.data
        return
    if not body.data.strip():
        return  # an absent body is an empty message
    document = decode_json(body.data)
    field = body_field(route)
    if field is not None:
        document = {field.name: document}
    elif not isinstance(document, dict):
        raise HttpError(400, "the request body must be a JSON object", reason="INVALID_JSON")
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise HttpError(
            400,
            f"the request body does not match {request.DESCRIPTOR.name}: {exc}",
            reason="INVALID_BODY",
        ) from None


def _find_field(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    field = descriptor.fields_by_name.get(name)
    if field is not None:
        return field
    for candidate in descriptor.fields:
        if candidate.json_name == name:
            return candidate
    return None


def _set_field(
    request: Message, path: str, values: list[str], *, reserved: set[str], source: str
) -> None:
    """Sets `a.b.c` (proto or JSON names) from string values, typed by the field."""
    target = request
    parts = path.split(".")
    field: FieldDescriptor | None = None
    for depth, part in enumerate(parts):
        field = _find_field(target.DESCRIPTOR, part)
        if field is None or (depth == 0 and field.name in reserved):
            raise HttpError(
                400,
                f"unknown {source} {path!r}",
                reason="UNKNOWN_PARAMETER",
                details=[bad_request(path, f"not a parameter of {route_hint(request)}")],
            )
        if depth < len(parts) - 1:
            if field.message_type is None or _is_repeated(field):
                raise HttpError(400, f"unknown {source} {path!r}", reason="UNKNOWN_PARAMETER")
            target = getattr(target, field.name)
    assert field is not None
    if field.message_type is not None and field.message_type.full_name not in _SCALAR_MESSAGES:
        raise HttpError(400, f"{source} {path!r} cannot be given as text")
    if not _is_repeated(field) and len(values) > 1:
        raise HttpError(400, f"{source} {path!r} given more than once")
    converted = [_scalar(field, value, path) for value in values]
    document = {field.name: converted if _is_repeated(field) else converted[0]}
    try:
        json_format.ParseDict(document, target, ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise HttpError(
            400,
            f"invalid {source} {path!r}: {exc}",
            reason="INVALID_PARAMETER",
            details=[bad_request(path, str(exc))],
        ) from None


def route_hint(request: Message) -> str:
    return request.DESCRIPTOR.name


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _scalar(field: FieldDescriptor, value: str, path: str) -> Any:
    # json_format takes strings for numbers, enums and well-known types, but wants
    # real booleans.
    is_bool = field.type == FieldDescriptor.TYPE_BOOL or (
        field.message_type is not None and field.message_type.full_name == _BOOL_WRAPPER
    )
    if not is_bool:
        return value
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise HttpError(
        400,
        f"invalid value for {path!r}: expected true or false",
        reason="INVALID_PARAMETER",
        details=[bad_request(path, "expected true or false")],
    )


def render_response(route: Route, message: Message, status_code: int) -> Response:
    if route.response_body:
        field = message.DESCRIPTOR.fields_by_name[route.response_body]
        if field.message_type is None or _is_repeated(field):
            whole = message_to_dict(message)
            return FastJSONResponse(whole.get(field.json_name), status_code=status_code)
        message = getattr(message, route.response_body)
    full_name = message.DESCRIPTOR.full_name
    if full_name == HTTP_BODY:
        return Response(
            content=message.data,
            status_code=status_code,
            media_type=message.content_type or "application/octet-stream",
        )
    if full_name == EMPTY:
        return Response(status_code=status_code)
    return FastJSONResponse(message_to_dict(message), status_code=status_code)


class FastJSONResponse(JSONResponse):
    """The same compact UTF-8 JSON as Starlette's, encoded by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
