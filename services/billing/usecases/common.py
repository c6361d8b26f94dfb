"""What every use case shares: the dependencies and the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from portal_runtime.clock import utcnow
from portal_runtime.db import Database
from services.billing.domain.mandates import AccountChecker
from services.billing.providers import PaymentProvider
from services.billing.store import Repository

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
