"""Billing's repository: one repository per concept, each taking the caller's
AsyncSession and taking and returning domain objects (or small read models)."""

from __future__ import annotations

from services.billing.store.accounts import (
    BankAccountSecretsRepository,
    ClaimsRepository,
    MandatesRepository,
)
from services.billing.store.direct_debits import DirectDebitsRepository
from services.billing.store.documents import AccountsRepository, DocumentsRepository
from services.billing.store.payments import PaymentsRepository
from services.billing.store.transfers import TransfersRepository


class Repository:
    """`documents` (and their numbers), `accounts` (the entity-account projection),
    `payments`, `transfers`, `mandates` (and `iban_secrets`, their encrypted
    IBANs), `direct_debits` (batches and their debits), `claims`."""

    def __init__(self) -> None:
        self.documents = DocumentsRepository()
        self.accounts = AccountsRepository()
        self.payments = PaymentsRepository()
        self.transfers = TransfersRepository()
        self.mandates = MandatesRepository()
        self.iban_secrets = BankAccountSecretsRepository()
        self.direct_debits = DirectDebitsRepository()
        self.claims = ClaimsRepository()
