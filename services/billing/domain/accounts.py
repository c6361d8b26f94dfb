"""What billing knows of a customer account: identity's AccountUpdated snapshot,
for invoices (the contract number) and PDFs (name, client number, language,
billing address). Events may arrive out of order: the newest snapshot wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_LANGUAGE = "fr"


@dataclass(frozen=True)
class EntityAccount:
    entity_id: str
    updated_at: datetime
    name: str = ""
    client_number: str = ""
    language: str = DEFAULT_LANGUAGE
    contract_numbers: tuple[str, ...] = ()
    address_lines: tuple[str, ...] = ()

    @property
    def invoiced_contract(self) -> str:
        """The contract an order's invoice names: the account's first, if any."""
        return self.contract_numbers[0] if self.contract_numbers else ""

    def supersedes(self, known: EntityAccount | None) -> bool:
        """Whether this snapshot replaces `known` (it is not older)."""
        return known is None or not known.updated_at > self.updated_at
