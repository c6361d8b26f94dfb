"""Test databases: a SQLite file always, and a fresh PostgreSQL database when
PORTAL_TEST_POSTGRES_URL points at a server (CI sets it where one answers)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import make_url


def postgres_admin_url() -> str | None:
    return os.environ.get("PORTAL_TEST_POSTGRES_URL") or None


def create_postgres_database(prefix: str) -> str:
    """Creates an empty database and returns its URL."""
    admin = make_url(postgres_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        admin.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = make_url(postgres_admin_url())
    with psycopg.connect(
        admin.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


def database_url(kind: str, tmp: Path, prefix: str) -> str:
    if kind == "postgresql":
        return create_postgres_database(prefix)
    return f"sqlite:///{tmp / (prefix + '.db')}"


def database_kinds() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_admin_url() else ["sqlite"]
