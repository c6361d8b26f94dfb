"""Billing's repository: every query, taking the caller's AsyncSession."""

from __future__ import annotations

from services.billing.store.documents import DocumentsRepository
from services.billing.store.payments import PaymentsRepository


class Repository(DocumentsRepository, PaymentsRepository):
    """Documents, numbers and the account projection; payments, transfers,
    mandates and claims."""
