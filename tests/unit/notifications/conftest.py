from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from portal_runtime.db import Database
from services.notifications.__main__ import MIGRATIONS
from services.notifications.domain.links import LinkBuilder
from services.notifications.handlers import NotificationHandlers
from services.notifications.rendering import Renderer
from services.notifications.usecases.common import Deps
from tests.support.databases import database_kinds, database_url, drop_postgres_database

WEB = "https://portail.example"


class Clock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class RecordingMailer:
    """Fails the first `failures` sends, then records every message."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionRefusedError("smtp down")
        self.sent: list[EmailMessage] = []
        self.calls = 0

    async def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        self.sent.append(message)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def deps(db: Database, renderer: Renderer, clock: Clock) -> Deps:
    return Deps(db=db, renderer=renderer, links=LinkBuilder(WEB), clock=clock)


@pytest.fixture
def handlers(deps: Deps) -> NotificationHandlers:
    return NotificationHandlers(deps)


@pytest.fixture(params=database_kinds())
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database: SQLite, and PostgreSQL too when
    PORTAL_TEST_POSTGRES_URL is set."""
    url = database_url(request.param, tmp_path, "notifications")
    database = Database(url)
    await database.migrate(MIGRATIONS)
    try:
        yield database
    finally:
        await database.dispose()
        if request.param == "postgresql":
            drop_postgres_database(url)
