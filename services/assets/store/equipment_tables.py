"""Tables of the park: the catalogue of models with their parts, the
customers' sites, and their machines."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, text

from portal_runtime.db import ID_TYPE, timestamp_column
from services.assets.store.schema import metadata

equipment_models = Table(
    "equipment_models",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("brand", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    timestamp_column("updated_at", nullable=False),
    Index("ix_equipment_models_brand", "brand"),
)

equipment_model_parts = Table(
    "equipment_model_parts",
    metadata,
    Column("model_code", String(64), primary_key=True),
    Column("code", String(64), primary_key=True),
    # The parts list's order, as the operator gave it.
    Column("position", Integer, nullable=False),
    Column("label", String(200), nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("name", String(200), nullable=False),
    # The name without case or extra blanks: one site per name in an entity.
    Column("name_key", String(200), nullable=False),
    Column("line1", String(200), nullable=False),
    Column("line2", String(200), nullable=False),
    Column("postal_code", String(16), nullable=False),
    Column("city", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    timestamp_column("created_at", nullable=False),
    Index("uq_sites_entity_name", "entity_id", "name_key", unique=True),
)

equipment = Table(
    "equipment",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("model_code", String(64), nullable=False),
    Column("reference", String(100), nullable=False),
    # The reference without case or blanks, compared for uniqueness and searched.
    Column("reference_key", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("site_id", ID_TYPE, nullable=True),
    Column("commissioned_on", Date, nullable=True),
    Column("contract", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("updated_at", nullable=False),
    timestamp_column("removed_at", nullable=True),
    Index("ix_equipment_entity_status", "entity_id", "status"),
    # One machine per reference among those still in the park (a removed
    # machine frees its reference): the database settles concurrent additions.
    Index(
        "uq_equipment_entity_reference_in_park",
        "entity_id",
        "reference_key",
        unique=True,
        sqlite_where=text("status <> 'REMOVED'"),
        postgresql_where=text("status <> 'REMOVED'"),
    ),
)
