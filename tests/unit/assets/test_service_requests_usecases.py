"""Service requests' use cases on a real migrated database: asking, attaching,
following, cancelling; the operator's moves and what they do to machines."""

from __future__ import annotations

from datetime import date

import pytest

from portal.assets.v1 import events_pb2
from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from services.assets.domain.attachments import MAX_PER_PARENT
from services.assets.domain.equipment import EquipmentStatus
from services.assets.domain.service_requests import (
    InterventionType,
    RequestKind,
    RequestStatus,
    Urgency,
)
from services.assets.usecases import equipment
from services.assets.usecases import service_requests as usecases
from tests.support.outbox import outbox_events

from .equipment_fixtures import load_park

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"\x00" * 64


async def _breakdown(world, machine_ids, urgency=Urgency.HIGH, principal=None):
    return await usecases.create_service_request(
        world.deps,
        principal or world.acme,
        equipment_ids=machine_ids,
        kind=RequestKind.INTERVENTION,
        intervention_type=InterventionType.BREAKDOWN,
        urgency=urgency,
        message="Fuite d'huile",
    )


async def _move(world, request_id, status, comment="", planned_for=""):
    return await usecases.update_service_request(
        world.deps,
        world.operator,
        request_id,
        status=status,
        comment=comment,
        planned_for=planned_for,
    )


async def _status(world, machine_id) -> EquipmentStatus:
    return (await equipment.get_equipment(world.deps, world.acme, machine_id)).equipment.status


async def test_a_request_goes_to_its_department_with_machines_and_parts_in_words(world) -> None:
    ids = await load_park(world)
    created = await usecases.create_service_request(
        world.deps,
        world.acme,
        equipment_ids=[ids["HDS-0001"], ids["SC-9001"]],
        kind=RequestKind.PARTS,
        parts=[("6.414-770.0", 2, ids["HDS-0001"]), ("9100002", 1, ids["SC-9001"])],
        message="Urgent",
    )
    request = created.request
    assert request.reference == "SR-2026-000001" and request.status is RequestStatus.RECEIVED
    assert request.user_id == "u-acme"
    [event] = await outbox_events(world.db, events_pb2, "ServiceRequestCreated")
    assert event.service_request_id == request.id and event.entity_id == "ent-acme"
    assert event.reference == "SR-2026-000001" and event.kind == "PARTS"
    assert event.department_email == world.deps.mailboxes["PARTS"]
    assert list(event.equipment) == ["Kärcher HDS 8/18 HDS-0001", "Nilfisk SC450 SC-9001"]
    assert list(event.parts) == [
        "2 x Filtre à carburant (6.414-770.0)",
        "1 x Brosse rouleau (9100002)",
    ]
    assert event.message == "Urgent"

    second = await _breakdown(world, [ids["HDS-0002"]], Urgency.CRITICAL)
    assert second.request.reference == "SR-2026-000002"
    events = await outbox_events(world.db, events_pb2, "ServiceRequestCreated")
    assert (events[1].department_email, events[1].intervention_type, events[1].urgency) == (
        world.deps.mailboxes["INTERVENTION"],
        "BREAKDOWN",
        "CRITICAL",
    )


async def test_requests_are_the_entitys_own(world) -> None:
    ids = await load_park(world)
    with pytest.raises(NotFound) as foreign:
        await _breakdown(world, [ids["HDS-0001"]], principal=world.globex)
    assert foreign.value.reason == "EQUIPMENT_NOT_FOUND"
    created = await _breakdown(world, [ids["HDS-0001"]])
    request_id = created.request.id
    with pytest.raises(NotFound):
        await usecases.get_service_request(world.deps, world.globex, request_id)
    with pytest.raises(NotFound):
        await usecases.cancel_service_request(world.deps, world.globex, request_id)
    with pytest.raises(NotFound):
        await usecases.add_service_request_attachment(world.deps, world.globex, request_id, JPEG)
    attachment = await usecases.add_service_request_attachment(
        world.deps, world.acme, request_id, JPEG, "panne.jpg"
    )
    with pytest.raises(NotFound):
        await usecases.get_service_request_attachment(
            world.deps, world.globex, request_id, attachment.id
        )
    found, _ = await usecases.list_service_requests(world.deps, world.globex)
    assert found == []


async def test_attachments_are_stored_and_read_back_until_the_request_closes(world) -> None:
    ids = await load_park(world)
    request_id = (await _breakdown(world, [ids["HDS-0001"]])).request.id
    photo = await usecases.add_service_request_attachment(
        world.deps, world.acme, request_id, JPEG, "fuite.png"
    )
    assert (photo.filename, photo.content_type, photo.size) == (
        "fuite.jpg",
        "image/jpeg",
        len(JPEG),
    )
    found, data = await usecases.get_service_request_attachment(
        world.deps, world.acme, request_id, photo.id
    )
    assert data == JPEG and found.content_type == "image/jpeg"
    with pytest.raises(InvalidArgument) as not_a_photo:
        await usecases.add_service_request_attachment(world.deps, world.acme, request_id, b"MZ...")
    assert not_a_photo.value.reason == "ATTACHMENT_TYPE"
    view = await usecases.get_service_request(world.deps, world.acme, request_id)
    assert [a.id for a in view.attachments] == [photo.id]
    for _ in range(MAX_PER_PARENT - 1):
        await usecases.add_service_request_attachment(world.deps, world.acme, request_id, PDF)
    with pytest.raises(FailedPrecondition) as full:
        await usecases.add_service_request_attachment(world.deps, world.acme, request_id, PDF)
    assert full.value.reason == "ATTACHMENTS_LIMIT"

    other = (await _breakdown(world, [ids["HDS-0002"]])).request.id
    await usecases.cancel_service_request(world.deps, world.acme, other, "Réparé nous-mêmes")
    with pytest.raises(FailedPrecondition) as closed:
        await usecases.add_service_request_attachment(world.deps, world.acme, other, PDF)
    assert closed.value.reason == "SERVICE_REQUEST_CLOSED"


async def test_an_intervention_moves_its_machines_in_and_out_of_maintenance(world) -> None:
    ids = await load_park(world)
    machine = ids["HDS-0001"]
    request_id = (await _breakdown(world, [machine])).request.id
    planned = await _move(
        world, request_id, RequestStatus.PLANNED, "Technicien mardi", "2026-03-17"
    )
    assert planned.request.planned_for == date(2026, 3, 17)
    assert await _status(world, machine) is EquipmentStatus.IN_SERVICE
    await _move(world, request_id, RequestStatus.IN_PROGRESS, "Sur place")
    assert await _status(world, machine) is EquipmentStatus.UNDER_MAINTENANCE
    done = await _move(world, request_id, RequestStatus.DONE, "Joint remplacé")
    assert await _status(world, machine) is EquipmentStatus.IN_SERVICE

    view = await usecases.get_service_request(world.deps, world.acme, request_id)
    assert view.request.status is RequestStatus.DONE and view.request.comment == "Joint remplacé"
    assert [(c.status, c.comment, c.planned_for) for c in view.request.history] == [
        (RequestStatus.RECEIVED, "", None),
        (RequestStatus.PLANNED, "Technicien mardi", date(2026, 3, 17)),
        (RequestStatus.IN_PROGRESS, "Sur place", None),
        (RequestStatus.DONE, "Joint remplacé", None),
    ]
    assert done.request.history == view.request.history
    changes = await outbox_events(world.db, events_pb2, "ServiceRequestStatusChanged")
    assert [(e.previous_status, e.status, e.comment, e.planned_for) for e in changes] == [
        ("RECEIVED", "PLANNED", "Technicien mardi", "2026-03-17"),
        ("PLANNED", "IN_PROGRESS", "Sur place", ""),
        ("IN_PROGRESS", "DONE", "Joint remplacé", ""),
    ]
    assert {e.service_request_id for e in changes} == {request_id}
    detail = await equipment.get_equipment(world.deps, world.acme, machine)
    assert [r.describe() for r in detail.history] == [
        f"Intervention request (breakdown) {view.request.reference}: done"
    ]

    with pytest.raises(FailedPrecondition) as refused:
        await _move(world, request_id, RequestStatus.IN_PROGRESS)
    assert refused.value.reason == "STATUS_MOVE_REFUSED"
    assert "DONE" in refused.value.message and "IN_PROGRESS" in refused.value.message


async def test_a_machine_two_interventions_work_on_stays_in_maintenance_until_both_end(
    world,
) -> None:
    ids = await load_park(world)
    machine = ids["HDS-0001"]
    first = (await _breakdown(world, [machine])).request.id
    second = (await _breakdown(world, [machine, ids["SC-9001"]])).request.id
    await _move(world, first, RequestStatus.IN_PROGRESS)
    await _move(world, second, RequestStatus.IN_PROGRESS)
    await _move(world, first, RequestStatus.DONE)
    assert await _status(world, machine) is EquipmentStatus.UNDER_MAINTENANCE
    await _move(world, second, RequestStatus.CANCELLED, "Pièce indisponible")
    assert await _status(world, machine) is EquipmentStatus.IN_SERVICE
    assert await _status(world, ids["SC-9001"]) is EquipmentStatus.IN_SERVICE


async def test_the_customer_cancels_only_before_the_work_starts(world) -> None:
    ids = await load_park(world)
    request_id = (await _breakdown(world, [ids["HDS-0001"]])).request.id
    await _move(world, request_id, RequestStatus.IN_PROGRESS)
    with pytest.raises(FailedPrecondition) as refused:
        await usecases.cancel_service_request(world.deps, world.acme, request_id)
    assert refused.value.reason == "NOT_CANCELLABLE"
    other = (await _breakdown(world, [ids["HDS-0002"]])).request.id
    cancelled = await usecases.cancel_service_request(world.deps, world.acme, other, "Doublon")
    assert cancelled.request.status is RequestStatus.CANCELLED
    assert cancelled.request.history[-1].comment == "Doublon"
    changes = await outbox_events(world.db, events_pb2, "ServiceRequestStatusChanged")
    assert (changes[-1].service_request_id, changes[-1].previous_status, changes[-1].status) == (
        other,
        "RECEIVED",
        "CANCELLED",
    )
    assert changes[-1].comment == "Doublon"


async def test_lists_filter_and_order_for_customers_and_operators(world) -> None:
    ids = await load_park(world)
    await load_park(world, "ent-globex")
    globex_ids = {
        m.reference: m.id for m in (await equipment.list_equipment(world.deps, world.globex))[0]
    }
    oldest = (await _breakdown(world, [ids["HDS-0001"]])).request.id
    world.clock.advance(hours=1)
    expertise = await usecases.create_service_request(
        world.deps, world.acme, equipment_ids=[ids["SC-9001"]], kind=RequestKind.EXPERTISE
    )
    world.clock.advance(hours=1)
    foreign = (await _breakdown(world, [globex_ids["SC-9001"]], principal=world.globex)).request.id
    world.clock.advance(hours=1)
    await _move(world, oldest, RequestStatus.CANCELLED, "Doublon")

    found, _ = await usecases.list_service_requests(world.deps, world.acme)
    assert [v.request.id for v in found] == [expertise.request.id, oldest]  # newest first
    found, _ = await usecases.list_service_requests(
        world.deps, world.acme, kind=RequestKind.INTERVENTION
    )
    assert [v.request.id for v in found] == [oldest]
    found, _ = await usecases.list_service_requests(
        world.deps, world.acme, status=RequestStatus.RECEIVED
    )
    assert [v.request.id for v in found] == [expertise.request.id]
    found, _ = await usecases.list_service_requests(
        world.deps, world.acme, equipment_id=ids["SC-9001"]
    )
    assert [v.request.id for v in found] == [expertise.request.id]

    # Operators: every entity, the open ones first, oldest first.
    found, _ = await usecases.admin_list_service_requests(world.deps, world.operator)
    assert [v.request.id for v in found] == [expertise.request.id, foreign, oldest]
    found, _ = await usecases.admin_list_service_requests(
        world.deps, world.operator, entity_id="ent-globex"
    )
    assert [v.request.id for v in found] == [foreign]


async def test_a_planned_date_is_required_and_checked(world) -> None:
    ids = await load_park(world)
    request_id = (await _breakdown(world, [ids["HDS-0001"]])).request.id
    with pytest.raises(InvalidArgument) as missing:
        await _move(world, request_id, RequestStatus.PLANNED)
    assert [v.field for v in missing.value.violations] == ["plannedFor"]
    with pytest.raises(NotFound):
        await _move(world, "nope", RequestStatus.CANCELLED)
