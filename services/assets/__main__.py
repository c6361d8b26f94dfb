"""Composition root of the assets service: `python -m services.assets`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from portal.assets.v1 import assets_pb2_grpc
from portal_runtime.clock import utcnow
from portal_runtime.config import ServiceSettings
from portal_runtime.db import Database
from portal_runtime.server import ServiceApp, main
from services.assets.api import AssetsAdminApi, AssetsApi
from services.assets.handlers import subscriptions
from services.assets.store import Repository
from services.assets.usecases.common import DEFAULT_MAILBOXES, DEFAULT_OPERATOR_NAME, Deps

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "portal.assets.v1.AssetsService"
ADMIN_SERVICE_NAME = "portal.assets.v1.AssetsAdminService"
OPERATIONS_SERVICE_NAME = "portal.assets.v1.AssetsOperationsService"


def build_deps(
    settings: ServiceSettings, db: Database, *, clock: Callable[[], datetime] = utcnow
) -> Deps:
    # PORTAL_ASSETS_MAILBOX_PARTS, _INTERVENTION, _EXPERTISE, _REMOVAL, _CHANGES.
    mailboxes = {
        kind: settings.get(f"ASSETS_MAILBOX_{kind}", default).strip()
        for kind, default in DEFAULT_MAILBOXES.items()
    }
    for kind, address in mailboxes.items():
        if "@" not in address:
            raise ValueError(f"PORTAL_ASSETS_MAILBOX_{kind} is not an e-mail address: {address!r}")
    return Deps(
        db=db,
        repo=Repository(),
        clock=clock,
        mailboxes=mailboxes,
        operator_name=settings.get("OPERATOR_NAME", DEFAULT_OPERATOR_NAME).strip()
        or DEFAULT_OPERATOR_NAME,
    )


def bootstrap(
    settings: ServiceSettings,
    *,
    db: Database | None = None,
    deps: Deps | None = None,
    **app_options: Any,
) -> ServiceApp:
    """Wires the service; tests may pass their own db, deps, and (through
    app_options) ServiceApp's `verifier` / `bus`."""
    db = db or (deps.db if deps else Database.of(settings))
    deps = deps or build_deps(settings, db)
    app = ServiceApp(settings, db, migrations=MIGRATIONS, **app_options)
    app.add_servicer(
        assets_pb2_grpc.add_AssetsServiceServicer_to_server, AssetsApi(deps), SERVICE_NAME
    )
    app.add_servicer(
        assets_pb2_grpc.add_AssetsAdminServiceServicer_to_server,
        AssetsAdminApi(deps),
        ADMIN_SERVICE_NAME,
    )
    app.add_operations(
        assets_pb2_grpc.add_AssetsOperationsServiceServicer_to_server, OPERATIONS_SERVICE_NAME
    )
    app.subscribe(subscriptions(deps))
    app.deps = deps  # type: ignore[attr-defined]  # tests reach the use cases
    return app


if __name__ == "__main__":
    main(bootstrap, "assets")
