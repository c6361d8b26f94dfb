"""Amounts loaded on an entity's cards, per month of the load record and per
beneficiary (named as the order lines name them), next to what the cards spent
(operators' usage imports, by month: `card_usage`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .card_usage import CardUsage


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
    spent_cents: int | None = None  # None: no usage imported (not "spent nothing")

    def add(self, cents: int) -> None:
        self.amount_cents += cents
        self.loads += 1

    def add_spent(self, cents: int) -> None:
        self.spent_cents = (self.spent_cents or 0) + cents


@dataclass
class BeneficiaryLoads(LoadTotals):
    employee_number: str = ""
    name: str = ""


@dataclass
class LoadStatistics:
    months: dict[str, LoadTotals] = field(default_factory=dict)  # by "YYYY-MM"
    beneficiaries: dict[str, BeneficiaryLoads] = field(default_factory=dict)  # by id


def usage_months(start: datetime | None, end: datetime | None) -> tuple[str | None, str | None]:
    """The months (``YYYY-MM``, inclusive; None: open) a [start, end) range of
    load records touches: usage is known by whole months."""
    first = start.strftime("%Y-%m") if start else None
    last = (end - timedelta(microseconds=1)).strftime("%Y-%m") if end else None
    return first, last


def summarise(lines: Iterable[LoadedLine], usage: Iterable[CardUsage] = ()) -> LoadStatistics:
    stats = LoadStatistics()
    for line in lines:
        month = line.loaded_at.strftime("%Y-%m")
        stats.months.setdefault(month, LoadTotals()).add(line.load_amount_cents)
        _person(stats, line.beneficiary_id, line.employee_number, line.beneficiary_name).add(
            line.load_amount_cents
        )
    for figure in usage:
        stats.months.setdefault(figure.month, LoadTotals()).add_spent(figure.spent_cents)
        _person(
            stats, figure.beneficiary_id, figure.employee_number, figure.beneficiary_name
        ).add_spent(figure.spent_cents)
    return stats


def _person(stats: LoadStatistics, beneficiary_id: str, number: str, name: str) -> BeneficiaryLoads:
    return stats.beneficiaries.setdefault(
        beneficiary_id, BeneficiaryLoads(employee_number=number, name=name)
    )
