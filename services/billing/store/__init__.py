"""Billing's database: tables (`tables.metadata`), the repository, and its read
models (a document and when it was stored, a payment and its payment page)."""

from services.billing.store.documents import DocumentView
from services.billing.store.payments import PaymentView
from services.billing.store.repository import Repository
from services.billing.store.tables import metadata

__all__ = ["DocumentView", "PaymentView", "Repository", "metadata"]
