"""Use-case fixtures: a real SQLite file migrated with ordering's migrations,
callers for two entities and an operator, a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.ordering.v1 import events_pb2
from portal_runtime.config import load_settings
from portal_runtime.db import Database
from portal_runtime.tokens import Principal
from services.ordering.__main__ import MIGRATIONS, build_deps
from services.ordering.usecases.common import Deps
from tests.support.outbox import outbox_events

PERMISSIONS = frozenset({"orders.read", "orders.write"})


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 10, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class World:
    deps: Deps
    clock: Clock
    db: Database
    acme: Principal = field(default_factory=lambda: Principal("u-acme", "ent-acme", PERMISSIONS))
    globex: Principal = field(
        default_factory=lambda: Principal("u-globex", "ent-globex", PERMISSIONS)
    )
    operator: Principal = field(default_factory=lambda: Principal("u-ops", "", operator=True))

    async def events(self, name: str) -> list:
        return await outbox_events(self.db, events_pb2, name)


def make_settings(tmp_path: Path, **env: str):
    return load_settings("ordering", {"PORTAL_VAR_DIR": str(tmp_path), **env})


@pytest.fixture
async def world(tmp_path: Path) -> World:
    db = Database(f"sqlite:///{tmp_path}/ordering.db")
    await db.migrate(MIGRATIONS)
    clock = Clock()
    deps = build_deps(make_settings(tmp_path), db, clock=clock)
    yield World(deps, clock, db)
    await db.dispose()
