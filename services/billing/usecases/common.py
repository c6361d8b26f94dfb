"""What every use case shares: the dependencies and configuration, the clock,
the caller's entity, dates, money, and rows <-> domain objects."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Row

from portal.common.v1 import types_pb2
from portal_runtime.db import Database
from portal_runtime.errors import InvalidArgument, PermissionDenied, Unauthenticated, Violations
from portal_runtime.tokens import Principal
from services.billing.domain.documents import Document, DocumentType, Line
from services.billing.domain.mandates import AccountChecker
from services.billing.domain.payments import Allocation, Payment, PaymentState
from services.billing.providers import PaymentProvider
from services.billing.store import Repository

CURRENCY = "EUR"
DEFAULT_OPERATOR_NAME = "Portail"
DEFAULT_WEB_URL = "http://127.0.0.1:8080"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    db: Database
    repo: Repository
    provider: PaymentProvider
    check_account: AccountChecker
    operator_name: str = DEFAULT_OPERATOR_NAME
    web_url: str = DEFAULT_WEB_URL
    clock: Callable[[], datetime] = field(default=utcnow)

    def today(self) -> date:
        return self.clock().date()


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


def parse_day(raw: str) -> date | None:
    raw = raw.strip()
    if not _ISO_DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def day_bounds(raw_from: str, raw_to: str) -> tuple[date | None, date | None]:
    """`from`/`to` (YYYY-MM-DD, inclusive); INVALID_ARGUMENT naming the bad one(s)."""
    bounds: dict[str, date | None] = {}
    violations = Violations()
    for name, raw in (("from", raw_from), ("to", raw_to)):
        day = parse_day(raw) if raw.strip() else None
        if raw.strip() and day is None:
            violations.add(name, "must be a valid date YYYY-MM-DD")
        bounds[name] = day
    violations.raise_if_any("INVALID_DATE_RANGE")
    start, end = bounds["from"], bounds["to"]
    if start and end and end < start:
        raise InvalidArgument.for_field(
            "to", "must not be before `from`", reason="INVALID_DATE_RANGE"
        )
    return start, end


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return ts


def money(cents: int) -> types_pb2.Money:
    return types_pb2.Money(amount_cents=cents, currency=CURRENCY)


def aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# ---- rows <-> domain --------------------------------------------------------------
def lines_json(lines: tuple[Line, ...]) -> list[dict]:
    return [
        {
            "label": line.label,
            "quantity": line.quantity,
            "unit_price_cents": line.unit_price_cents,
            "vat_rate_bp": line.vat_rate_bp,
        }
        for line in lines
    ]


def document_of(row: Row) -> Document:
    return Document(
        id=row.id,
        entity_id=row.entity_id,
        type=DocumentType(row.type),
        number=row.number,
        issue_date=row.issue_date,
        due_date=row.due_date,
        lines=tuple(Line(**line) for line in row.lines),
        contract_number=row.contract_number,
        period_start=row.period_start,
        period_end=row.period_end,
        order_id=row.order_id,
        credits_document_id=row.credits_document_id,
        credited_by_id=row.credited_by_id,
        paid_cents=row.paid_cents,
    )


def document_values(doc: Document, created_at: datetime) -> dict:
    return {
        "id": doc.id,
        "entity_id": doc.entity_id,
        "type": doc.type.value,
        "number": doc.number,
        "issue_date": doc.issue_date,
        "due_date": doc.due_date,
        "contract_number": doc.contract_number,
        "period_start": doc.period_start,
        "period_end": doc.period_end,
        "order_id": doc.order_id,
        "credits_document_id": doc.credits_document_id,
        "credited_by_id": doc.credited_by_id,
        "paid_cents": doc.paid_cents,
        "total_incl_cents": doc.totals.incl_cents,
        "lines": lines_json(doc.lines),
        "created_at": created_at,
    }


@dataclass(frozen=True)
class DocumentView:
    """A document and when it was stored (the API shows both)."""

    document: Document
    created_at: datetime | None


def view_of(row: Row) -> DocumentView:
    return DocumentView(document_of(row), aware(row.created_at))


def payment_of(row: Row, allocations: list[Row]) -> Payment:
    return Payment(
        id=row.id,
        entity_id=row.entity_id,
        amount_cents=row.amount_cents,
        method=row.method,
        state=PaymentState(row.state),
        allocations=tuple(
            Allocation(a.document_id, a.document_number, a.amount_cents) for a in allocations
        ),
        order_id=row.order_id,
        failure_reason=row.failure_reason,
        created_at=aware(row.created_at),
        completed_at=aware(row.completed_at),
    )


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    redirect_url: str = ""
