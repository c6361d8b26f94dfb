"""Composition root of the fleet service: `python -m services.fleet`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from portal.fleet.v1 import fleet_pb2_grpc
from portal_runtime.clock import utcnow
from portal_runtime.config import ServiceSettings
from portal_runtime.db import Database
from portal_runtime.server import ServiceApp, main
from services.fleet.api import FleetAdminApi, FleetApi
from services.fleet.domain.requests import RetryPolicy
from services.fleet.numbers import DEFAULT_REGION, parse_number
from services.fleet.provisioning.base import Provisioning
from services.fleet.provisioning.http import HttpProvisioning
from services.fleet.store import Repository
from services.fleet.usecases.common import Deps
from services.fleet.usecases.processing import RequestWorker, WorkerSettings

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "portal.fleet.v1.FleetService"
ADMIN_SERVICE_NAME = "portal.fleet.v1.FleetAdminService"
OPERATIONS_SERVICE_NAME = "portal.fleet.v1.FleetOperationsService"
# The local provisioning simulator (`python -m deploy.local.provisioning_simulator`).
DEFAULT_PROVISIONING_URL = "http://127.0.0.1:8091"


def build_deps(
    settings: ServiceSettings,
    db: Database,
    *,
    clock: Callable[[], datetime] = utcnow,
    provisioning: Provisioning | None = None,
) -> Deps:
    # Where numbers typed without a country code are read (ISO 3166 alpha-2).
    region = settings.get("FLEET_DEFAULT_REGION", DEFAULT_REGION).strip().upper()
    return Deps(
        db=db,
        repo=Repository(),
        clock=clock,
        parse_number=partial(parse_number, region=region),
        provisioning=provisioning,
        retry=RetryPolicy(
            first=timedelta(seconds=settings.get_float("FLEET_RETRY_FIRST_SECONDS", 2.0)),
            longest=timedelta(seconds=settings.get_float("FLEET_RETRY_MAX_SECONDS", 300.0)),
            give_up_after=timedelta(hours=settings.get_float("FLEET_GIVE_UP_HOURS", 24.0)),
        ),
    )


def worker_settings(settings: ServiceSettings) -> WorkerSettings:
    return WorkerSettings(
        concurrency=max(settings.get_int("FLEET_CONCURRENCY", 16), 1),
        lease=timedelta(seconds=max(settings.get_float("FLEET_LEASE_SECONDS", 15.0), 1.0)),
        poll_seconds=max(settings.get_float("FLEET_POLL_SECONDS", 2.0), 0.05),
    )


def bootstrap(
    settings: ServiceSettings,
    *,
    db: Database | None = None,
    deps: Deps | None = None,
    provisioning: Provisioning | None = None,
    **app_options: Any,
) -> ServiceApp:
    """Wires the service; tests may pass their own db, deps, provisioning
    adapter, and (through app_options) ServiceApp's `verifier` / `bus`."""
    db = db or (deps.db if deps else Database.of(settings))
    if provisioning is None:
        provisioning = (deps and deps.provisioning) or HttpProvisioning(
            settings.get("FLEET_PROVISIONING_URL", DEFAULT_PROVISIONING_URL)
        )
    deps = deps or build_deps(settings, db, provisioning=provisioning)
    deps.provisioning = provisioning
    app = ServiceApp(settings, db, migrations=MIGRATIONS, **app_options)
    app.add_servicer(
        fleet_pb2_grpc.add_FleetServiceServicer_to_server, FleetApi(deps), SERVICE_NAME
    )
    app.add_servicer(
        fleet_pb2_grpc.add_FleetAdminServiceServicer_to_server,
        FleetAdminApi(deps),
        ADMIN_SERVICE_NAME,
    )
    app.add_operations(
        fleet_pb2_grpc.add_FleetOperationsServiceServicer_to_server, OPERATIONS_SERVICE_NAME
    )
    worker = RequestWorker(deps, provisioning, worker_settings(settings))
    app.add_task(worker.run)
    app.deps = deps  # type: ignore[attr-defined]  # tests reach the use cases
    app.requests_worker = worker  # type: ignore[attr-defined]  # tests run a pass
    return app


if __name__ == "__main__":
    main(bootstrap, "fleet")
