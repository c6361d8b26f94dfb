"""Ordering's tables, on one MetaData that also holds the runtime's tables
(outbox, inbox, idempotency keys, dead letters).

Amounts are integer cents. Beneficiaries and delivery points are soft-deleted
(`deleted_at`) so past orders keep their lines and their point."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from portal_runtime.db import ID_TYPE, add_runtime_tables, new_metadata, timestamp_column

metadata = new_metadata()

delivery_points = Table(
    "delivery_points",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("code", String(32), nullable=False),  # upper-case
    Column("line1", String(200), nullable=False),
    Column("line2", String(200), nullable=False, default=""),
    Column("postal_code", String(200), nullable=False),
    Column("city", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("contact_name", String(100), nullable=False, default=""),
    Column("contact_phone", String(32), nullable=False, default=""),
    timestamp_column("created_at", nullable=False),
    timestamp_column("deleted_at"),
    # Unique among the entity's live points (deleted ones free their code).
    Index(
        "uq_delivery_points_entity_code_live",
        "entity_id",
        "code",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

beneficiaries = Table(
    "beneficiaries",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False, index=True),
    Column("employee_number", String(32), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(254), nullable=False, default=""),
    Column("birth_date", String(10), nullable=False, default=""),  # YYYY-MM-DD or ""
    Column("hire_date", String(10), nullable=False, default=""),
    Column("default_delivery_point_id", ID_TYPE, nullable=False, default=""),
    Column("has_card", Boolean, nullable=False, default=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("updated_at", nullable=False),
    timestamp_column("deleted_at"),
    Index(
        "uq_beneficiaries_entity_number_live",
        "entity_id",
        "employee_number",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
    # The list's order: a page (a search too) walks the entity's live beneficiaries
    # by name and stops after one page, instead of sorting them all.
    Index(
        "ix_beneficiaries_entity_by_name",
        "entity_id",
        "last_name",
        "first_name",
        "id",
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
)

orders = Table(
    "orders",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False, index=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("status", String(20), nullable=False, index=True),
    Column(
        "delivery_point_id", ID_TYPE, ForeignKey("delivery_points.id"), nullable=False, index=True
    ),
    Column("source", String(16), nullable=False),  # FILE | UNIT | DUPLICATE
    Column("payment_method", String(16), nullable=False, default=""),
    Column("payment_id", String(64), nullable=False, default=""),
    Column("invoice_id", String(64), nullable=False, default="", server_default=""),
    Column("transfer_iban", String(34), nullable=False, default=""),
    Column("transfer_bic", String(11), nullable=False, default=""),
    Column("transfer_holder", String(100), nullable=False, default=""),
    Column("transfer_reference", String(32), nullable=False, default=""),
    Column("carrier", String(100), nullable=False, default=""),
    Column("tracking_url", String(500), nullable=False, default=""),
    Column("card_fee_cents", BigInteger, nullable=False),
    # VAT on the card fees, in basis points, as applied to total_cents.
    Column("card_fee_vat_bp", Integer, nullable=False, server_default="0"),
    Column("loads_cents", BigInteger, nullable=False),
    Column("fees_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    # Also derived from the lines: an order is read (and listed) with its first
    # lines only, and these figures over all of them.
    Column("line_count", Integer, nullable=False, server_default="0"),
    Column("new_cards", Integer, nullable=False, server_default="0"),
    Column("lines_loaded", Integer, nullable=False, server_default="0"),
    Column("lines_failed", Integer, nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False, default="EUR"),
    timestamp_column("created_at", nullable=False, index=True),
    timestamp_column("updated_at", nullable=False),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("order_id", ID_TYPE, ForeignKey("orders.id"), nullable=False),
    # 0, 1, 2... in each order: the lines' order, and where a page of them starts.
    Column("position", Integer, nullable=False),
    Column("beneficiary_id", ID_TYPE, ForeignKey("beneficiaries.id"), nullable=False, index=True),
    # Snapshots: what the order said, whatever happens to the beneficiary later.
    Column("employee_number", String(32), nullable=False),
    Column("beneficiary_name", String(201), nullable=False),
    Column("new_card", Boolean, nullable=False),
    Column("load_amount_cents", BigInteger, nullable=False),
    Column("load_status", String(10), nullable=False),  # PENDING | LOADED | FAILED
    Column("load_error", Text, nullable=False, default=""),
    timestamp_column("loaded_at"),  # when the outcome was recorded
    Index("uq_order_lines_order_id_position", "order_id", "position", unique=True),
)

order_status_history = Table(
    "order_status_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ID_TYPE, ForeignKey("orders.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    timestamp_column("at", nullable=False),
)

delivery_stages = Table(
    "delivery_stages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", ID_TYPE, ForeignKey("orders.id"), nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("location", String(200), nullable=False, default=""),
    timestamp_column("at", nullable=False),
)

order_imports = Table(
    "order_imports",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False, index=True),
    Column("user_id", ID_TYPE, nullable=False, default=""),
    Column("state", String(16), nullable=False, index=True),  # RUNNING | SUCCEEDED | FAILED
    # NULL once the import no longer needs it (ORDERING_IMPORT_FILE_RETENTION_HOURS).
    Column("file", LargeBinary, nullable=True),
    Column("lines_total", Integer, nullable=False, default=0),
    Column("lines_done", Integer, nullable=False, default=0),
    Column("errors_total", Integer, nullable=False, default=0, server_default="0"),
    Column("order_id", ID_TYPE, nullable=False, default=""),
    timestamp_column("created_at", nullable=False),
    timestamp_column("finished_at"),
)

# Every problem of a FAILED import, in the file's order: a row each, so the
# import shows the first ones cheaply and errors.csv lists them all.
order_import_errors = Table(
    "order_import_errors",
    metadata,
    Column("import_id", ID_TYPE, ForeignKey("order_imports.id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("field", Text, nullable=False),  # "line 12: email"
    Column("description", Text, nullable=False),
)

# identity's AccountUpdated, as far as ordering needs it: the newest snapshot of
# each account's language.
account_languages = Table(
    "account_languages",
    metadata,
    Column("entity_id", ID_TYPE, primary_key=True),
    Column("language", String(8), nullable=False),
    timestamp_column("updated_at", nullable=False),
)

# What each beneficiary's card spent per month (operators' usage imports): an
# import of a month replaces the account's rows of that month.
card_usage = Table(
    "card_usage",
    metadata,
    Column("entity_id", ID_TYPE, primary_key=True),
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("beneficiary_id", ID_TYPE, primary_key=True),
    Column("employee_number", String(32), nullable=False),
    Column("beneficiary_name", String(201), nullable=False),
    Column("spent_cents", BigInteger, nullable=False),
    timestamp_column("imported_at", nullable=False),
)

# One row per year: the last order number given (CMD-<year>-<sequence>).
order_counters = Table(
    "order_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("value", Integer, nullable=False),
)

add_runtime_tables(metadata)
