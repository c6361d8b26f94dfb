"""What every use case shares: the dependencies and configuration, and rows <->
domain objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row

from portal_runtime.clock import aware, utcnow
from portal_runtime.db import Database
from services.billing.domain.documents import Document, DocumentType, Line
from services.billing.domain.mandates import AccountChecker
from services.billing.domain.payments import Allocation, Payment, PaymentState
from services.billing.providers import PaymentProvider
from services.billing.store import Repository

CURRENCY = "EUR"
DEFAULT_OPERATOR_NAME = "Portail"
DEFAULT_WEB_URL = "http://127.0.0.1:8080"


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
