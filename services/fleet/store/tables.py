"""Fleet's tables, on one MetaData that also holds the runtime's tables."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from portal_runtime.db import ID_TYPE, add_runtime_tables, new_metadata, timestamp_column

metadata = new_metadata()

lines = Table(
    "lines",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("number", String(20), nullable=False),  # E.164
    Column("national_number", String(32), nullable=False),
    # Both spellings' digits, for searches by a number typed in any format.
    Column("search_digits", String(64), nullable=False),
    Column("iccid", String(20), nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("customer_number", String(200), nullable=False),
    Column("product", String(200), nullable=False),
    Column("plan", String(200), nullable=False),
    Column("status", String(32), nullable=False),
    Column("options", Text, nullable=False, default=""),  # "|"-separated
    timestamp_column("created_at", nullable=False),
    timestamp_column("updated_at", nullable=False),
    Index("uq_lines_entity_number", "entity_id", "number", unique=True),
)

add_runtime_tables(metadata)
