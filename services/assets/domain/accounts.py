"""assets' copy of a customer account (identity's AccountUpdated): what quotes
and statements print about the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Account:
    entity_id: str
    name: str
    client_number: str
    language: str
    address_lines: tuple[str, ...]
    updated_at: datetime

    def supersedes(self, stored: Account | None) -> bool:
        """Newest snapshot wins: an older (or same-time) one is ignored."""
        return stored is None or self.updated_at > stored.updated_at
