"""Amounts loaded on the entity's cards, per month (of the load record) and per
beneficiary, as JSON or as a spreadsheet-safe CSV."""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import json_format
from portal.ordering.v1 import ordering_pb2 as pb

from portal_runtime.auth import customer_entity
from portal_runtime.clock import aware
from portal_runtime.csv_export import to_csv
from portal_runtime.filters import day_range
from portal_runtime.money import format_amount
from portal_runtime.tokens import Principal
from services.ordering.usecases.common import Deps

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass
class Totals:
    amount_cents: int = 0
    loads: int = 0

    def add(self, cents: int) -> None:
        self.amount_cents += cents
        self.loads += 1


@dataclass
class BeneficiaryTotals(Totals):
    employee_number: str = ""
    name: str = ""


@dataclass
class LoadStatisticsData:
    months: dict[str, Totals] = field(default_factory=dict)
    beneficiaries: dict[str, BeneficiaryTotals] = field(default_factory=dict)


async def load_statistics(
    deps: Deps, principal: Principal | None, date_from: str, date_to: str
) -> LoadStatisticsData:
    entity_id = customer_entity(principal)
    start, end = day_range(date_from, date_to)
    async with deps.db.transaction() as s:
        rows = await deps.repo.loaded_lines(s, entity_id, loaded_from=start, loaded_before=end)
    data = LoadStatisticsData()
    for row in rows:
        month = aware(row.loaded_at).strftime("%Y-%m")
        data.months.setdefault(month, Totals()).add(row.load_amount_cents)
        person = data.beneficiaries.setdefault(
            row.beneficiary_id,
            BeneficiaryTotals(employee_number=row.employee_number, name=row.beneficiary_name),
        )
        person.add(row.load_amount_cents)
    return data


def as_message(data: LoadStatisticsData) -> pb.LoadStatistics:
    return pb.LoadStatistics(
        months=[
            pb.MonthlyLoad(month=month, amount_cents=t.amount_cents, loads=t.loads)
            for month, t in sorted(data.months.items())
        ],
        beneficiaries=[
            pb.BeneficiaryLoad(
                beneficiary_id=beneficiary_id,
                employee_number=t.employee_number,
                name=t.name,
                amount_cents=t.amount_cents,
                loads=t.loads,
            )
            for beneficiary_id, t in sorted(
                data.beneficiaries.items(), key=lambda item: (item[1].employee_number, item[0])
            )
        ],
    )


def render(data: LoadStatisticsData, accept: str) -> tuple[str, bytes]:
    """(content type, body): CSV when `accept` asks for text/csv, else JSON."""
    message = as_message(data)
    if "text/csv" not in accept.lower():
        return JSON_TYPE, json_format.MessageToJson(message).encode()
    rows: list[list[object]] = [
        ["month", m.month, "", "", format_amount(m.amount_cents), m.loads] for m in message.months
    ]
    rows += [
        ["beneficiary", "", b.employee_number, b.name, format_amount(b.amount_cents), b.loads]
        for b in message.beneficiaries
    ]
    header = ["Kind", "Month", "Employee number", "Name", "Amount (EUR)", "Loads"]
    return CSV_TYPE, to_csv(header, rows)
