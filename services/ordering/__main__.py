"""Composition root of the ordering service: `python -m services.ordering`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from portal.billing.v1 import events_pb2 as billing_events
from portal.identity.v1 import events_pb2 as identity_events
from portal.ordering.v1 import ordering_pb2_grpc
from portal_runtime.clock import utcnow
from portal_runtime.config import ServiceSettings
from portal_runtime.db import Database
from portal_runtime.server import ServiceApp, main
from services.ordering.api import OrderingAdminApi, OrderingApi, StatisticsApi
from services.ordering.domain.orders import (
    DEFAULT_CARD_FEE_CENTS,
    DEFAULT_CARD_FEE_VAT_BP,
    DEFAULT_MAX_LOAD_CENTS,
    DEFAULT_MIN_LOAD_CENTS,
    LoadBounds,
    TransferAccount,
)
from services.ordering.handlers import account_updated_handler, invoice_settled_handler
from services.ordering.store import Repository
from services.ordering.usecases.common import (
    DEFAULT_SYNC_IMPORT_MAX_LINES,
    DEMO_TRANSFER_ACCOUNT,
    Deps,
)
from services.ordering.usecases.imports import run_imports

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "portal.ordering.v1.OrderingService"
ADMIN_SERVICE_NAME = "portal.ordering.v1.OrderingAdminService"
STATISTICS_SERVICE_NAME = "portal.ordering.v1.StatisticsService"
OPERATIONS_SERVICE_NAME = "portal.ordering.v1.OrderingOperationsService"


def build_deps(
    settings: ServiceSettings, db: Database, *, clock: Callable[[], datetime] = utcnow
) -> Deps:
    default_account = DEMO_TRANSFER_ACCOUNT
    return Deps(
        db=db,
        repo=Repository(),
        bounds=LoadBounds(
            settings.get_int("ORDERING_MIN_LOAD_CENTS", DEFAULT_MIN_LOAD_CENTS),
            settings.get_int("ORDERING_MAX_LOAD_CENTS", DEFAULT_MAX_LOAD_CENTS),
        ),
        card_fee_cents=settings.get_int("ORDERING_CARD_FEE_CENTS", DEFAULT_CARD_FEE_CENTS),
        card_fee_vat_bp=settings.get_int("ORDERING_CARD_FEE_VAT_BP", DEFAULT_CARD_FEE_VAT_BP),
        transfer=TransferAccount(
            iban=settings.get("ORDERING_TRANSFER_IBAN", default_account.iban),
            bic=settings.get("ORDERING_TRANSFER_BIC", default_account.bic),
            holder=settings.get("ORDERING_TRANSFER_HOLDER", default_account.holder),
        ),
        sync_import_max_lines=settings.get_int(
            "ORDERING_SYNC_IMPORT_MAX_LINES", DEFAULT_SYNC_IMPORT_MAX_LINES
        ),
        import_file_retention=timedelta(
            hours=max(settings.get_float("ORDERING_IMPORT_FILE_RETENTION_HOURS", 0.0), 0.0)
        ),
        clock=clock,
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
        ordering_pb2_grpc.add_OrderingServiceServicer_to_server, OrderingApi(deps), SERVICE_NAME
    )
    app.add_servicer(
        ordering_pb2_grpc.add_OrderingAdminServiceServicer_to_server,
        OrderingAdminApi(deps),
        ADMIN_SERVICE_NAME,
    )
    app.add_servicer(
        ordering_pb2_grpc.add_StatisticsServiceServicer_to_server,
        StatisticsApi(deps),
        STATISTICS_SERVICE_NAME,
    )
    app.add_operations(
        ordering_pb2_grpc.add_OrderingOperationsServiceServicer_to_server,
        OPERATIONS_SERVICE_NAME,
    )
    app.subscribe(
        {
            billing_events.InvoiceSettled: invoice_settled_handler(deps),
            identity_events.AccountUpdated: account_updated_handler(deps),
        }
    )
    poll = settings.get_float("ORDERING_IMPORT_POLL_SECONDS", 2.0)

    async def imports_loop(stop: asyncio.Event) -> None:
        await run_imports(deps, stop, poll)

    app.add_task(imports_loop)
    app.deps = deps  # type: ignore[attr-defined]  # tests reach the use cases
    return app


if __name__ == "__main__":
    main(bootstrap, "ordering")
