"""Errors in the public shape (AIP-193):
`{"error": {"code": 404, "status": "NOT_FOUND", "message": "...", "details": [...]}}`.

gRPC statuses map to HTTP the standard way (google.rpc.Code's documented
mapping); rich details travel in the `grpc-status-details-bin` trailer.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import error_details_pb2, status_pb2
from starlette.responses import JSONResponse

from portal_runtime.errors import ERROR_DOMAIN

log = logging.getLogger(__name__)

# Imported for its side effect too: the detail types must be in the default pool
# for json_format to render Any values.
_DETAIL_TYPES = error_details_pb2

HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}

# For errors the gateway raises itself (no gRPC call behind them).
_STATUS_OF_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    413: "OUT_OF_RANGE",
    415: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class HttpError(Exception):
    """An error the gateway answers itself, before or instead of a gRPC call."""

    def __init__(
        self,
        http_status: int,
        message: str,
        *,
        reason: str = "",
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.details = list(details or [])
        if reason:
            self.details.insert(0, error_info(reason))
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return error_response(
            self.http_status,
            _STATUS_OF_HTTP.get(self.http_status, "UNKNOWN"),
            self.message,
            self.details,
            headers=self.headers,
        )


def error_info(reason: str, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": ERROR_DOMAIN,
    }
    if metadata:
        info["metadata"] = metadata
    return info


def bad_request(field: str, description: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": description}],
    }


def error_response(
    http_status: int,
    status: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": http_status,
            "status": status,
            "message": message,
            "details": details or [],
        }
    }
    return JSONResponse(body, status_code=http_status, headers=headers)


def render_detail(detail: any_pb2.Any) -> dict[str, Any]:
    try:
        return json_format.MessageToDict(detail)
    except (TypeError, KeyError, json_format.Error):
        # A detail type this gateway does not know: say what it is, not its bytes.
        return {"@type": detail.type_url}


def rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in error.trailing_metadata() or ():
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:  # a corrupt trailer must not turn into a 500
                log.warning("unreadable %s trailer", _STATUS_DETAILS_KEY)
                return None
            return status
    return None


def grpc_error_response(error: grpc.aio.AioRpcError) -> JSONResponse:
    code = error.code()
    http_status = HTTP_STATUS.get(code, 500)
    message = error.details() or ""
    details: list[dict[str, Any]] = []
    status = rich_status(error)
    if status is not None:
        message = status.message or message
        details = [render_detail(d) for d in status.details]
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) and not details:
        # Transport-level failure: do not leak channel internals to clients.
        log.warning("backend call failed: %s %s", code.name, message)
        message = "the service is unavailable" if http_status == 503 else "the service timed out"
    headers = {"Retry-After": "1"} if code == grpc.StatusCode.UNAVAILABLE else None
    return error_response(http_status, code.name, message, details, headers=headers)
