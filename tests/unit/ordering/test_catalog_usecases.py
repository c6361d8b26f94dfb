"""Beneficiaries and delivery points against a real (SQLite) database."""

from __future__ import annotations

import pytest

from portal_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.ordering.usecases import beneficiaries as catalog
from services.ordering.usecases import delivery_points as points
from services.ordering.usecases import orders, production

from .conftest import World
from .helpers import draft, person, point


async def test_create_get_update_search_beneficiaries(world: World) -> None:
    ada = await person(world, "E-1", email="Ada@Example.com")
    await person(world, "E-2", first_name="Grace", last_name="Hopper")
    assert ada.email == "ada@example.com" and not ada.has_card
    assert (await catalog.get_beneficiary(world.deps, world.acme, ada.id)).id == ada.id
    found, token = await catalog.list_beneficiaries(world.deps, world.acme, "hOPPer", 0, "")
    assert [b.employee_number for b in found] == ["E-2"] and token == ""
    found, _ = await catalog.list_beneficiaries(world.deps, world.acme, "example.COM", 0, "")
    assert [b.employee_number for b in found] == ["E-1"]
    page, token = await catalog.list_beneficiaries(world.deps, world.acme, "", 1, "")
    assert len(page) == 1 and token
    updated = await catalog.update_beneficiary(
        world.deps, world.acme, ada.id, catalog.BeneficiaryInput(last_name="King")
    )
    assert (updated.first_name, updated.last_name) == ("Ada", "King")
    with pytest.raises(AlreadyExists):
        await person(world, "E-2")
    with pytest.raises(InvalidArgument) as err:
        await person(world, "bad number!", email="nope")
    assert {v.field for v in err.value.violations} == {"employeeNumber", "email"}


async def test_another_entitys_beneficiary_is_not_found(world: World) -> None:
    ada = await person(world, "E-1")
    with pytest.raises(NotFound):
        await catalog.get_beneficiary(world.deps, world.globex, ada.id)
    with pytest.raises(NotFound):
        await catalog.delete_beneficiary(world.deps, world.globex, ada.id)
    hq = await point(world, world.globex)
    with pytest.raises(NotFound):
        await orders.create_order(
            world.deps, world.globex, hq.id, [orders.LineInput(ada.id, True, 5000)]
        )
    # The same employee number is free in another entity.
    assert (await person(world, "E-1", world.globex)).entity_id == "ent-globex"


async def test_delete_beneficiary_refused_while_in_production(world: World) -> None:
    order, _, (ada,) = await draft(world)
    await orders.submit_order(world.deps, world.acme, order.id, "CARD")
    async with world.db.transaction() as s:
        paid = await world.deps.repo.orders.get(s, order.id, None)
        paid.mark_paid("pay-1", world.clock())
        await world.deps.repo.orders.save(s, paid)
    await production.start_production(world.deps, world.operator, order.id)
    with pytest.raises(FailedPrecondition) as err:
        await catalog.delete_beneficiary(world.deps, world.acme, ada.id)
    assert err.value.reason == "BENEFICIARY_IN_PRODUCTION"


async def test_deleted_beneficiary_keeps_past_order_lines(world: World) -> None:
    order, _, (ada,) = await draft(world)
    await catalog.delete_beneficiary(world.deps, world.acme, ada.id)
    with pytest.raises(NotFound):
        await catalog.get_beneficiary(world.deps, world.acme, ada.id)
    kept = await orders.get_order(world.deps, world.acme, order.id)
    assert [line.beneficiary_name for line in kept.lines] == ["Ada Lovelace"]
    # The number is free again.
    assert (await person(world, "E-0")).id != ada.id


async def test_delivery_points_crud_and_delete_guard(world: World) -> None:
    hq = await point(world)
    assert (hq.code, hq.address.country) == ("HQ", "FR")
    with pytest.raises(AlreadyExists):
        await point(world, code="hq")
    other = await point(world, code="WH")
    renamed = await points.update_delivery_point(
        world.deps, world.acme, other.id, points.DeliveryPointInput(name="Warehouse")
    )
    assert (renamed.name, renamed.code) == ("Warehouse", "WH")
    rows, _ = await points.list_delivery_points(world.deps, world.acme, 0, "")
    assert {r.code for r in rows} == {"HQ", "WH"}
    with pytest.raises(NotFound):
        await points.delete_delivery_point(world.deps, world.globex, hq.id)
    ada = await person(world, "E-9")
    order = await orders.create_order(
        world.deps, world.acme, hq.id, [orders.LineInput(ada.id, False, 2000)]
    )
    with pytest.raises(FailedPrecondition) as err:
        await points.delete_delivery_point(world.deps, world.acme, hq.id)
    assert err.value.reason == "DELIVERY_POINT_IN_USE"
    await orders.cancel_order(world.deps, world.acme, order.id)
    await points.delete_delivery_point(world.deps, world.acme, hq.id)
    rows, _ = await points.list_delivery_points(world.deps, world.acme, 0, "")
    assert [r.code for r in rows] == ["WH"]
