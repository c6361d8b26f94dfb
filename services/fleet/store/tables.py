"""Fleet's tables, on one MetaData that also holds the runtime's tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

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
    Column("suspension_reason", String(32), nullable=False, server_default=""),
    Column("status_before_suspension", String(32), nullable=True),
    Column("pending_request_id", String(32), nullable=False, server_default=""),
    Index("uq_lines_entity_number", "entity_id", "number", unique=True),
)

plans = Table(
    "plans",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("product", String(200), nullable=False),
    Column("monthly_cents", BigInteger, nullable=False),
    Column("vat_bp", Integer, nullable=False),
    timestamp_column("updated_at", nullable=False),
)

options = Table(
    "options",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("price_kind", String(16), nullable=False),
    Column("vat_bp", Integer, nullable=False),
    # "|"-separated codes.
    Column("plans", Text, nullable=False),
    Column("excludes", Text, nullable=False),
    Column("requires_one_of", Text, nullable=False),
    timestamp_column("updated_at", nullable=False),
)

requests = Table(
    "requests",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("activate", Text, nullable=False),  # "|"-separated codes
    Column("deactivate", Text, nullable=False),
    Column("suspension_reason", String(32), nullable=False),
    Column("plan", String(40), nullable=False),
    Column("iccid", String(20), nullable=False),
    # The one-off prices shown when asked (JSON list), charged on completion.
    Column("one_off_prices", Text, nullable=False),
    Column("lines_total", Integer, nullable=False),
    Column("lines_done", Integer, nullable=False),
    Column("lines_failed", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("completed_at", nullable=True),
    Index("ix_requests_entity_created", "entity_id", "created_at"),
)

# One row per line of a request: the unit the background processing claims.
request_items = Table(
    "request_items",
    metadata,
    Column("request_id", ID_TYPE, primary_key=True),
    Column("line_id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("position", Integer, nullable=False),
    Column("number", String(20), nullable=False),
    Column("national_number", String(32), nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failure_reason", Text, nullable=False),
    timestamp_column("next_attempt_at", nullable=True),
    # The worker holding the item, until when (a dead worker's items are taken over).
    Column("claim", String(32), nullable=True),
    timestamp_column("lease_until", nullable=True),
    timestamp_column("updated_at", nullable=False),
    Index("ix_request_items_due", "state", "next_attempt_at"),
    Index("ix_request_items_position", "request_id", "position"),
)

line_history = Table(
    "line_history",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("line_id", ID_TYPE, nullable=False),
    Column("entity_id", ID_TYPE, nullable=False),
    timestamp_column("at", nullable=False),
    Column("kind", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("failure_reason", Text, nullable=False),
    Column("request_id", String(32), nullable=False),
    Index("ix_line_history_line_at", "line_id", "at"),
)

sim_orders = Table(
    "sim_orders",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("reference", String(32), nullable=False, unique=True),
    Column("quantity", Integer, nullable=False),
    Column("esim", Boolean, nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("address_line1", String(200), nullable=False),
    Column("address_line2", String(200), nullable=False),
    Column("postal_code", String(200), nullable=False),
    Column("city", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("status", String(16), nullable=False),
    Column("carrier", String(200), nullable=False),
    Column("tracking_url", Text, nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("shipped_at", nullable=True),
    Index("ix_sim_orders_entity_created", "entity_id", "created_at"),
)

# A shipped card; an ICCID is unique across the operator's SIMs.
sim_cards = Table(
    "sim_cards",
    metadata,
    Column("iccid", String(20), primary_key=True),
    Column("sim_order_id", ID_TYPE, nullable=False, index=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("line_id", String(32), nullable=False),
)

# Sequences for human references (SIM order numbers per year).
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

usage = Table(
    "usage",
    metadata,
    Column("line_id", ID_TYPE, primary_key=True),
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("entity_id", ID_TYPE, nullable=False),
    Column("voice_minutes", Integer, nullable=False),
    Column("sms", Integer, nullable=False),
    Column("data_mb", BigInteger, nullable=False),
    Column("out_of_bundle_cents", BigInteger, nullable=False),
    timestamp_column("imported_at", nullable=False),
    Index("ix_usage_entity_month", "entity_id", "month"),
)

add_runtime_tables(metadata)
