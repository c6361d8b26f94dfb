"""File mode: one transaction creating the beneficiaries and the draft, nothing
on any bad line, background jobs for large files (progress, resumable)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from portal_runtime.errors import InvalidArgument, NotFound
from services.ordering.store.tables import beneficiaries, order_imports, orders
from services.ordering.usecases import beneficiaries as catalog
from services.ordering.usecases import imports

from .conftest import World
from .helpers import file_row, order_file, person, point


async def count(world: World, table) -> int:
    async with world.db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def test_import_creates_missing_beneficiaries_and_a_draft(world: World) -> None:
    hq = await point(world)
    known = await person(world, "E-1", first_name="Ada", last_name="Lovelace")
    data = order_file([file_row("E-1", "20"), file_row("E-2", "1 000,50", code="hq", new="non")])
    order, job = await imports.import_order(world.deps, world.acme, data)
    assert job is None
    assert (order.source, order.status, order.delivery_point_id) == (
        "FILE", "DRAFT", hq.id,
    )  # fmt: skip
    assert order.total_cents == 2000 + 100050 + 500 + 100  # + 20 % VAT on the fee
    first, second = order.lines
    # The existing beneficiary keeps its data; the file's other name is not applied.
    assert (first.beneficiary_id, first.beneficiary_name) == (known.id, "Ada Lovelace")
    created = await catalog.get_beneficiary(world.deps, world.acme, second.beneficiary_id)
    assert (created.first_name, created.last_name, created.email) == (
        "Léa", "Durand", "lea.e-2@example.com",
    )  # fmt: skip
    assert created.default_delivery_point_id == hq.id and not second.new_card


async def test_import_with_bad_lines_creates_nothing(world: World) -> None:
    await point(world)
    data = order_file([file_row("E-1"), file_row("E-2", "abc"), file_row("E-3", code="NOPE")])
    with pytest.raises(InvalidArgument) as err:
        await imports.import_order(world.deps, world.acme, data)
    assert [v.field for v in err.value.violations] == [
        "line 3: loadAmount", "line 4: deliveryPointCode",
    ]  # fmt: skip
    assert await count(world, beneficiaries) == 0 and await count(world, orders) == 0
    with pytest.raises(InvalidArgument):  # codes are the caller's entity's own
        await imports.import_order(world.deps, world.globex, order_file([file_row("E-1")]))


async def test_ten_thousand_lines_import_at_once(world: World) -> None:
    # Its speed is measured by tests/bench/test_import_rate.py, not timed here.
    await point(world)
    data = order_file([file_row(f"E-{i}", "25") for i in range(10_000)])
    order, job = await imports.import_order(world.deps, world.acme, data)
    assert job is None and len(order.lines) == 10_000
    assert await count(world, beneficiaries) == 10_000


async def test_large_file_is_a_background_job_that_resumes(world: World) -> None:
    world.deps.sync_import_max_lines = 5
    world.deps.import_chunk_lines = 4
    await point(world)
    data = order_file([file_row(f"E-{i}") for i in range(10)])
    order, job = await imports.import_order(world.deps, world.acme, data)
    assert order is None and (job.state, job.lines_total, job.lines_done) == ("RUNNING", 10, 0)
    with pytest.raises(NotFound):
        await imports.get_import(world.deps, world.globex, job.id)
    # "After a restart": nothing in memory, the RUNNING row is picked up again;
    # two workers at once (two replicas) still make one order.
    await asyncio.gather(
        imports.process_import(world.deps, job.id), imports.process_import(world.deps, job.id)
    )
    done = await imports.get_import(world.deps, world.acme, job.id)
    assert (done.state, done.lines_done, done.finished_at is not None) == ("SUCCEEDED", 10, True)
    assert await count(world, beneficiaries) == 10
    assert await imports.process_pending_imports(world.deps) == 0  # nothing twice
    assert await count(world, orders) == 1


async def test_background_import_with_bad_lines_fails_with_every_error(world: World) -> None:
    world.deps.sync_import_max_lines = 2
    await point(world)
    data = order_file([file_row("E-1"), file_row("E-1"), file_row("E-3", "0")])
    _, job = await imports.import_order(world.deps, world.acme, data)
    await imports.process_import(world.deps, job.id)
    failed = await imports.get_import(world.deps, world.acme, job.id)
    assert failed.state == "FAILED" and failed.order_id == ""
    assert failed.lines_done == failed.lines_total == 3  # every line was checked
    assert [e.field for e in failed.errors] == ["line 3: employeeNumber", "line 4: loadAmount"]
    assert await count(world, orders) == 0 and await count(world, order_imports) == 1
