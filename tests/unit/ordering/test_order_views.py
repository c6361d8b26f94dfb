"""An order as it is read: its first lines and its figures over all of them
(stored with the order and kept by every write), and its lines page by page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from portal_runtime.errors import InvalidArgument, NotFound, PermissionDenied
from portal_runtime.migrations import alembic_config
from portal_runtime.pagination import encode_token
from services.ordering.__main__ import MIGRATIONS
from services.ordering.domain.order_views import LineTotals, view_of
from services.ordering.domain.orders import (
    LoadOutcome,
    LoadStatus,
    Order,
    OrderLine,
    OrderSource,
    new_order,
)
from services.ordering.usecases import imports, orders, production

from .conftest import World
from .helpers import file_row, order_file, point

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _order(count: int) -> Order:
    lines = [
        OrderLine(f"b-{n}", n % 2 == 0, 1_000 + n, f"E-{n}", "Ada Lovelace", id=f"l-{n}")
        for n in range(count)
    ]
    return new_order(
        id="o-1",
        entity_id="ent",
        number="CMD-2026-000001",
        source=OrderSource.UNIT,
        delivery_point_id="dp",
        lines=lines,
        now=NOW,
    )


def test_a_view_shows_the_first_lines_and_counts_them_all() -> None:
    order = _order(7)
    order.lines[1].load_status = LoadStatus.LOADED
    order.lines[2].load_status = LoadStatus.FAILED
    view = view_of(order, shown=3)
    assert [line.id for line in view.lines] == ["l-0", "l-1", "l-2"]
    assert view.more_lines
    assert view.totals == LineTotals(
        count=7, new_cards=4, loads_cents=sum(1_000 + n for n in range(7)), loaded=1, failed=1
    )
    # The view's amounts are the whole order's, not its first lines'.
    assert (view.fees_cents, view.total_cents) == (order.fees_cents, order.total_cents)
    assert len(order.lines) == 7  # the order itself keeps every line
    assert not view_of(order, shown=7).more_lines


async def _imported(world: World, count: int):
    await point(world)
    rows = [file_row(f"E-{n:04d}", f"{10 + n % 5},00", new="oui" if n % 4 else "non")
            for n in range(count)]  # fmt: skip
    order, job = await imports.import_order(world.deps, world.acme, order_file(rows))
    assert job is None
    return order


async def test_reading_an_order_reads_its_first_lines_and_stored_figures(world: World) -> None:
    order = await _imported(world, 130)
    view = await orders.get_order(world.deps, world.acme, order.id)
    assert [line.employee_number for line in view.lines] == [f"E-{n:04d}" for n in range(100)]
    assert view.totals == LineTotals.of(order.lines)
    assert view.total_cents == order.total_cents and view.more_lines
    listed, _ = await orders.list_orders(
        world.deps, world.acme, status="", date_from="", date_to="", page_size=0, page_token=""
    )
    assert [(len(v.lines), v.totals) for v in listed] == [(0, view.totals)]  # lists: no lines
    with pytest.raises(NotFound):
        await orders.get_order(world.deps, world.globex, order.id)


async def test_the_stored_figures_follow_the_loads_recorded(world: World) -> None:
    order = await _imported(world, 3)
    await orders.submit_order(world.deps, world.acme, order.id, "TRANSFER")
    async with world.db.transaction() as s:
        paid = await world.deps.repo.orders.get(s, order.id, None)
        paid.mark_paid("inv-1", NOW)
        paid.start_production(NOW)
        await world.deps.repo.orders.save(s, paid)
    outcomes = [LoadOutcome(order.lines[0].id, True), LoadOutcome(order.lines[2].id, False)]
    await production.record_loads(world.deps, world.operator, order.id, outcomes)
    view = await production.get_any_order(world.deps, world.operator, order.id)
    assert (view.totals.loaded, view.totals.failed, view.totals.count) == (1, 1, 3)


async def test_lines_page_through_every_line_once_in_position_order(world: World) -> None:
    order = await _imported(world, 23)
    seen, token = [], ""
    while True:
        page, token = await orders.list_order_lines(world.deps, world.acme, order.id, 5, token)
        seen += page
        if not token:
            break
    assert [line.employee_number for line in seen] == [f"E-{n:04d}" for n in range(23)]
    assert [line.position for line in seen] == list(range(23))
    # The view's token (after the lines it shows) continues where they stop.
    rest, _ = await orders.list_order_lines(world.deps, world.acme, order.id, 0, encode_token(20))
    assert [line.position for line in rest] == [20, 21, 22]
    everything, last = await orders.list_order_lines(
        world.deps, world.operator, order.id, 500, "", any_entity=True
    )
    assert everything == seen and last == ""


async def test_a_bad_page_or_another_entitys_order_is_refused(world: World) -> None:
    order = await _imported(world, 3)
    for size, token, field in ((-1, "", "pageSize"), (0, "nope", "pageToken")):
        with pytest.raises(InvalidArgument) as err:
            await orders.list_order_lines(world.deps, world.acme, order.id, size, token)
        assert [v.field for v in err.value.violations] == [field]
    with pytest.raises(NotFound):
        await orders.list_order_lines(world.deps, world.globex, order.id, 0, "")
    with pytest.raises(PermissionDenied):
        await orders.list_order_lines(world.deps, world.acme, order.id, 0, "", any_entity=True)


def test_migration_0006_counts_the_lines_of_past_orders(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/migrated.db")
    with engine.begin() as conn:
        command.upgrade(alembic_config(MIGRATIONS, conn), "0005")
        conn.execute(
            text(
                "INSERT INTO orders (id, entity_id, number, status, delivery_point_id, source,"
                " payment_method, payment_id, transfer_iban, transfer_bic, transfer_holder,"
                " transfer_reference, carrier, tracking_url, card_fee_cents, loads_cents,"
                " fees_cents, total_cents, currency, created_at, updated_at) VALUES (:id, 'ent',"
                " :id, 'DELIVERED', 'dp', 'UNIT', '', '', '', '', '', '', '', '', 500, 0, 0, 0,"
                " 'EUR', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            [{"id": "o-1"}, {"id": "o-2"}],
        )
        conn.execute(
            text(
                "INSERT INTO order_lines (id, order_id, position, beneficiary_id, employee_number,"
                " beneficiary_name, new_card, load_amount_cents, load_status, load_error) VALUES"
                " (:id, 'o-1', :position, 'b', 'E', 'Ada', :new_card, 100, :status, '')"
            ),
            [
                {"id": "l-0", "position": 0, "new_card": True, "status": "LOADED"},
                {"id": "l-1", "position": 1, "new_card": True, "status": "FAILED"},
                {"id": "l-2", "position": 2, "new_card": False, "status": "LOADED"},
                {"id": "l-3", "position": 3, "new_card": False, "status": "PENDING"},
            ],
        )
        command.upgrade(alembic_config(MIGRATIONS, conn), "head")
        counts = conn.execute(
            text(
                "SELECT id, line_count, new_cards, lines_loaded, lines_failed FROM orders"
                " ORDER BY id"
            )
        ).all()
    assert [tuple(row) for row in counts] == [("o-1", 4, 2, 2, 1), ("o-2", 0, 0, 0, 0)]
