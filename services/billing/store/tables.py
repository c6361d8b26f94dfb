"""Billing's tables, on one MetaData that also holds the runtime's tables
(outbox, inbox, idempotency keys, dead letters).

Amounts are integer cents; dates of documents and transfers are calendar dates.
Document lines are stored as JSON with their document (they never change)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from portal_runtime.db import ID_TYPE, add_runtime_tables, new_metadata, timestamp_column

metadata = new_metadata()

# Projection of identity's AccountUpdated: the newest snapshot wins.
entity_accounts = Table(
    "entity_accounts",
    metadata,
    Column("entity_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False, default=""),
    Column("client_number", String(32), nullable=False, default=""),
    Column("language", String(8), nullable=False, default="fr"),
    Column("contract_numbers", JSON, nullable=False, default=list),
    Column("address_lines", JSON, nullable=False, default=list),
    # Accounts known before these columns: no consent, none required (the next
    # snapshot says).
    Column("paperless_consent", Boolean, nullable=False, default=False, server_default=false()),
    Column(
        "paperless_consent_required", Boolean, nullable=False, default=False, server_default=false()
    ),
    timestamp_column("updated_at", nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", String(64), nullable=False, index=True),
    Column("type", String(16), nullable=False),
    Column("number", String(32), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("contract_number", String(64), nullable=False, default=""),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("order_id", String(64), nullable=False, default=""),
    Column("credits_document_id", String(64), nullable=False, default=""),
    Column("credited_by_id", String(64), nullable=False, default=""),
    Column("paid_cents", BigInteger, nullable=False, default=0),
    Column("total_incl_cents", BigInteger, nullable=False),
    # [{"label", "quantity", "unit_price_cents", "vat_rate_bp"}]
    Column("lines", JSON, nullable=False),
    timestamp_column("created_at", nullable=False),
    # What a document that is no order's bills ("fleet-request:<id>", "quote:<id>",
    # "parking-statement:<id>"); "" otherwise.
    Column("source_key", String(100), nullable=False, default="", server_default=""),
    # The customer's purchase-order reference (an accepted quote's invoice).
    Column("purchase_order_reference", String(100), nullable=False, default="", server_default=""),
    UniqueConstraint("number", name="uq_documents_number"),
    # One invoice per order, one credit note per invoice.
    Index(
        "uq_documents_order_invoice",
        "order_id",
        unique=True,
        sqlite_where=text("type = 'INVOICE' AND order_id != ''"),
        postgresql_where=text("type = 'INVOICE' AND order_id != ''"),
    ),
    # One invoice per source, and one statement per source: a re-published
    # event cannot bill twice.
    Index(
        "uq_documents_source_invoice",
        "source_key",
        unique=True,
        sqlite_where=text("type = 'INVOICE' AND source_key != ''"),
        postgresql_where=text("type = 'INVOICE' AND source_key != ''"),
    ),
    Index(
        "uq_documents_source_statement",
        "source_key",
        unique=True,
        sqlite_where=text("type = 'STATEMENT' AND source_key != ''"),
        postgresql_where=text("type = 'STATEMENT' AND source_key != ''"),
    ),
    Index(
        "uq_documents_credits",
        "credits_document_id",
        unique=True,
        sqlite_where=text("credits_document_id != ''"),
        postgresql_where=text("credits_document_id != ''"),
    ),
)

# Orders cancelled before billing saw them submitted (each event type has its own
# consumer, so OrderCancelled may come first): their invoice is credited at once.
cancelled_orders = Table(
    "cancelled_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("entity_id", String(64), nullable=False),
    timestamp_column("cancelled_at", nullable=False),
)

# Gapless numbers, one sequence per document type and year for the issuer (every
# customer's documents share it: a number identifies one document), drawn in the
# issuing transaction.
number_sequences = Table(
    "number_sequences",
    metadata,
    Column("year", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("last_number", Integer, nullable=False),
    PrimaryKeyConstraint("year", "type", name="pk_number_sequences"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", String(64), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("method", String(16), nullable=False),
    Column("provider_ref", String(128), nullable=False, default="", index=True),
    Column("redirect_url", Text, nullable=False, default=""),
    Column("order_id", String(64), nullable=False, default=""),
    Column("failure_reason", String(64), nullable=False, default=""),
    timestamp_column("created_at", nullable=False),
    timestamp_column("completed_at"),
)

payment_allocations = Table(
    "payment_allocations",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("payment_id", ID_TYPE, nullable=False, index=True),
    Column("document_id", ID_TYPE, nullable=False, index=True),
    Column("document_number", String(32), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
)

# A provider notification is applied once: its event id is the key.
provider_events = Table(
    "provider_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("payment_id", String(64), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    timestamp_column("received_at", nullable=False),
)

expected_transfers = Table(
    "expected_transfers",
    metadata,
    Column("reference", String(140), primary_key=True),  # normalised
    Column("entity_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False, default=""),
    Column("document_id", ID_TYPE, nullable=False, default=""),
    Column("amount_cents", BigInteger, nullable=False),
    timestamp_column("created_at", nullable=False),
)

# Every received transfer, matched or not: never dropped.
transfers = Table(
    "transfers",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("received_on", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reference", String(140), nullable=False),
    # The reference normalised (no spaces, upper case): what expectations match.
    Column("reference_key", String(140), nullable=False, default=""),
    Column("payer", String(140), nullable=False, default=""),
    Column("matched", Boolean, nullable=False),
    Column("entity_id", String(64), nullable=False, default=""),
    Column("order_id", String(64), nullable=False, default=""),
    Column("document_id", String(64), nullable=False, default=""),
    Column("payment_id", String(64), nullable=False, default=""),
    Column("surplus_cents", BigInteger, nullable=False, default=0),
    timestamp_column("created_at", nullable=False),
    Index("ix_transfers_matched_created", "matched", "created_at"),
    Index("ix_transfers_matched_reference_key", "matched", "reference_key"),
)

mandates = Table(
    "mandates",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", String(64), nullable=False, index=True),
    Column("reference", String(35), nullable=False, unique=True),
    Column("holder", String(70), nullable=False),
    Column("iban_masked", String(64), nullable=False),  # never the full IBAN
    Column("bic", String(11), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("revoked_at"),
    # The full IBAN, encrypted, in bank_account_secrets ("": recorded before it was kept).
    Column("iban_secret_id", String(32), nullable=False, default="", server_default=""),
)

# Full IBANs, only as Fernet tokens (services/billing/iban_vault.py).
bank_account_secrets = Table(
    "bank_account_secrets",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("ciphertext", Text, nullable=False),
    timestamp_column("created_at", nullable=False),
)

direct_debit_batches = Table(
    "direct_debit_batches",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("message_id", String(35), nullable=False, unique=True),
    Column("collection_date", Date, nullable=False),
    Column("creditor_id", String(35), nullable=False),
    Column("status", String(16), nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("settled_at"),
)

direct_debits = Table(
    "direct_debits",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("batch_id", ID_TYPE, nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("entity_id", String(64), nullable=False, index=True),
    Column("mandate_id", ID_TYPE, nullable=False, index=True),
    Column("mandate_reference", String(35), nullable=False),
    Column("document_id", ID_TYPE, nullable=False, index=True),
    Column("document_number", String(32), nullable=False),
    Column("order_id", String(64), nullable=False, default=""),
    Column("amount_cents", BigInteger, nullable=False),
    Column("sequence_type", String(4), nullable=False),
    Column("end_to_end_id", String(35), nullable=False, unique=True),
    Column("collection_date", Date, nullable=False),
    Column("iban_masked", String(64), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("payment_id", String(32), nullable=False, default=""),
    Column("applied_cents", BigInteger, nullable=False, default=0),
    Column("reason", String(32), nullable=False, default=""),
    Column("returned_on", Date),
    timestamp_column("created_at", nullable=False),
    # One debit per invoice at a time: a second pending one is refused here too.
    Index(
        "uq_direct_debits_pending_document",
        "document_id",
        unique=True,
        sqlite_where=text("status = 'PENDING'"),
        postgresql_where=text("status = 'PENDING'"),
    ),
)

claims = Table(
    "claims",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", String(64), nullable=False, index=True),
    Column("document_id", ID_TYPE, nullable=False, index=True),
    Column("document_number", String(32), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("answer", Text, nullable=False, default=""),
    timestamp_column("created_at", nullable=False),
    timestamp_column("answered_at"),
)

add_runtime_tables(metadata)
