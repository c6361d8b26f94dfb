"""Composition root of the fleet service: `python -m services.fleet`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from portal.fleet.v1 import fleet_pb2_grpc
from portal_runtime.clock import utcnow
from portal_runtime.config import ServiceSettings
from portal_runtime.db import Database
from portal_runtime.server import ServiceApp, main
from services.fleet.api import FleetAdminApi, FleetApi
from services.fleet.numbers import DEFAULT_REGION, parse_number
from services.fleet.store import Repository
from services.fleet.usecases.common import Deps

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "portal.fleet.v1.FleetService"
ADMIN_SERVICE_NAME = "portal.fleet.v1.FleetAdminService"


def build_deps(
    settings: ServiceSettings, db: Database, *, clock: Callable[[], datetime] = utcnow
) -> Deps:
    # Where numbers typed without a country code are read (ISO 3166 alpha-2).
    region = settings.get("FLEET_DEFAULT_REGION", DEFAULT_REGION).strip().upper()
    return Deps(
        db=db, repo=Repository(), clock=clock, parse_number=partial(parse_number, region=region)
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
    db = db or (deps.db if deps else Database(settings.database_url))
    deps = deps or build_deps(settings, db)
    app = ServiceApp(settings, db, migrations=MIGRATIONS, **app_options)
    app.add_servicer(
        fleet_pb2_grpc.add_FleetServiceServicer_to_server, FleetApi(deps), SERVICE_NAME
    )
    app.add_servicer(
        fleet_pb2_grpc.add_FleetAdminServiceServicer_to_server,
        FleetAdminApi(deps),
        ADMIN_SERVICE_NAME,
    )
    app.deps = deps  # type: ignore[attr-defined]  # tests reach the use cases
    return app


if __name__ == "__main__":
    main(bootstrap, "fleet")
