"""A cheap liveness route for probes (no session, no API call)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


routes = [Route("/healthz", healthz, methods=["GET"])]
