"""Use-case fixtures: a real SQLite file migrated with assets' migrations,
callers for two entities and an operator, a clock the tests move."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal_runtime.config import load_settings
from portal_runtime.db import Database
from portal_runtime.tokens import Principal
from services.assets.__main__ import MIGRATIONS, build_deps
from services.assets.usecases.common import Deps

PERMISSIONS = frozenset({"assets.read", "assets.write", "quotes.accept"})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    deps: Deps
    db: Database
    clock: Clock
    acme: Principal = field(default_factory=lambda: Principal("u-acme", "ent-acme", PERMISSIONS))
    globex: Principal = field(
        default_factory=lambda: Principal("u-globex", "ent-globex", PERMISSIONS)
    )
    operator: Principal = field(default_factory=lambda: Principal("u-ops", "", operator=True))


@pytest.fixture
async def world(tmp_path: Path) -> World:
    db = Database(f"sqlite:///{tmp_path}/assets.db")
    await db.migrate(MIGRATIONS)
    settings = load_settings("assets", {"PORTAL_VAR_DIR": str(tmp_path)})
    clock = Clock(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    deps = build_deps(settings, db, clock=clock)
    yield World(deps, db, clock)
    await db.dispose()
