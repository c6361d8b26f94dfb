"""An account's contracts: several over time, each known by its number within
the account; operators add them and end them (an ended contract stays listed)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import AlreadyExists, FailedPrecondition, NotFound

MAX_LABEL_LENGTH = 200


class ContractStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


def contract_label(raw: str) -> str:
    """The label on one line, cut to what the store keeps."""
    return " ".join(raw.split())[:MAX_LABEL_LENGTH]


@dataclass(frozen=True)
class Contract:
    number: str
    label: str
    started_at: datetime
    ended_at: datetime | None = None

    @property
    def status(self) -> ContractStatus:
        return ContractStatus.ENDED if self.ended_at is not None else ContractStatus.ACTIVE

    @property
    def in_force(self) -> bool:
        return self.ended_at is None

    def ended(self, now: datetime) -> Contract:
        if not self.in_force:
            raise FailedPrecondition("CONTRACT_ENDED", f"contract {self.number} has already ended")
        return replace(self, ended_at=now)


def find_contract(contracts: list[Contract], number: str) -> Contract:
    found = next((c for c in contracts if c.number == number), None)
    if found is None:
        raise NotFound("CONTRACT_NOT_FOUND", "no such contract in this account")
    return found


def ensure_new_number(contracts: list[Contract], number: str) -> None:
    """A number is used once per account, even after its contract ended."""
    if any(c.number == number for c in contracts):
        raise AlreadyExists(
            "CONTRACT_EXISTS", "this account already has a contract with this number"
        )
