"""Identity's tables, on one MetaData that also holds the runtime's tables
(outbox, inbox, idempotency keys, dead letters)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from portal_runtime.db import ID_TYPE, add_runtime_tables, new_metadata, timestamp_column

metadata = new_metadata()

entities = Table(
    "entities",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("client_number", String(32), nullable=False, unique=True),
    Column("language", String(2), nullable=False),
    Column("paperless_consent", Boolean, nullable=False, default=False),
    Column("delegation_unlocked", Boolean, nullable=False, default=False),
    Column("delegation_unlocked_reason", String(32), nullable=True),
    timestamp_column("delegation_unlocked_at"),
    # The first manager (activation, and login by client number).
    Column("manager_user_id", ID_TYPE, nullable=True, index=True),
    Column("contacts", JSON, nullable=False, default=dict),
    timestamp_column("created_at", nullable=False),
    # domain.accounts.UnlockRule
    Column("unlock_rule", String(16), nullable=False, server_default="FIRST_ORDER"),
    Column("paperless_consent_required", Boolean, nullable=False, server_default=false()),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, ForeignKey("entities.id"), nullable=False, index=True),
    Column("number", String(32), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    timestamp_column("started_at", nullable=False),
    timestamp_column("ended_at"),
    UniqueConstraint("entity_id", "number", name="uq_contracts_entity_number"),
)

users = Table(
    "users",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # normalised
    Column("secondary_email", String(254), nullable=False, default=""),
    Column("first_name", String(100), nullable=False, default=""),
    Column("last_name", String(100), nullable=False, default=""),
    Column("language", String(2), nullable=False),
    Column("status", String(16), nullable=False),
    Column("operator", Boolean, nullable=False, default=False, index=True),
    Column("password_hash", Text, nullable=True),
    Column("password_temporary", Boolean, nullable=False, default=False),
    timestamp_column("password_changed_at"),
    # Login throttling (domain.lockout.LoginThrottle).
    Column("failed_logins", Integer, nullable=False, default=0),
    timestamp_column("first_failure_at"),
    timestamp_column("locked_until"),
    # Access tokens issued before this (epoch seconds) are void on identity's
    # own methods (password change or reset, disabling).
    Column("sessions_valid_after", Integer, nullable=False, default=0),
    timestamp_column("created_at", nullable=False),
    timestamp_column("last_login_at"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("user_id", ID_TYPE, ForeignKey("users.id"), nullable=False, index=True),
    Column("entity_id", ID_TYPE, ForeignKey("entities.id"), nullable=False, index=True),
    Column("profile_id", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("invited_by", ID_TYPE, nullable=True),
    timestamp_column("created_at", nullable=False),
    UniqueConstraint("user_id", "entity_id", name="uq_memberships_user_entity"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, ForeignKey("entities.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("permissions", JSON, nullable=False),
    timestamp_column("created_at", nullable=False),
    UniqueConstraint("entity_id", "name", name="uq_profiles_entity_name"),
)

link_tokens = Table(
    "link_tokens",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ID_TYPE, ForeignKey("users.id"), nullable=False),
    Column("entity_id", ID_TYPE, nullable=False, default=""),
    Column("purpose", String(16), nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("expires_at", nullable=False),
    timestamp_column("used_at"),
    timestamp_column("revoked_at"),
    Index("ix_link_tokens_user_purpose", "user_id", "purpose"),
)

session_families = Table(
    "session_families",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("user_id", ID_TYPE, ForeignKey("users.id"), nullable=False, index=True),
    Column("entity_id", ID_TYPE, nullable=False, default=""),
    Column("kind", String(16), nullable=False),  # access | first_login
    timestamp_column("created_at", nullable=False),
    timestamp_column("revoked_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("family_id", ID_TYPE, ForeignKey("session_families.id"), nullable=False, index=True),
    Column("user_id", ID_TYPE, ForeignKey("users.id"), nullable=False),
    Column("entity_id", ID_TYPE, nullable=False, default=""),
    timestamp_column("created_at", nullable=False),
    timestamp_column("expires_at", nullable=False),
    timestamp_column("rotated_at"),
    timestamp_column("revoked_at"),
)

add_runtime_tables(metadata)
