"""Quotes and their lines. Totals are stored (computed by the domain's one VAT
rule) so that lists filter and sort on the amount incl. VAT in SQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from portal_runtime.db import ID_TYPE, timestamp_column
from services.assets.store.schema import metadata

quotes = Table(
    "quotes",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("number", String(32), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    # PENDING, ACCEPTED or DECLINED (EXPIRED is computed from valid_until).
    Column("status", String(16), nullable=False),
    Column("valid_until", Date, nullable=False),
    timestamp_column("issued_at", nullable=False),
    # The UTC day of issued_at: the lists' from/to filter on it.
    Column("issued_on", Date, nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("service_request_id", String(32), nullable=False),
    Column("equipment_id", String(32), nullable=False),
    Column("total_excl_cents", BigInteger, nullable=False),
    Column("total_tax_cents", BigInteger, nullable=False),
    Column("total_incl_cents", BigInteger, nullable=False),
    Column("purchase_order_reference", String(64), nullable=False),
    # Unique: one quote gives at most one order, and an order number one quote.
    Column("order_number", String(32), nullable=True, unique=True),
    Column("decline_reason", Text, nullable=False),
    timestamp_column("answered_at"),
    Column("answered_by", String(64), nullable=False),
    Index("ix_quotes_entity_issued", "entity_id", "issued_at"),
    Index("ix_quotes_entity_equipment", "entity_id", "equipment_id"),
)

quote_lines = Table(
    "quote_lines",
    metadata,
    Column("quote_id", ID_TYPE, ForeignKey("quotes.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("label", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("vat_rate_bp", Integer, nullable=False),
)
