"""Alembic, driven from code: each service's `migrations/` folder is a script
directory whose env.py calls `run_env(metadata)`; services upgrade to head at
start-up (`Database.migrate`). `tools/new_migration.py` autogenerates revisions."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, make_url
from sqlalchemy.engine import Connection


def alembic_config(script_location: Path, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_head(connection: Connection, script_location: Path) -> None:
    command.upgrade(alembic_config(script_location, connection), "head")


def _sync_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername="sqlite")
    return parsed.render_as_string(hide_password=False)


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    from alembic import context

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # ALTER on SQLite
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    # Command-line use (tools/new_migration.py): a URL from the environment.
    url = os.environ.get("PORTAL_MIGRATIONS_URL") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("set PORTAL_MIGRATIONS_URL to run migrations from the command line")
    engine = create_engine(_sync_url(url))
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
