"""Composition root: `python -m gateway` serves the REST API on PORTAL_GATEWAY_ADDR."""

from __future__ import annotations

import logging
import os

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


def main() -> None:
    from portal_runtime.logs import configure_logging

    configure_logging("gateway", os.environ.get("PORTAL_LOG_LEVEL", "INFO"))
    settings = GatewaySettings.from_env()
    host, _, port = settings.addr.rpartition(":")
    app = create_app(settings)
    log.info("gateway listening on http://%s", settings.addr)
    # uvicorn handles SIGTERM/SIGINT: stops accepting, lets in-flight requests
    # finish for up to the grace period, then runs the lifespan shutdown (channels).
    uvicorn.run(
        app,
        host=host.strip("[]") or "127.0.0.1",
        port=int(port),
        log_config=None,  # keep our JSON logging
        access_log=False,  # the gateway writes its own access log
        timeout_graceful_shutdown=int(os.environ.get("PORTAL_GATEWAY_GRACE_SECONDS", "20")),
        proxy_headers=settings.trust_forwarded,
    )


if __name__ == "__main__":
    main()
