"""Parking's integration events."""

from __future__ import annotations

from collections import defaultdict

from portal.assets.v1 import events_pb2
from portal_runtime.outbox import new_event
from services.assets.domain.parking import MonthClosing


def parking_month_closed(closing: MonthClosing) -> list[events_pb2.ParkingMonthClosed]:
    """One event per customer account, with that account's statements."""
    by_entity: dict[str, list] = defaultdict(list)
    for found in closing.statements:
        by_entity[found.entity_id].append(found)
    return [
        _month_closed(closing.closed.month, entity_id, found)
        for entity_id, found in sorted(by_entity.items())
    ]


def _month_closed(month: str, entity_id: str, statements: list) -> events_pb2.ParkingMonthClosed:
    return new_event(
        events_pb2.ParkingMonthClosed,
        month=month,
        entity_id=entity_id,
        statements=[
            events_pb2.ParkingStatementLine(
                statement_id=found.id,
                entity_id=found.entity_id,
                contract_number=found.contract_number,
                car_park=found.car_park,
                exits=found.exits,
                included_exits=found.included_exits,
                extra_exits=found.extra_exits,
                extra_exit_price_cents=found.extra_exit_price_cents,
                amount_excl_tax_cents=found.amount_excl_cents,
                vat_rate_bp=found.vat_rate_bp,
            )
            for found in statements
        ],
    )
