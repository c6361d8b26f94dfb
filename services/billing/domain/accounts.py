"""What billing knows of a customer account: identity's AccountUpdated snapshot,
for invoices (the contract number), PDFs (name, client number, which is also the
web identifier customers log in with, language, billing address) and online
payment (paperless consent, where the operator requires it). Events may arrive
out of order: the newest snapshot wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal_runtime.errors import FailedPrecondition

DEFAULT_LANGUAGE = "fr"
PAPERLESS_CONSENT_REQUIRED = "PAPERLESS_CONSENT_REQUIRED"


@dataclass(frozen=True)
class EntityAccount:
    entity_id: str
    updated_at: datetime
    name: str = ""
    client_number: str = ""
    language: str = DEFAULT_LANGUAGE
    contract_numbers: tuple[str, ...] = ()
    address_lines: tuple[str, ...] = ()
    # The account accepts its documents by e-mail, on the portal (paperless).
    paperless_consent: bool = False
    # The operator made that consent a condition of paying the balance online.
    paperless_consent_required: bool = False

    @property
    def invoiced_contract(self) -> str:
        """The contract an order's invoice names: the account's first, if any."""
        return self.contract_numbers[0] if self.contract_numbers else ""

    def supersedes(self, known: EntityAccount | None) -> bool:
        """Whether this snapshot replaces `known` (it is not older)."""
        return known is None or not known.updated_at > self.updated_at

    @property
    def may_pay_online(self) -> bool:
        return self.paperless_consent or not self.paperless_consent_required


def check_online_payment(account: EntityAccount | None) -> None:
    """FAILED_PRECONDITION (PAPERLESS_CONSENT_REQUIRED) when the account must give
    its paperless consent before paying online (the parking guide: the consent
    "gives the possibility to pay the balance online"). An account billing has
    not heard of yet is not held back: nothing requires the consent of it."""
    if account is None or account.may_pay_online:
        return
    raise FailedPrecondition(
        PAPERLESS_CONSENT_REQUIRED,
        "paying online needs your consent to receive your documents by e-mail "
        "(paperless): accept it on your account page, or when you first log in, "
        "then pay again",
    )
