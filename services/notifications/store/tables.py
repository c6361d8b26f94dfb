"""The notifications database's tables (and the runtime's own: outbox, inbox,
dead letters)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portal_runtime.db import add_runtime_tables

metadata = MetaData()

messages_table = Table(
    "messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("recipient_name", String(200), nullable=False, default=""),
    Column("template", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("links", Text, nullable=False),  # JSON array of URLs
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),  # the event's time
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # Delivery lease: the claim (one per batch) sending it, and until when.
    Column("claimed_by", String(32), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    # One message per event, template and recipient: a billing e-mail and its
    # copy to the secondary address share the first two.
    UniqueConstraint(
        "event_id", "template", "recipient", name="uq_messages_event_template_recipient"
    ),
    Index("ix_messages_due", "status", "next_attempt_at"),
    Index("ix_messages_recipient_occurred", "recipient", "occurred_at"),
)

# notifications' projection of identity's AccountUpdated snapshots: who each
# entity's e-mails go to. One row per entity, the newest snapshot wins.
entity_contacts_table = Table(
    "entity_contacts",
    metadata,
    Column("entity_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False, default=""),
    Column("client_number", String(32), nullable=False, default=""),
    Column("language", String(8), nullable=False),
    Column("paperless_consent", Boolean, nullable=False, default=False),
    Column("manager_email", String(320), nullable=False, default=""),
    Column("manager_name", String(200), nullable=False, default=""),
    Column("billing_email", String(320), nullable=False, default=""),
    Column("billing_name", String(200), nullable=False, default=""),
    Column("delivery_email", String(320), nullable=False, default=""),
    Column("delivery_name", String(200), nullable=False, default=""),
    Column("secondary_email", String(320), nullable=False, default="", server_default=""),
    Column("secondary_name", String(200), nullable=False, default="", server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),  # the event's occurred_at
)

add_runtime_tables(metadata)
