"""Tables of service requests: the request, its machines, its parts and its
status history."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text

from portal_runtime.db import ID_TYPE, timestamp_column
from services.assets.store.schema import metadata

service_requests = Table(
    "service_requests",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("reference", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("intervention_type", String(16), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("wished_dates", String(64), nullable=False),  # "|"-separated YYYY-MM-DD
    Column("comment", Text, nullable=False),
    Column("planned_for", Date, nullable=True),
    timestamp_column("created_at", nullable=False),
    timestamp_column("updated_at", nullable=False),
    Index("ix_service_requests_entity_created", "entity_id", "created_at"),
    Index("ix_service_requests_status_created", "status", "created_at"),
)

service_request_equipment = Table(
    "service_request_equipment",
    metadata,
    Column("request_id", ID_TYPE, primary_key=True),
    Column("equipment_id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("position", Integer, nullable=False),
    # A machine's history and its open removals are read through this index.
    Index("ix_service_request_equipment_equipment", "equipment_id"),
)

service_request_parts = Table(
    "service_request_parts",
    metadata,
    Column("request_id", ID_TYPE, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("equipment_id", ID_TYPE, nullable=False),
    Column("part_code", String(64), nullable=False),
    Column("label", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
)

service_request_history = Table(
    "service_request_history",
    metadata,
    Column("request_id", ID_TYPE, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    timestamp_column("at", nullable=False),
    Column("comment", Text, nullable=False),
    Column("planned_for", Date, nullable=True),
)
