"""Change requests (every vertical)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from portal_runtime.db import ID_TYPE, timestamp_column
from services.assets.store.schema import metadata

contact_requests = Table(
    "contact_requests",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("reference", String(32), nullable=False, unique=True),
    Column("topic", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    # LICENCE_PLATE.
    Column("contract_id", String(32), nullable=False),
    Column("old_plate", String(12), nullable=False),
    Column("new_plate", String(12), nullable=False),
    # POSTAL_ADDRESS (all blank otherwise).
    Column("address_line1", String(100), nullable=False),
    Column("address_line2", String(100), nullable=False),
    Column("address_postal_code", String(16), nullable=False),
    Column("address_city", String(100), nullable=False),
    Column("address_country", String(2), nullable=False),
    Column("new_phone", String(20), nullable=False),  # E.164
    # BANK_DETAILS: only the masked IBAN, never the number (domain/contact_requests.py).
    Column("new_iban_masked", String(40), nullable=False),
    Column("answer", Text, nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("answered_at"),
    Index("ix_contact_requests_entity_created", "entity_id", "created_at"),
    Index("ix_contact_requests_status_created", "status", "created_at"),
)
