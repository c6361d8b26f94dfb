"""A service's PostgreSQL pool is sized by its settings (PORTAL_DB_POOL_SIZE):
connections kept open, so a burst does not start a server backend per request."""

from __future__ import annotations

from portal_runtime.config import DEFAULT_DB_POOL_SIZE, load_settings
from portal_runtime.db import POOL_OVERFLOW, Database

PG = "postgresql://portal@127.0.0.1:1/ordering"  # never connected to here


def test_the_pool_keeps_the_configured_connections_open() -> None:
    settings = load_settings(
        "ordering", {"PORTAL_ORDERING_DATABASE_URL": PG, "PORTAL_DB_POOL_SIZE": "7"}
    )
    pool = Database.of(settings).engine.sync_engine.pool
    assert pool.size() == 7
    assert pool._max_overflow == POOL_OVERFLOW


def test_the_default_pool() -> None:
    settings = load_settings("ordering", {"PORTAL_ORDERING_DATABASE_URL": PG})
    assert settings.db_pool_size == DEFAULT_DB_POOL_SIZE
    assert Database.of(settings).engine.sync_engine.pool.size() == DEFAULT_DB_POOL_SIZE
