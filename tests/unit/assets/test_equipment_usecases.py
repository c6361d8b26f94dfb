"""The park's use cases on a real migrated database: the catalogue, imports,
lists and searches, exports, additions, removals; each entity sees its own."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from portal.assets.v1 import events_pb2
from portal_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from services.assets.domain.equipment import EquipmentStatus, new_equipment
from services.assets.domain.service_requests import RequestKind, RequestStatus
from services.assets.usecases import equipment as usecases
from services.assets.usecases import service_requests
from tests.support.outbox import outbox_events

from .equipment_fixtures import KARCHER, NILFISK, PARK, load_catalogue, load_park, park_file, row


def _refs(found) -> list[str]:
    return [machine.reference for machine in found]


async def _list(world, principal=None, **criteria) -> list[str]:
    found, _ = await usecases.list_equipment(world.deps, principal or world.acme, **criteria)
    return _refs(found)


async def test_operators_put_models_customers_read_the_catalogue(world) -> None:
    await load_catalogue(world)
    models = await usecases.list_models(world.deps, world.acme)
    assert [(m.code, m.brand, m.name) for m in models] == [
        (KARCHER, "Kärcher", "HDS 8/18"),
        (NILFISK, "Nilfisk", "SC450"),
    ]
    assert [
        m.code for m in await usecases.list_models(world.deps, world.acme, brand="nilfisk")
    ] == [NILFISK]
    assert [m.code for m in await usecases.list_models(world.deps, world.acme, q="hds")] == [
        KARCHER
    ]
    model = await usecases.get_model(world.deps, world.acme, "kar-hds-8/18")
    assert [p.code for p in model.parts] == ["6.414-770.0", "4.767-017.0"]
    # Put again: the model and its parts list are replaced whole.
    await usecases.put_model(
        world.deps,
        world.operator,
        KARCHER,
        brand="Kärcher",
        name="HDS 8/18-4 C",
        parts=[("X-1", "Joint")],
    )
    model = await usecases.get_model(world.deps, world.acme, KARCHER)
    assert model.name == "HDS 8/18-4 C" and [p.code for p in model.parts] == ["X-1"]
    with pytest.raises(NotFound):
        await usecases.get_model(world.deps, world.acme, "NOPE")
    with pytest.raises(PermissionDenied):
        await usecases.put_model(world.deps, world.acme, "X", brand="b", name="n", parts=[])


async def test_an_imported_park_is_listed_searched_and_filtered(world) -> None:
    ids = await load_park(world)
    assert await _list(world) == ["SC-9001", "HDS-0002", "HDS-0001"]  # by name
    assert await _list(world, brand="KÄRCHER") == ["HDS-0002", "HDS-0001"]
    assert await _list(world, model="sc450") == ["SC-9001"]
    assert await _list(world, model=KARCHER.lower()) == ["HDS-0002", "HDS-0001"]
    assert await _list(world, q="0001") == ["HDS-0001"]
    assert await _list(world, q="hds-000") == ["HDS-0002", "HDS-0001"]
    assert await _list(world, q=" HDS- 0001") == ["HDS-0001"]  # typed with a blank
    assert await _list(world, q="autolaveuse") == ["SC-9001"]
    sites = await usecases.list_sites(world.deps, world.acme)
    assert [(s.name, s.address.city) for s in sites] == [
        ("Atelier", "Lyon"),
        ("Entrepôt", "Villeurbanne"),
    ]
    assert await _list(world, site_id=sites[1].id) == ["SC-9001"]
    page, token = await usecases.list_equipment(world.deps, world.acme, page_size=2)
    assert len(page) == 2 and token
    rest, token = await usecases.list_equipment(
        world.deps, world.acme, page_size=2, page_token=token
    )
    assert _refs(rest) == ["HDS-0001"] and token == ""

    detail = await usecases.get_equipment(world.deps, world.acme, ids["HDS-0001"])
    machine = detail.equipment
    assert (machine.brand, machine.model_name, machine.site.name) == (
        "Kärcher",
        "HDS 8/18",
        "Atelier",
    )
    assert machine.commissioned_on == date(2024, 5, 2) and machine.contract == "CT-77"
    assert detail.history == []
    # Nobody else sees them.
    assert await _list(world, world.globex) == []
    assert await usecases.list_sites(world.deps, world.globex) == []
    with pytest.raises(NotFound):
        await usecases.get_equipment(world.deps, world.globex, ids["HDS-0001"])


async def test_importing_again_updates_the_known_references(world) -> None:
    ids = await load_park(world)
    again = park_file(
        [
            row(KARCHER, "HDS-0001", "Nettoyeur renommé", status="UNDER_MAINTENANCE"),
            row(NILFISK, "SC-9002"),
        ]
    )
    result = await usecases.import_equipment(world.deps, world.operator, again, "ent-acme")
    assert (result.lines, result.created, result.updated) == (2, 1, 1)
    machine = (await usecases.get_equipment(world.deps, world.acme, ids["HDS-0001"])).equipment
    assert (
        machine.name == "Nettoyeur renommé" and machine.status is EquipmentStatus.UNDER_MAINTENANCE
    )
    assert machine.site.name == "Atelier"  # blank cells keep what the machine had
    assert len(await _list(world)) == 4


async def test_a_bad_file_names_every_line_and_writes_nothing(world) -> None:
    await load_catalogue(world)
    data = park_file(
        [PARK[0], row("TELEX-1", "T-1"), row(NILFISK, "SC-2", commissioned_on="2099-01-01")]
    )
    with pytest.raises(InvalidArgument) as refused:
        await usecases.import_equipment(world.deps, world.operator, data, "ent-acme")
    assert {v.field for v in refused.value.violations} == {"line 4: commissionedOn"}
    data = park_file([PARK[0], row("TELEX-1", "T-1")])
    with pytest.raises(InvalidArgument) as unknown:
        await usecases.import_equipment(world.deps, world.operator, data, "ent-acme")
    assert {v.field for v in unknown.value.violations} == {"line 3: model"}
    assert await _list(world) == []
    assert await usecases.list_sites(world.deps, world.acme) == []


async def test_a_customer_adds_a_machine_and_a_duplicate_reference_names_it(world) -> None:
    ids = await load_park(world)
    sites = await usecases.list_sites(world.deps, world.acme)
    added = await usecases.create_equipment(
        world.deps,
        world.acme,
        model_id="nil-sc450",
        reference="SC-9100",
        site_id=sites[0].id,
        commissioned_on="2026-03-10",
    )
    assert added.name == "Nilfisk SC450" and added.status is EquipmentStatus.IN_SERVICE
    assert added.site.name == "Atelier" and "SC-9100" in await _list(world, q="9100")

    with pytest.raises(AlreadyExists) as duplicate:
        await usecases.create_equipment(
            world.deps, world.acme, model_id=NILFISK, reference="hds-0001 "
        )
    assert duplicate.value.reason == "REFERENCE_IN_PARK"
    assert duplicate.value.metadata == {"equipmentId": ids["HDS-0001"], "name": "Nettoyeur atelier"}
    assert (
        ids["HDS-0001"] in duplicate.value.message
        and "Nettoyeur atelier" in duplicate.value.message
    )
    # Another entity's park is its own.
    other = await usecases.create_equipment(
        world.deps, world.globex, model_id=NILFISK, reference="HDS-0001"
    )
    assert other.entity_id == "ent-globex"


async def test_an_addition_is_checked_whole(world) -> None:
    await load_catalogue(world)
    with pytest.raises(InvalidArgument) as refused:
        await usecases.create_equipment(
            world.deps, world.acme, model_id="", reference=" ", commissioned_on="2026-03-11"
        )
    assert {v.field: v.description for v in refused.value.violations} == {
        "modelId": "is required: a model of the catalogue",
        "reference": "is required",
        "commissionedOn": "must not be in the future",
    }
    await load_park(world, "ent-globex")
    foreign_site = (await usecases.list_sites(world.deps, world.globex))[0]
    with pytest.raises(InvalidArgument) as unknown:
        await usecases.create_equipment(
            world.deps, world.acme, model_id="NOPE", reference="R-1", site_id=foreign_site.id
        )
    assert {v.field: v.description for v in unknown.value.violations} == {
        "modelId": "no model 'NOPE' in the catalogue",
        "siteId": "is not one of your sites",
    }


async def test_the_export_has_the_screens_columns_and_filters(world) -> None:
    await load_park(world)
    data = await usecases.export_equipment(world.deps, world.acme, brand="Kärcher")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Name", "Reference", "Brand", "Model", "Model code"]
    assert [r[1] for r in rows[1:]] == ["HDS-0002", "HDS-0001"]
    assert rows[2] == [
        "Nettoyeur atelier", "HDS-0001", "Kärcher", "HDS 8/18", KARCHER, "Atelier",
        "1 rue des Forges", "69001", "Lyon", "2024-05-02", "CT-77", "IN_SERVICE",
    ]  # fmt: skip


async def test_a_removal_is_asked_then_done_and_the_machine_leaves_the_park(world) -> None:
    ids = await load_park(world)
    machine_id = ids["HDS-0001"]
    asked = await usecases.delete_equipment(world.deps, world.acme, machine_id, "Vendue")
    request = asked.request
    assert request.kind is RequestKind.REMOVAL and request.status is RequestStatus.RECEIVED
    assert request.equipment_ids == (machine_id,) and request.message == "Vendue"
    [event] = await outbox_events(world.db, events_pb2, "ServiceRequestCreated")
    assert event.kind == "REMOVAL" and event.department_email == world.deps.mailboxes["REMOVAL"]
    with pytest.raises(FailedPrecondition) as twice:
        await usecases.delete_equipment(world.deps, world.acme, machine_id)
    assert twice.value.reason == "REMOVAL_ALREADY_OPEN"
    with pytest.raises(NotFound):
        await usecases.delete_equipment(world.deps, world.globex, machine_id)

    for status in (RequestStatus.IN_PROGRESS, RequestStatus.DONE):
        await service_requests.update_service_request(
            world.deps, world.operator, request.id, status=status, comment="Reprise"
        )
    assert "HDS-0001" not in await _list(world)
    assert "HDS-0001" in await _list(world, include_removed=True)
    detail = await usecases.get_equipment(world.deps, world.acme, machine_id)
    assert detail.equipment.status is EquipmentStatus.REMOVED
    assert [(r.id, r.describe()) for r in detail.history] == [
        (request.id, f"Removal request {request.reference}: done")
    ]
    with pytest.raises(FailedPrecondition) as removed:
        await usecases.delete_equipment(world.deps, world.acme, machine_id)
    assert removed.value.reason == "EQUIPMENT_REMOVED"
    # Its reference is free again: the same serial number may come back.
    again = await usecases.create_equipment(
        world.deps, world.acme, model_id=KARCHER, reference="HDS-0001"
    )
    assert again.id != machine_id


async def test_the_database_keeps_one_machine_per_reference_in_the_park(world) -> None:
    await load_catalogue(world)
    repo = world.deps.repo
    now = world.clock()
    async with world.db.transaction() as s:
        model = await repo.models.get(s, KARCHER)
        await repo.equipment.add(s, new_equipment("eq-1", "ent-acme", model, "R-1", "", now))
        removed = new_equipment("eq-2", "ent-acme", model, "r-1", "", now)
        removed.remove(now)
        await repo.equipment.add(s, removed)
        await repo.equipment.add(s, new_equipment("eq-3", "ent-globex", model, "R-1", "", now))
    with pytest.raises(IntegrityError):
        async with world.db.transaction() as s:
            await repo.equipment.add(s, new_equipment("eq-4", "ent-acme", model, " r -1", "", now))


async def test_an_addition_racing_another_names_the_machine_that_won(world, monkeypatch) -> None:
    ids = await load_park(world)
    repo = world.deps.repo.equipment
    looked_up = repo.in_park_by_references
    calls = []

    async def missed_once(*args, **kw):
        # The first look misses the machine, as when another writer adds it
        # between the look and the insert: the database refuses the insert.
        calls.append(args)
        return {} if len(calls) == 1 else await looked_up(*args, **kw)

    monkeypatch.setattr(repo, "in_park_by_references", missed_once)
    with pytest.raises(AlreadyExists) as duplicate:
        await usecases.create_equipment(
            world.deps, world.acme, model_id=KARCHER, reference="HDS-0001"
        )
    assert len(calls) == 2
    assert duplicate.value.metadata["equipmentId"] == ids["HDS-0001"]
