"""Pure ASGI middleware: request id, body size limit and the access log.

Pure ASGI (not BaseHTTPMiddleware) so request bodies stream through untouched
and the size limit applies while reading, not after buffering everything.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import HttpError

log = logging.getLogger(__name__)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class BodyTooLarge(HttpError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"the request body is larger than {limit} bytes", reason="BODY_TOO_LARGE"
        )


def request_id_of(headers: Headers) -> str:
    incoming = headers.get("x-request-id", "")
    # Taken from the client only when it cannot smuggle anything into logs.
    return incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class GatewayMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        api: ASGIApp | None = None,
        own_path: Callable[[str], bool] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # API calls (every path but the gateway's own) go straight to the
        # transcoder, which answers every error itself: Starlette's router and
        # exception layers would only add their cost to each call.
        self.api = api
        self.own_path = own_path or (lambda path: True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = request_id_of(headers)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 0, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            elif message["type"] == "http.response.body":
                status["bytes"] += len(message.get("body", b""))
            await send(message)

        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await BodyTooLarge(self.max_body_bytes).response()(scope, receive, send_with_id)
        else:
            target = self.app if self.api is None or self.own_path(scope["path"]) else self.api
            await target(scope, self._limited(receive), send_with_id)
        self._log(scope, status, request_id, started)

    def _limited(self, receive: Receive) -> Receive:
        # Chunked bodies have no Content-Length: count while reading. The error
        # surfaces in the endpoint's body read, which answers 413.
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return limited

    @staticmethod
    def _log(scope: Scope, status: dict[str, int], request_id: str, started: float) -> None:
        client = scope.get("client")
        fields: dict[str, Any] = {
            "http_method": scope["method"],
            "path": scope["path"],
            "status": status["code"],
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "response_bytes": status["bytes"],
            "request_id": request_id,
            "client": client[0] if client else "",
            "route": scope.get("state", {}).get("route", ""),
        }
        log.info("%s %s %s", scope["method"], scope["path"], status["code"], extra=fields)
