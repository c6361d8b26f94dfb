"""What every use case shares: the dependencies and configuration, the clock,
the caller's entity, date filters, event helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from portal.common.v1 import types_pb2
from portal_runtime.db import Database
from portal_runtime.errors import InvalidArgument, PermissionDenied, Unauthenticated, Violations
from portal_runtime.tokens import Principal
from services.ordering.domain.orders import (
    DEFAULT_CARD_FEE_CENTS,
    DEFAULT_CARD_FEE_VAT_BP,
    LoadBounds,
)
from services.ordering.domain.values import parse_iso_date
from services.ordering.store import Repository

CURRENCY = "EUR"
DEFAULT_SYNC_IMPORT_MAX_LINES = 10_000


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TransferAccount:
    """Where bank transfers for orders go."""

    iban: str = "FR7630006000011234567890189"
    bic: str = "AGRIFRPP"
    holder: str = "Portail Demo"


@dataclass
class Deps:
    db: Database
    repo: Repository
    bounds: LoadBounds = field(default_factory=LoadBounds)
    card_fee_cents: int = DEFAULT_CARD_FEE_CENTS
    card_fee_vat_bp: int = DEFAULT_CARD_FEE_VAT_BP
    transfer: TransferAccount = field(default_factory=TransferAccount)
    # Files with more order lines are imported in the background.
    sync_import_max_lines: int = DEFAULT_SYNC_IMPORT_MAX_LINES
    # Background imports record their progress every `import_chunk_lines` lines.
    import_chunk_lines: int = 5_000
    clock: Callable[[], datetime] = field(default=utcnow)
    # Set when a background import is stored, to wake the import task at once.
    imports_waiting: asyncio.Event = field(default_factory=asyncio.Event)


def customer_entity(principal: Principal | None) -> str:
    """The entity the caller acts for (from the verified token)."""
    if principal is None:
        raise Unauthenticated("TOKEN_MISSING", "this method needs a bearer token")
    if not principal.entity_id:
        raise PermissionDenied("ENTITY_REQUIRED", "this method acts for a customer account")
    return principal.entity_id


def require(value: str, field_name: str) -> str:
    if not value or not value.strip():
        raise InvalidArgument.for_field(field_name, "is required", reason="REQUIRED_FIELD")
    return value.strip()


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return ts


def money(cents: int) -> types_pb2.Money:
    return types_pb2.Money(amount_cents=cents, currency=CURRENCY)


def day_range(raw_from: str, raw_to: str) -> tuple[datetime | None, datetime | None]:
    """`from`/`to` (YYYY-MM-DD, inclusive) as [start, end) UTC datetimes;
    INVALID_ARGUMENT naming the bad one(s)."""
    bounds: dict[str, date | None] = {}
    violations = Violations()
    for name, raw in (("from", raw_from), ("to", raw_to)):
        raw = raw.strip()
        day = parse_iso_date(raw) if raw else None
        if raw and day is None:
            violations.add(name, "must be a valid date YYYY-MM-DD")
        bounds[name] = day
    violations.raise_if_any("INVALID_DATE_RANGE")
    start, end = bounds["from"], bounds["to"]
    if start and end and end < start:
        raise InvalidArgument.for_field(
            "to", "must not be before `from`", reason="INVALID_DATE_RANGE"
        )
    return (
        datetime.combine(start, time(), UTC) if start else None,
        datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
    )
