"""Amounts loaded on an entity's cards, per month of the load record and per
beneficiary (named as the order lines name them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class LoadedLine:
    """An order line whose load succeeded: a read model of the statistics."""

    beneficiary_id: str
    employee_number: str
    beneficiary_name: str
    load_amount_cents: int
    loaded_at: datetime


@dataclass
class LoadTotals:
    amount_cents: int = 0
    loads: int = 0

    def add(self, cents: int) -> None:
        self.amount_cents += cents
        self.loads += 1


@dataclass
class BeneficiaryLoads(LoadTotals):
    employee_number: str = ""
    name: str = ""


@dataclass
class LoadStatistics:
    months: dict[str, LoadTotals] = field(default_factory=dict)  # by "YYYY-MM"
    beneficiaries: dict[str, BeneficiaryLoads] = field(default_factory=dict)  # by id


def summarise(lines: Iterable[LoadedLine]) -> LoadStatistics:
    stats = LoadStatistics()
    for line in lines:
        month = line.loaded_at.strftime("%Y-%m")
        stats.months.setdefault(month, LoadTotals()).add(line.load_amount_cents)
        person = stats.beneficiaries.setdefault(
            line.beneficiary_id,
            BeneficiaryLoads(employee_number=line.employee_number, name=line.beneficiary_name),
        )
        person.add(line.load_amount_cents)
    return stats
