"""Parking: contracts with their badges, the imported exits, the closed months
and the low-usage statements."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portal_runtime.db import ID_TYPE, timestamp_column
from services.assets.store.schema import metadata

parking_contracts = Table(
    "parking_contracts",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("number", String(40), nullable=False, unique=True),
    Column("car_park", String(100), nullable=False),
    Column("type", String(32), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("plates", Text, nullable=False),  # "|"-separated, normalised
    Column("monthly_price_cents", BigInteger, nullable=False),
    Column("included_exits", Integer, nullable=False),
    Column("extra_exit_price_cents", BigInteger, nullable=False),
    Column("vat_rate_bp", Integer, nullable=False),
    timestamp_column("created_at", nullable=False),
    timestamp_column("updated_at", nullable=False),
    Index("ix_parking_contracts_entity", "entity_id", "number"),
)

# One row per badge: the primary key keeps a badge on one contract of the
# operator's, even when two contracts are written at once.
parking_badges = Table(
    "parking_badges",
    metadata,
    Column("badge", String(32), primary_key=True),
    Column("contract_id", ID_TYPE, nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_parking_badges_contract", "contract_id"),
)

parking_exits = Table(
    "parking_exits",
    metadata,
    Column("badge", String(32), primary_key=True),
    # The car park's wall-clock time, as the exits file gives it.
    Column("exited_at", DateTime(timezone=False), primary_key=True),
    Column("month", String(7), nullable=False),
    Column("contract_id", ID_TYPE, nullable=False),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("car_park", String(100), nullable=False),
    Index("ix_parking_exits_contract_month", "contract_id", "month"),
)

# A month closes once: the primary key makes a second closing fail, even when
# two imports of the month run at the same time.
parking_closed_months = Table(
    "parking_closed_months",
    metadata,
    Column("month", String(7), primary_key=True),
    timestamp_column("closed_at", nullable=False),
    Column("exits", Integer, nullable=False),
    Column("statements", Integer, nullable=False),
)

parking_statements = Table(
    "parking_statements",
    metadata,
    Column("id", ID_TYPE, primary_key=True),
    Column("entity_id", ID_TYPE, nullable=False),
    Column("contract_id", ID_TYPE, nullable=False),
    Column("contract_number", String(40), nullable=False),
    Column("car_park", String(100), nullable=False),
    Column("month", String(7), nullable=False),
    Column("exits", Integer, nullable=False),
    Column("included_exits", Integer, nullable=False),
    Column("extra_exits", Integer, nullable=False),
    Column("extra_exit_price_cents", BigInteger, nullable=False),
    Column("amount_excl_cents", BigInteger, nullable=False),
    Column("vat_rate_bp", Integer, nullable=False),
    timestamp_column("created_at", nullable=False),
    UniqueConstraint("contract_id", "month"),
    Index("ix_parking_statements_entity_month", "entity_id", "month"),
)
