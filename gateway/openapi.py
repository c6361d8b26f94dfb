"""OpenAPI 3.1 generated from the same routes the gateway serves, so the document
cannot drift from the behaviour. Schemas follow the proto3 JSON mapping."""

from __future__ import annotations

import re
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from gateway.comments import Comments, load_comments
from gateway.routes import Route
from gateway.transcode import EMPTY, HTTP_BODY, body_field, takes_raw_body

T = FieldDescriptor
_SCALARS: dict[int, dict[str, Any]] = {
    T.TYPE_DOUBLE: {"type": "number", "format": "double"},
    T.TYPE_FLOAT: {"type": "number", "format": "float"},
    T.TYPE_INT32: {"type": "integer", "format": "int32"},
    T.TYPE_SINT32: {"type": "integer", "format": "int32"},
    T.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    T.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    T.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    # 64-bit integers are strings in proto3 JSON (JavaScript numbers lose precision).
    T.TYPE_INT64: {"type": "string", "format": "int64"},
    T.TYPE_SINT64: {"type": "string", "format": "int64"},
    T.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    T.TYPE_UINT64: {"type": "string", "format": "uint64"},
    T.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    T.TYPE_BOOL: {"type": "boolean"},
    T.TYPE_STRING: {"type": "string"},
    T.TYPE_BYTES: {"type": "string", "format": "byte"},
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BytesValue": {"type": ["string", "null"], "format": "byte"},
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.Int32Value": {"type": ["integer", "null"], "format": "int32"},
    "google.protobuf.UInt32Value": {"type": ["integer", "null"], "format": "int64"},
    "google.protobuf.Int64Value": {"type": ["string", "null"], "format": "int64"},
    "google.protobuf.UInt64Value": {"type": ["string", "null"], "format": "uint64"},
    "google.protobuf.FloatValue": {"type": ["number", "null"], "format": "float"},
    "google.protobuf.DoubleValue": {"type": ["number", "null"], "format": "double"},
    HTTP_BODY: {"type": "string", "format": "binary"},
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "status", "message"],
            "properties": {
                "code": {"type": "integer", "description": "The HTTP status."},
                "status": {"type": "string", "description": "The google.rpc.Code name."},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"@type": {"type": "string"}},
                        "additionalProperties": True,
                    },
                },
            },
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def schema_name(descriptor: Descriptor) -> str:
    return descriptor.full_name.removeprefix("portal.")


class _Schemas:
    def __init__(self, comments: Comments) -> None:
        self.components: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self.comments = comments

    def message(self, descriptor: Descriptor) -> dict[str, Any]:
        if descriptor.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[descriptor.full_name])
        name = schema_name(descriptor)
        if name not in self.components:
            self.components[name] = {}  # placeholder first: recursive messages
            self.components[name] = self._object(descriptor)
        return {"$ref": f"#/components/schemas/{name}"}

    def _object(self, descriptor: Descriptor) -> dict[str, Any]:
        properties = {f.json_name: self.field(f) for f in descriptor.fields}
        required = [f.json_name for f in descriptor.fields if _is_required(f)]
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        text = self.comments.get(descriptor.full_name)
        if text:
            schema["description"] = text
        return schema

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        message = field.message_type
        if message is not None and message.GetOptions().map_entry:
            value = message.fields_by_name["value"]
            schema = {"type": "object", "additionalProperties": self.single(value)}
        elif field.is_repeated:
            schema = {"type": "array", "items": self.single(field)}
        else:
            schema = self.single(field)
        text = self.comments.get(f"{field.containing_type.full_name}.{field.name}")
        if text and "$ref" not in schema:
            schema["description"] = text
        return schema

    def single(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.message(field.message_type)
        if field.enum_type is not None:
            return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
        return dict(_SCALARS[field.type])


def _is_required(field: FieldDescriptor) -> bool:
    behaviors = field.GetOptions().Extensions[field_behavior_pb2.field_behavior]
    return field_behavior_pb2.REQUIRED in behaviors


def openapi_path(template: str) -> str:
    # `{name=users/*}` -> `{name}`: OpenAPI has no sub-templates.
    return re.sub(r"\{([^}=]+)(=[^}]*)?\}", r"{\1}", template)


def _query_parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    if route.body == "*":
        return []
    taken = {v.split(".")[0] for v in route.variables} | {route.body}
    params = []
    for field in route.method.input_type.fields:
        if field.name in taken:
            continue
        message = field.message_type
        if message is not None and message.full_name not in _WELL_KNOWN:
            continue  # nested objects cannot travel in a query string
        if message is not None and message.GetOptions().map_entry:
            continue
        param: dict[str, Any] = {
            "name": field.json_name,
            "in": "query",
            "required": False,
            "schema": schemas.field(field),
        }
        if field.is_repeated:
            param.update(style="form", explode=True)
        params.append(param)
    return params


def _path_parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    params = []
    for variable in route.variables:
        descriptor, field = route.method.input_type, None
        for part in variable.split("."):
            field = descriptor.fields_by_name[part]
            descriptor = field.message_type
        assert field is not None
        params.append(
            {"name": variable, "in": "path", "required": True, "schema": schemas.single(field)}
        )
    return params


def _request_body(route: Route, schemas: _Schemas) -> dict[str, Any] | None:
    if not route.body:
        return None
    if takes_raw_body(route):
        binary = {"type": "string", "format": "binary"}
        return {
            "required": True,
            "content": {
                "text/csv": {"schema": binary},
                "application/octet-stream": {"schema": binary},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": binary},
                    }
                },
            },
        }
    field = body_field(route)
    schema = schemas.message(route.method.input_type) if field is None else schemas.field(field)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _success(route: Route, schemas: _Schemas) -> dict[str, Any]:
    output = route.method.output_type
    status = str(route.policy.success_http_status or 200)
    if output.full_name == EMPTY:
        return {status: {"description": "Done; no content."}}
    if output.full_name == HTTP_BODY:
        content = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
        return {status: {"description": "The document.", "content": content}}
    schema = schemas.message(output)
    return {
        status: {"description": output.name, "content": {"application/json": {"schema": schema}}}
    }


def _operation(route: Route, schemas: _Schemas, operation_id: str) -> dict[str, Any]:
    comment = schemas.comments.get(route.method.full_name)
    # The first sentence of the method's comment, else its name.
    summary = (
        comment.replace("\n", " ").split(". ")[0].rstrip(".") if comment else route.method.name
    )
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [route.service.name],
        "summary": summary,
        "parameters": _path_parameters(route, schemas) + _query_parameters(route, schemas),
        "responses": {
            **_success(route, schemas),
            "default": {
                "description": "An error (AIP-193).",
                "content": {"application/json": {"schema": _ERROR_REF}},
            },
        },
    }
    if comment:
        operation["description"] = comment
    if route.policy.idempotent:
        operation["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A replay with the same key and body returns the first answer.",
                "schema": {"type": "string", "maxLength": 128},
            }
        )
    body = _request_body(route, schemas)
    if body is not None:
        operation["requestBody"] = body
    if not route.policy.public:
        operation["security"] = [{"bearerAuth": []}]
    else:
        operation["security"] = []
    if route.policy.operator:
        operation["description"] = (
            operation.get("description", "") + "\n\nOperators only."
        ).strip()
    if route.policy.permission:
        extra = f"Needs the permission `{route.policy.permission}`."
        operation["description"] = (operation.get("description", "") + "\n\n" + extra).strip()
    return operation


def build_openapi(routes: list[Route], title: str = "Portail API") -> dict[str, Any]:
    schemas = _Schemas(load_comments())
    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for route in sorted(routes, key=lambda r: (r.template, r.http_method)):
        base = f"{route.service.name}_{route.method.name}"
        operation_id, n = base, 1
        while operation_id in used_ids:
            n += 1
            operation_id = f"{base}_{n}"
        used_ids.add(operation_id)
        item = paths.setdefault(openapi_path(route.template), {})
        item[route.http_method.lower()] = _operation(route, schemas, operation_id)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "v1",
            "description": "Generated from the services' protobuf descriptors.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
