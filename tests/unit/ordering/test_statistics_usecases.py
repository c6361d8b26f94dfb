"""Load statistics: per month of the load record and per beneficiary, entity
scoped, JSON by default and CSV with formula neutralisation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from portal_runtime.errors import InvalidArgument
from services.ordering import convert
from services.ordering.domain.orders import LoadOutcome
from services.ordering.usecases import orders, production, statistics

from .conftest import World
from .helpers import person, point
from .test_order_usecases import pay


async def loaded_order(world: World, people, amounts) -> None:
    hq = (await point(world, code=f"P{len(amounts)}{people[0].employee_number}")).id
    lines = [orders.LineInput(p.id, False, a) for p, a in zip(people, amounts, strict=True)]
    order = await orders.create_order(world.deps, world.acme, hq, lines)
    await orders.submit_order(world.deps, world.acme, order.id, "CARD")
    await pay(world, order.id, order.total_cents, f"ev-{order.id}")
    started = await production.start_production(world.deps, world.operator, order.id)
    await production.record_loads(
        world.deps,
        world.operator,
        order.id,
        [LoadOutcome(line.id, True) for line in started.lines],
    )


async def test_statistics_per_month_and_beneficiary(world: World) -> None:
    ada = await person(world, "E-1")
    evil = await person(world, "E-2", first_name="=HYPERLINK(1)", last_name="X")
    await loaded_order(world, [ada, evil], [1000, 2000])  # 2026-03
    world.clock.advance(timedelta(days=30))  # 2026-04-09
    await loaded_order(world, [ada], [500])
    data = await statistics.load_statistics(world.deps, world.acme, "", "")
    content_type, body = convert.load_statistics_body(data, "")
    assert content_type == "application/json"
    parsed = json.loads(body)
    assert parsed["months"] == [
        {"month": "2026-03", "amountCents": "3000", "loads": 2},
        {"month": "2026-04", "amountCents": "500", "loads": 1},
    ]
    assert [(b["employeeNumber"], b["amountCents"]) for b in parsed["beneficiaries"]] == [
        ("E-1", "1500"), ("E-2", "2000"),
    ]  # fmt: skip
    content_type, body = convert.load_statistics_body(data, "text/csv, */*")
    assert content_type == "text/csv; charset=utf-8"
    text = body.decode("utf-8-sig")
    assert "'=HYPERLINK(1) X" in text and "month;2026-04;;;5,00;1" in text
    april = await statistics.load_statistics(world.deps, world.acme, "2026-04-01", "")
    assert list(april.months) == ["2026-04"]
    other = await statistics.load_statistics(world.deps, world.globex, "", "")
    assert other.months == {} and other.beneficiaries == {}
    with pytest.raises(InvalidArgument):
        await statistics.load_statistics(world.deps, world.acme, "2026-13-01", "")
