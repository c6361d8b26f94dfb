"""Billing's repository: one repository per concept, each taking the caller's
AsyncSession and taking and returning domain objects (or small read models)."""

from __future__ import annotations

from services.billing.store.accounts import ClaimsRepository, MandatesRepository
from services.billing.store.documents import AccountsRepository, DocumentsRepository
from services.billing.store.payments import PaymentsRepository
from services.billing.store.transfers import TransfersRepository


class Repository:
    """`documents` (and their numbers), `accounts` (the entity-account projection),
    `payments`, `transfers`, `mandates`, `claims`."""

    def __init__(self) -> None:
        self.documents = DocumentsRepository()
        self.accounts = AccountsRepository()
        self.payments = PaymentsRepository()
        self.transfers = TransfersRepository()
        self.mandates = MandatesRepository()
        self.claims = ClaimsRepository()
