"""Identity's tables, on one MetaData that also holds the runtime's tables
(outbox, inbox, idempotency keys, dead letters)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portal_runtime.db import add_runtime_tables

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(32)  # uuid4().hex


def _ts(name: str, nullable: bool = True, **kw: object) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable, **kw)


entities = Table(
    "entities",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("client_number", String(32), nullable=False, unique=True),
    Column("language", String(2), nullable=False),
    Column("paperless_consent", Boolean, nullable=False, default=False),
    Column("delegation_unlocked", Boolean, nullable=False, default=False),
    Column("delegation_unlocked_reason", String(32), nullable=True),
    _ts("delegation_unlocked_at"),
    # The first manager (activation, and login by client number).
    Column("manager_user_id", ID, nullable=True),
    Column("contacts", JSON, nullable=False, default=dict),
    _ts("created_at", nullable=False),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("entity_id", ID, ForeignKey("entities.id"), nullable=False, index=True),
    Column("number", String(32), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    _ts("started_at", nullable=False),
    UniqueConstraint("entity_id", "number", name="uq_contracts_entity_number"),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # normalised
    Column("secondary_email", String(254), nullable=False, default=""),
    Column("first_name", String(100), nullable=False, default=""),
    Column("last_name", String(100), nullable=False, default=""),
    Column("language", String(2), nullable=False),
    Column("status", String(16), nullable=False),
    Column("operator", Boolean, nullable=False, default=False, index=True),
    Column("password_hash", Text, nullable=True),
    Column("password_temporary", Boolean, nullable=False, default=False),
    _ts("password_changed_at"),
    # Login throttling (domain.lockout.LoginThrottle).
    Column("failed_logins", Integer, nullable=False, default=0),
    _ts("first_failure_at"),
    _ts("locked_until"),
    # Access tokens issued before this (epoch seconds) are void on identity's
    # own methods (password change or reset, disabling).
    Column("sessions_valid_after", Integer, nullable=False, default=0),
    _ts("created_at", nullable=False),
    _ts("last_login_at"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False, index=True),
    Column("entity_id", ID, ForeignKey("entities.id"), nullable=False, index=True),
    Column("profile_id", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("invited_by", ID, nullable=True),
    _ts("created_at", nullable=False),
    UniqueConstraint("user_id", "entity_id", name="uq_memberships_user_entity"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("id", ID, primary_key=True),
    Column("entity_id", ID, ForeignKey("entities.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("permissions", JSON, nullable=False),
    _ts("created_at", nullable=False),
    UniqueConstraint("entity_id", "name", name="uq_profiles_entity_name"),
)

link_tokens = Table(
    "link_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("entity_id", ID, nullable=False, default=""),
    Column("purpose", String(16), nullable=False),
    _ts("created_at", nullable=False),
    _ts("expires_at", nullable=False),
    _ts("used_at"),
    _ts("revoked_at"),
    Index("ix_link_tokens_user_purpose", "user_id", "purpose"),
)

session_families = Table(
    "session_families",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False, index=True),
    Column("entity_id", ID, nullable=False, default=""),
    Column("kind", String(16), nullable=False),  # access | first_login
    _ts("created_at", nullable=False),
    _ts("revoked_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("family_id", ID, ForeignKey("session_families.id"), nullable=False, index=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("entity_id", ID, nullable=False, default=""),
    _ts("created_at", nullable=False),
    _ts("expires_at", nullable=False),
    _ts("rotated_at"),
    _ts("revoked_at"),
)

add_runtime_tables(metadata)
