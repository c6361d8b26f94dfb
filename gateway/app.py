"""The gateway application: one generic endpoint that transcodes every declared
route, plus health, readiness and the API documentation."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

import grpc
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.routing import Route as StarletteRoute
from starlette.types import Receive, Scope, Send

from gateway import docs
from gateway.auth import EdgeAuth
from gateway.backends import FORWARDED_HEADERS, Backends, clean_metadata
from gateway.errors import HttpError, error_response, grpc_error_response
from gateway.json_body import check_media_type
from gateway.middleware import GatewayMiddleware
from gateway.openapi import build_openapi
from gateway.ratelimit import RouteRateLimiter
from gateway.routes import Route, Router, discover_routes
from gateway.settings import GatewaySettings
from gateway.transcode import RawBody, build_request, render_response, takes_raw_body

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class Transcoder:
    """Answers any HTTP request by finding its route and calling its RPC."""

    def __init__(self, settings: GatewaySettings, routes: list[Route]) -> None:
        self.settings = settings
        self.router = Router(routes)
        self.backends = Backends(settings, routes)
        self.auth = EdgeAuth(settings.jwt_public_key_file, settings.jwt_public_key_pem)
        self.limiter = RouteRateLimiter(settings.auth_rate_limit)
        # The gateway's own paths (/healthz...), so a wrong method on them is a
        # 405 like on any API route; the catch-all sees those requests.
        self.own_paths: dict[str, list[str]] = {}

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The transcoder as a bare ASGI app (GatewayMiddleware's fast path)."""
        response = await self(Request(scope, receive))
        await response(scope, receive, send)

    async def __call__(self, request: Request) -> Response:
        try:
            return await self._handle(request)
        except HttpError as exc:
            return exc.response()
        except grpc.aio.AioRpcError as exc:
            return grpc_error_response(exc)
        except Exception:
            log.exception("unexpected gateway failure")
            return error_response(500, "INTERNAL", "internal error")

    async def _handle(self, request: Request) -> Response:
        found = self.router.resolve(request.method, _raw_path(request))
        if isinstance(found, list):
            found = found or self.own_paths.get(request.url.path, [])
            if not found:
                raise HttpError(404, f"no route for {request.url.path}", reason="NO_ROUTE")
            raise HttpError(
                405,
                f"{request.method} is not allowed on {request.url.path}",
                reason="METHOD_NOT_ALLOWED",
                headers={"Allow": ", ".join(found)},
            )
        route = found.route
        request.scope.setdefault("state", {})["route"] = f"{route.http_method} {route.template}"
        client_ip = self.client_ip(request)
        if route.policy.rate_limited:
            self.limiter.hit(client_ip, f"{route.http_method} {route.template}")
        self.auth.check(route.policy, request.headers.get("authorization"))
        body = await _read_body(request, route) if route.body else None
        message = build_request(route, found.variables, request.query_params.multi_items(), body)
        with tracer.start_as_current_span(
            route.grpc_path,
            context=extract(dict(request.headers)),
            kind=trace.SpanKind.CLIENT,
        ):
            metadata = self._metadata(request, client_ip)
            response = await self.backends.call(route, message, metadata)
        status = route.policy.success_http_status or 200
        return render_response(route, response, status)

    def client_ip(self, request: Request) -> str:
        if self.settings.trust_forwarded:
            forwarded = request.headers.get("x-forwarded-for", "")
            first = forwarded.split(",")[0].strip()
            if first:
                return first
        return request.client.host if request.client else ""

    def _metadata(self, request: Request, client_ip: str) -> list[tuple[str, str]]:
        pairs = [
            (name, request.headers[name])
            for name in (*FORWARDED_HEADERS, *self.settings.extra_forwarded_headers)
            if name in request.headers and name not in ("x-request-id", "traceparent", "tracestate")
        ]
        pairs.append(("x-request-id", request.state.request_id))
        if client_ip:
            pairs.append(("x-client-ip", client_ip))
        carrier: dict[str, str] = {}
        inject(carrier)  # the current span's context, i.e. the caller's trace
        pairs.extend(carrier.items())
        return clean_metadata(pairs)


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    if raw:
        # Some servers (and httpx's ASGI transport) leave the query in raw_path.
        return raw.decode("latin-1").split("?", 1)[0]
    return quote(request.scope["path"])


async def _read_body(request: Request, route: Route) -> RawBody:
    content_type = request.headers.get("content-type", "")
    if takes_raw_body(route) and content_type.startswith("multipart/form-data"):
        try:
            form = await request.form()
        except (MultiPartException, HTTPException) as exc:
            # A malformed form (no boundary, broken parts) is the client's error.
            detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
            raise HttpError(
                400, f"malformed multipart body: {detail}", reason="BAD_MULTIPART"
            ) from exc
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HttpError(400, "the form has no file field 'file'", reason="FILE_MISSING")
        fields = tuple((k, v) for k, v in form.multi_items() if isinstance(v, str))
        data = await upload.read()
        return RawBody(data, upload.content_type or "application/octet-stream", fields)
    if not takes_raw_body(route):
        check_media_type(content_type)
    return RawBody(await request.body(), content_type.split(";")[0].strip() or content_type)


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(settings: GatewaySettings | None = None) -> Starlette:
    """The gateway ASGI app. Reads the environment when no settings are given."""
    settings = settings or GatewaySettings.from_env()
    routes = [
        route
        for route in discover_routes()
        if settings.domains is None or route.domain in settings.domains
    ]
    transcoder = Transcoder(settings, routes)
    openapi = build_openapi(routes)

    async def readyz(request: Request) -> Response:
        missing = await transcoder.backends.not_ready()
        if missing:
            return JSONResponse({"status": "unavailable", "notReady": missing}, status_code=503)
        return JSONResponse({"status": "ok", "backends": transcoder.backends.domains})

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own 404/405 (e.g. POST /healthz) in the public error shape.
        assert isinstance(exc, HTTPException)
        status = {404: "NOT_FOUND", 405: "UNIMPLEMENTED"}.get(exc.status_code, "UNKNOWN")
        return error_response(exc.status_code, status, str(exc.detail), headers=exc.headers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await transcoder.backends.close()

    app = Starlette(
        routes=[
            StarletteRoute("/healthz", _healthz, methods=["GET"]),
            StarletteRoute("/readyz", readyz, methods=["GET"]),
            StarletteRoute("/openapi.json", openapi_json, methods=["GET"]),
            *docs.routes(),
            StarletteRoute("/{path:path}", transcoder.__call__, methods=ALL_METHODS),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    transcoder.own_paths = {
        route.path: sorted(route.methods or [])
        for route in app.routes
        if isinstance(route, StarletteRoute) and "{" not in route.path
    }
    own_prefixes = tuple(
        route.path.rstrip("/") + "/" for route in app.routes if isinstance(route, Mount)
    )

    def own_path(path: str) -> bool:
        return path in transcoder.own_paths or path.startswith(own_prefixes)

    app.add_middleware(
        GatewayMiddleware,
        max_body_bytes=settings.max_body_bytes,
        api=transcoder.asgi,
        own_path=own_path,
    )
    app.state.transcoder = transcoder
    app.state.settings = settings
    return app


__all__ = ["GatewaySettings", "Transcoder", "create_app"]
