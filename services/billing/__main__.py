"""Composition root of the billing service: `python -m services.billing`.

Environment (besides the runtime's PORTAL_BILLING_ADDR / _DATABASE_URL,
PORTAL_NATS_URL...): PORTAL_OPERATOR_NAME (on PDFs, default "Portail"),
PORTAL_WEB_URL (where the provider sends the customer back, default
http://127.0.0.1:8080), and the payment provider's PORTAL_PAYMENT_PROVIDER,
PORTAL_PAYMENT_WEBHOOK_SECRET, PORTAL_PAYMENT_PROVIDER_URL,
PORTAL_PAYMENT_PROVIDER_TIMEOUT_SECONDS (see services.billing.providers), the
keys of mandates' encrypted IBANs PORTAL_BILLING_IBAN_KEYS or
PORTAL_BILLING_IBAN_KEY_FILE (see services.billing.iban_vault: required), and
the SEPA creditor collecting direct debits: PORTAL_SEPA_CREDITOR_ID,
PORTAL_SEPA_CREDITOR_NAME (default the operator's name), PORTAL_SEPA_CREDITOR_IBAN,
PORTAL_SEPA_CREDITOR_BIC (a demo creditor by default) and
PORTAL_SEPA_MIN_NOTICE_DAYS (pre-notification, default 14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from portal.billing.v1 import billing_pb2_grpc
from portal_runtime.clock import utcnow
from portal_runtime.config import ServiceSettings
from portal_runtime.db import Database
from portal_runtime.server import ServiceApp, main
from services.billing.api import BillingAdminApi, BillingApi
from services.billing.domain.creditor import Creditor, validate_creditor
from services.billing.domain.direct_debits import DEFAULT_MIN_NOTICE_DAYS
from services.billing.handlers import subscriptions
from services.billing.iban_vault import IbanVault, vault_from_settings
from services.billing.ibans import check_account
from services.billing.providers import PaymentProvider, provider_from_settings
from services.billing.store import Repository
from services.billing.usecases.common import (
    DEFAULT_CREDITOR,
    DEFAULT_OPERATOR_NAME,
    DEFAULT_WEB_URL,
    Deps,
)

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "portal.billing.v1.BillingService"
ADMIN_SERVICE_NAME = "portal.billing.v1.BillingAdminService"
OPERATIONS_SERVICE_NAME = "portal.billing.v1.BillingOperationsService"


def sepa_creditor(settings: ServiceSettings, operator_name: str) -> Creditor:
    """The creditor direct debits are collected for (checked: a bad setting stops
    the start with the variable named)."""
    return validate_creditor(
        identifier=settings.get("SEPA_CREDITOR_ID", DEFAULT_CREDITOR.identifier),
        name=settings.get("SEPA_CREDITOR_NAME", operator_name),
        iban=settings.get("SEPA_CREDITOR_IBAN", DEFAULT_CREDITOR.iban),
        bic=settings.get("SEPA_CREDITOR_BIC", DEFAULT_CREDITOR.bic),
        check=check_account,
    )


def min_notice_days(settings: ServiceSettings) -> int:
    days = settings.get_int("SEPA_MIN_NOTICE_DAYS", DEFAULT_MIN_NOTICE_DAYS)
    if not 1 <= days <= 60:
        raise ValueError(f"PORTAL_SEPA_MIN_NOTICE_DAYS must be between 1 and 60, not {days}")
    return days


def build_deps(
    settings: ServiceSettings,
    db: Database,
    provider: PaymentProvider,
    *,
    ibans: IbanVault | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Deps:
    operator_name = settings.get("OPERATOR_NAME", DEFAULT_OPERATOR_NAME)
    return Deps(
        db=db,
        repo=Repository(),
        provider=provider,
        check_account=check_account,
        ibans=ibans or vault_from_settings(settings),
        operator_name=operator_name,
        creditor=sepa_creditor(settings, operator_name),
        min_notice_days=min_notice_days(settings),
        web_url=settings.get("WEB_URL", DEFAULT_WEB_URL),
        clock=clock,
    )


def bootstrap(
    settings: ServiceSettings,
    *,
    db: Database | None = None,
    provider: PaymentProvider | None = None,
    **app_options: Any,
) -> ServiceApp:
    """Wires the service; tests may pass their own db, provider, and (through
    app_options) ServiceApp's `verifier` / `bus`."""
    ibans = vault_from_settings(settings)  # IbanKeysMissing: billing does not start
    db = db or Database.of(settings)
    provider = provider or provider_from_settings(settings.get)
    deps = build_deps(settings, db, provider, ibans=ibans)
    app = ServiceApp(settings, db, migrations=MIGRATIONS, **app_options)
    app.add_servicer(
        billing_pb2_grpc.add_BillingServiceServicer_to_server, BillingApi(deps), SERVICE_NAME
    )
    app.add_servicer(
        billing_pb2_grpc.add_BillingAdminServiceServicer_to_server,
        BillingAdminApi(deps),
        ADMIN_SERVICE_NAME,
    )
    app.add_operations(
        billing_pb2_grpc.add_BillingOperationsServiceServicer_to_server, OPERATIONS_SERVICE_NAME
    )
    app.subscribe(subscriptions(deps))
    app.add_shutdown(provider.aclose)
    app.deps = deps  # type: ignore[attr-defined]  # tests reach the use cases
    return app


if __name__ == "__main__":
    main(bootstrap, "billing")
