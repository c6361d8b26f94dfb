"""Composition root of the notifications service: `python -m services.notifications`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from portal.notifications.v1 import notifications_pb2_grpc
from portal_runtime.clock import utcnow
from portal_runtime.config import ServiceSettings
from portal_runtime.db import Database
from portal_runtime.server import ServiceApp, main
from services.notifications.api import NotificationsAdminApi
from services.notifications.delivery import DeliveryWorker
from services.notifications.domain.contacts import DEFAULT_SUPPORT_EMAIL, support_contact
from services.notifications.domain.links import DEFAULT_WEB_URL, LinkBuilder
from services.notifications.handlers import NotificationHandlers
from services.notifications.mailers import DEFAULT_SENDER, Mailer, mailer_from_settings
from services.notifications.rendering import Renderer
from services.notifications.store import Repository
from services.notifications.usecases.common import Deps

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = "portal.notifications.v1.NotificationsAdminService"


def _timezone(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no tz database: dates in UTC
        return UTC


def build_deps(
    settings: ServiceSettings, db: Database, *, clock: Callable[[], datetime] = utcnow
) -> Deps:
    return Deps(
        db=db,
        repo=Repository(),
        renderer=Renderer(),
        links=LinkBuilder(settings.get("WEB_URL", DEFAULT_WEB_URL)),
        support=support_contact(settings.get("SUPPORT_EMAIL") or DEFAULT_SUPPORT_EMAIL),
        timezone=_timezone(settings.get("MAIL_TIMEZONE", "Europe/Paris")),
        clock=clock,
    )


def bootstrap(
    settings: ServiceSettings,
    *,
    db: Database | None = None,
    mailer: Mailer | None = None,
    **app_options: Any,
) -> ServiceApp:
    """Wires the service; tests pass their own db, mailer, and (through
    app_options) ServiceApp's `verifier` / `bus`."""
    db = db or Database.of(settings)
    mailer = mailer or mailer_from_settings(settings)
    sender = settings.get("MAIL_FROM", DEFAULT_SENDER)
    if "@" not in parseaddr(sender)[1]:
        raise ValueError(f"PORTAL_MAIL_FROM is not an address: {sender!r}")
    app = ServiceApp(settings, db, migrations=MIGRATIONS, **app_options)
    worker = DeliveryWorker(
        db,
        mailer,
        sender=sender,
        poll_seconds=settings.get_float("NOTIFICATIONS_POLL_SECONDS", 1.0),
        batch_size=settings.get_int("NOTIFICATIONS_BATCH_SIZE", 20),
        lease=timedelta(seconds=settings.get_float("NOTIFICATIONS_LEASE_SECONDS", 15.0)),
    )
    deps = build_deps(settings, db)
    app.add_servicer(
        notifications_pb2_grpc.add_NotificationsAdminServiceServicer_to_server,
        NotificationsAdminApi(deps),
        SERVICE_NAME,
    )
    app.add_operations(
        notifications_pb2_grpc.add_NotificationsOperationsServiceServicer_to_server,
        "portal.notifications.v1.NotificationsOperationsService",
    )
    app.subscribe(NotificationHandlers(deps).subscriptions())
    app.add_task(worker.run)
    app.delivery = worker  # type: ignore[attr-defined]  # tests wake it / run a pass
    return app


if __name__ == "__main__":
    main(bootstrap, "notifications")
