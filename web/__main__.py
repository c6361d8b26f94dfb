"""Composition root: `python -m web` serves the customer portal on PORTAL_WEB_ADDR."""

from __future__ import annotations

import logging
import os

import uvicorn

from web.app import create_app
from web.settings import WebSettings

log = logging.getLogger(__name__)


def main() -> None:
    from portal_runtime.logs import configure_logging

    configure_logging("web", os.environ.get("PORTAL_LOG_LEVEL", "INFO"))
    settings = WebSettings.from_env()
    host, _, port = settings.addr.rpartition(":")
    log.info("web portal on %s (API: %s)", settings.public_url, settings.gateway_url)
    uvicorn.run(
        create_app(settings),
        host=host.strip("[]") or "127.0.0.1",
        port=int(port),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
