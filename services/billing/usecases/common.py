"""What every use case shares: the dependencies and the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from services.billing.domain.creditor import Creditor
from services.billing.domain.direct_debits import DEFAULT_MIN_NOTICE_DAYS
from services.billing.domain.mandates import AccountChecker
from services.billing.iban_vault import IbanVault
from services.billing.providers import PaymentProvider
from services.billing.store import Repository

DEFAULT_OPERATOR_NAME = "Portail"
# The customer web portal (`python -m web`).
DEFAULT_WEB_URL = "http://127.0.0.1:8000"
# A demo creditor (valid, not a real one): production sets its own (README).
DEFAULT_CREDITOR = Creditor(
    identifier="FR72ZZZ123456",
    name=DEFAULT_OPERATOR_NAME,
    iban="FR7630006000011234567890189",
    bic="AGRIFRPPXXX",
)


@dataclass
class Deps:
    db: Database
    repo: Repository
    provider: PaymentProvider
    check_account: AccountChecker
    ibans: IbanVault
    operator_name: str = DEFAULT_OPERATOR_NAME
    creditor: Creditor = DEFAULT_CREDITOR
    min_notice_days: int = DEFAULT_MIN_NOTICE_DAYS
    web_url: str = DEFAULT_WEB_URL
    clock: Callable[[], datetime] = field(default=utcnow)

    def today(self) -> date:
        return self.clock().date()
