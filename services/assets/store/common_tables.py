"""Tables every area uses: attachments, reference counters, and the account
projection (names and addresses printed on quotes and statements)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, Table, Text

from portal_runtime.db import ID_TYPE, timestamp_column
from services.assets.store.schema import metadata

attachments = Table(
    "attachments",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    # SERVICE_REQUEST or CONTACT_REQUEST, and that request's id.
    Column("parent_kind", String(32), nullable=False),
    Column("parent_id", ID_TYPE, nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    timestamp_column("created_at", nullable=False),
    Index("ix_attachments_parent", "parent_kind", "parent_id"),
)

# Sequences for human references (SR-2026-000042, DEV-2026-000012...).
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# identity's AccountUpdated, as printed on quotes and statements.
accounts = Table(
    "accounts",
    metadata,
    Column("entity_id", ID_TYPE, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("client_number", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("address_lines", Text, nullable=False),  # "\n"-separated
    timestamp_column("updated_at", nullable=False),
)
