"""Use-case fixtures: a real SQLite file migrated with fleet's migrations,
callers for two entities and an operator, a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal_runtime.config import load_settings
from portal_runtime.db import Database
from portal_runtime.tokens import Principal
from services.fleet.__main__ import MIGRATIONS, build_deps
from services.fleet.usecases.common import Deps

from .helpers import load_catalogue

PERMISSIONS = frozenset({"fleet.read", "fleet.write"})


@dataclass
class World:
    deps: Deps
    db: Database
    acme: Principal = field(default_factory=lambda: Principal("u-acme", "ent-acme", PERMISSIONS))
    globex: Principal = field(
        default_factory=lambda: Principal("u-globex", "ent-globex", PERMISSIONS)
    )
    operator: Principal = field(default_factory=lambda: Principal("u-ops", "", operator=True))


@pytest.fixture
async def world(tmp_path: Path) -> World:
    db = Database(f"sqlite:///{tmp_path}/fleet.db")
    await db.migrate(MIGRATIONS)
    settings = load_settings("fleet", {"PORTAL_VAR_DIR": str(tmp_path)})
    deps = build_deps(settings, db, clock=lambda: datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    world = World(deps, db)
    await load_catalogue(deps, world.operator)
    yield world
    await db.dispose()
