"""Service requests' rules without I/O: what each kind needs, the machines and
parts a request may name, the operator's workflow and what it does to machines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from services.assets.domain.equipment import Equipment, EquipmentModel, EquipmentStatus, Part
from services.assets.domain.service_request_intake import (
    RequestFields,
    check_request_fields,
    open_request,
    require_machines,
)
from services.assets.domain.service_requests import (
    ALLOWED_MOVES,
    InterventionType,
    MachineEffect,
    RequestKind,
    RequestStatus,
    Urgency,
    check_move,
    machine_effect,
    reference_of,
)

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
KARCHER = EquipmentModel("KAR", "Kärcher", "HDS 8/18", (Part("F-1", "Filtre"), Part("B-2", "Buse")))
NILFISK = EquipmentModel("NIL", "Nilfisk", "SC450", (Part("BR-9", "Brosse"),))
MODELS = {"KAR": KARCHER, "NIL": NILFISK}


def _machine(machine_id: str, model: EquipmentModel = KARCHER, **kw) -> Equipment:
    return Equipment(
        machine_id,
        "ent",
        model.code,
        f"REF-{machine_id}",
        f"Machine {machine_id}",
        brand=model.brand,
        model_name=model.name,
        **kw,
    )


def _fields(**kw) -> RequestFields:
    given = {"kind": RequestKind.EXPERTISE, "equipment_ids": ["eq-1"], "today": TODAY, **kw}
    return check_request_fields(**given)


def _violations(error) -> dict[str, str]:
    return {v.field: v.description for v in error.violations}


def _open(fields: RequestFields, machines, removals=None):
    return open_request(
        "sr-1", "ent", "u-1", "SR-2026-000001", fields, machines, MODELS, removals or {}, NOW
    )


# ---- what the customer asks ---------------------------------------------------------------


def test_machines_and_kind_are_required_and_named() -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_request_fields(
            kind=None, equipment_ids=["eq-1", " ", "eq-1"], message="x" * 4001, today=TODAY
        )
    assert _violations(refused.value) == {
        "equipmentIds[1]": "is empty",
        "equipmentIds[2]": "is already selected (equipmentIds[0])",
        "kind": "is required: PARTS, INTERVENTION, EXPERTISE or REMOVAL",
        "message": "must be at most 4000 characters",
    }
    with pytest.raises(InvalidArgument) as none:
        _fields(equipment_ids=[])
    assert _violations(none.value) == {"equipmentIds": "select at least one machine"}


def test_an_intervention_needs_its_type_a_breakdown_its_urgency() -> None:
    with pytest.raises(InvalidArgument) as no_type:
        _fields(kind=RequestKind.INTERVENTION)
    assert _violations(no_type.value) == {
        "interventionType": "is required: BREAKDOWN or PREVENTIVE"
    }
    with pytest.raises(InvalidArgument) as no_urgency:
        _fields(kind=RequestKind.INTERVENTION, intervention_type=InterventionType.BREAKDOWN)
    assert _violations(no_urgency.value) == {
        "urgency": "is required for a breakdown: NORMAL, HIGH or CRITICAL"
    }
    fields = _fields(
        kind=RequestKind.INTERVENTION,
        intervention_type=InterventionType.BREAKDOWN,
        urgency=Urgency.HIGH,
        message="  Fuite d'huile  ",
    )
    assert fields.urgency is Urgency.HIGH and fields.message == "Fuite d'huile"


def test_a_preventive_visit_needs_one_to_five_future_dates() -> None:
    preventive = {
        "kind": RequestKind.INTERVENTION,
        "intervention_type": InterventionType.PREVENTIVE,
    }
    with pytest.raises(InvalidArgument) as none:
        _fields(**preventive)
    assert _violations(none.value) == {"wishedDates": "give 1 to 5 dates for the visit"}
    with pytest.raises(InvalidArgument) as bad:
        _fields(
            **preventive,
            wished_dates=["2026-03-10", "2026-03-20", "2026-03-20", "20/03/2026"],
            urgency=Urgency.HIGH,
        )
    assert _violations(bad.value) == {
        "urgency": "is only for a breakdown",
        "wishedDates[0]": "must be in the future",
        "wishedDates[2]": "is given twice",
        "wishedDates[3]": "must be a date YYYY-MM-DD",
    }
    with pytest.raises(InvalidArgument) as too_many:
        _fields(**preventive, wished_dates=[f"2026-04-0{d}" for d in range(1, 7)])
    assert _violations(too_many.value) == {"wishedDates": "give at most 5 dates"}
    fields = _fields(**preventive, wished_dates=["2026-03-11", "2026-04-02"])
    assert fields.wished_dates == (date(2026, 3, 11), date(2026, 4, 2))


def test_fields_of_another_kind_are_refused() -> None:
    with pytest.raises(InvalidArgument) as refused:
        _fields(
            kind=RequestKind.EXPERTISE,
            intervention_type=InterventionType.BREAKDOWN,
            urgency=Urgency.NORMAL,
            wished_dates=["2026-04-01"],
            parts=[("F-1", 1, "")],
        )
    assert set(_violations(refused.value)) == {
        "interventionType",
        "urgency",
        "wishedDates",
        "parts",
    }


def test_parts_need_codes_and_quantities_of_1_to_999() -> None:
    with pytest.raises(InvalidArgument) as none:
        _fields(kind=RequestKind.PARTS)
    assert _violations(none.value) == {"parts": "select at least one part"}
    with pytest.raises(InvalidArgument) as bad:
        _fields(kind=RequestKind.PARTS, parts=[("", 1, ""), ("F-1", 0, ""), ("B-2", 1000, "")])
    assert _violations(bad.value) == {
        "parts[0].partCode": "is required",
        "parts[1].quantity": "must be 1 to 999",
        "parts[2].quantity": "must be 1 to 999",
    }
    assert _fields(kind=RequestKind.PARTS, parts=[("f-1", 999, "")]).parts[0].part_code == "F-1"


# ---- with the machines ----------------------------------------------------------------------


def test_machines_of_another_entity_are_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        require_machines(["eq-1", "eq-x"], {"eq-1": _machine("eq-1")})
    assert missing.value.reason == "EQUIPMENT_NOT_FOUND" and "eq-x" in missing.value.message


def test_a_request_is_only_for_machines_in_the_park() -> None:
    removed = _machine("eq-2", status=EquipmentStatus.REMOVED)
    fields = _fields(equipment_ids=["eq-1", "eq-2"])
    with pytest.raises(FailedPrecondition) as refused:
        _open(fields, [_machine("eq-1"), removed])
    assert refused.value.reason == "EQUIPMENT_REMOVED"
    assert _violations(refused.value) == {
        "equipmentIds[1]": "Machine eq-2 (REF-eq-2) is not in the park"
    }


def test_a_removal_already_open_is_refused() -> None:
    fields = _fields(kind=RequestKind.REMOVAL)
    with pytest.raises(FailedPrecondition) as refused:
        _open(fields, [_machine("eq-1")], {"eq-1": "SR-2026-000007"})
    assert refused.value.reason == "REMOVAL_ALREADY_OPEN"
    assert "SR-2026-000007" in _violations(refused.value)["equipmentIds[0]"]
    # Another kind of request is welcome meanwhile.
    request, _ = _open(_fields(), [_machine("eq-1")], {"eq-1": "SR-2026-000007"})
    assert request.status is RequestStatus.RECEIVED


def test_parts_come_from_their_machines_models() -> None:
    one = _fields(kind=RequestKind.PARTS, parts=[("b-2", 3, "")])
    request, opened = _open(one, [_machine("eq-1")])
    # One machine: the part is for it, its label from the parts list.
    assert [(p.part_code, p.label, p.equipment_id) for p in request.parts] == [
        ("B-2", "Buse", "eq-1")
    ]
    assert opened.parts == ("3 x Buse (B-2)",)
    assert opened.equipment == ("Kärcher HDS 8/18 REF-eq-1",)

    machines = [_machine("eq-1"), _machine("eq-2", NILFISK)]
    several = _fields(
        kind=RequestKind.PARTS,
        equipment_ids=["eq-1", "eq-2"],
        parts=[("F-1", 1, ""), ("F-1", 1, "eq-2"), ("BR-9", 1, "eq-9"), ("BR-9", 2, "eq-2")],
    )
    with pytest.raises(InvalidArgument) as refused:
        _open(several, machines)
    assert _violations(refused.value) == {
        "parts[0].equipmentId": "is required: which of the selected machines the part is for",
        "parts[1].partCode": "no part 'F-1' in the parts list of Nilfisk SC450 REF-eq-2",
        "parts[2].equipmentId": "is not one of the selected machines (equipmentIds)",
    }
    twice = _fields(kind=RequestKind.PARTS, parts=[("F-1", 1, ""), ("f-1", 2, "eq-1")])
    with pytest.raises(InvalidArgument) as duplicate:
        _open(twice, [_machine("eq-1")])
    assert _violations(duplicate.value) == {"parts[1].partCode": "is already asked in parts[0]"}


def test_a_new_request_is_received_with_its_first_history_entry() -> None:
    request, _ = _open(_fields(), [_machine("eq-1")])
    assert request.status is RequestStatus.RECEIVED and request.equipment_ids == ("eq-1",)
    assert [(c.status, c.at) for c in request.history] == [(RequestStatus.RECEIVED, NOW)]
    assert reference_of(2026, 42) == "SR-2026-000042"


# ---- the operator's moves -------------------------------------------------------------------

MOVES = [(a, b) for a in RequestStatus for b in RequestStatus]


@pytest.mark.parametrize(("current", "target"), MOVES, ids=lambda s: s.value)
def test_the_workflow_allows_only_its_moves(current, target) -> None:
    request, _ = _open(_fields(), [_machine("eq-1")])
    request.status = current
    allowed = {
        (RequestStatus.RECEIVED, RequestStatus.PLANNED),
        (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS),
        (RequestStatus.RECEIVED, RequestStatus.CANCELLED),
        (RequestStatus.PLANNED, RequestStatus.PLANNED),
        (RequestStatus.PLANNED, RequestStatus.IN_PROGRESS),
        (RequestStatus.PLANNED, RequestStatus.CANCELLED),
        (RequestStatus.IN_PROGRESS, RequestStatus.DONE),
        (RequestStatus.IN_PROGRESS, RequestStatus.CANCELLED),
    }
    assert (target in ALLOWED_MOVES.get(current, frozenset())) == ((current, target) in allowed)
    day = date(2026, 3, 20) if target is RequestStatus.PLANNED else None
    if (current, target) in allowed:
        moved = request.move(target, "ok", day, NOW)
        assert (moved.previous, moved.status) == (current, target)
        assert request.history[-1].status is target and request.history[-1].comment == "ok"
    else:
        with pytest.raises(FailedPrecondition) as refused:
            request.move(target, "", day, NOW)
        assert refused.value.reason == "STATUS_MOVE_REFUSED"
        assert current.value in refused.value.message and target.value in refused.value.message


def test_planning_again_needs_another_date_and_keeps_the_latest_comment() -> None:
    request, _ = _open(_fields(), [_machine("eq-1")])
    request.move(RequestStatus.PLANNED, "Technicien le 20", date(2026, 3, 20), NOW)
    with pytest.raises(InvalidArgument) as same:
        request.move(RequestStatus.PLANNED, "", date(2026, 3, 20), NOW)
    assert same.value.reason == "SAME_DATE"
    request.move(RequestStatus.PLANNED, "", date(2026, 3, 24), NOW)
    assert request.planned_for == date(2026, 3, 24) and request.comment == "Technicien le 20"
    assert request.describe() == "Expertise request SR-2026-000001: planned for 2026-03-24"


def test_the_move_itself_is_checked() -> None:
    with pytest.raises(InvalidArgument) as no_date:
        check_move(RequestStatus.PLANNED, "", "", TODAY)
    assert set(_violations(no_date.value)) == {"plannedFor"}
    with pytest.raises(InvalidArgument) as past:
        check_move(RequestStatus.PLANNED, "", "2026-03-09", TODAY)
    assert _violations(past.value) == {"plannedFor": "must not be in the past"}
    with pytest.raises(InvalidArgument) as stray:
        check_move(RequestStatus.DONE, "x" * 4001, "2026-03-20", TODAY)
    assert set(_violations(stray.value)) == {"comment", "plannedFor"}
    with pytest.raises(InvalidArgument) as none:
        check_move(None, "", "", TODAY)
    assert set(_violations(none.value)) == {"status"}
    assert check_move(RequestStatus.PLANNED, " ok ", "2026-03-10", TODAY) == (
        RequestStatus.PLANNED,
        "ok",
        TODAY,
    )


def test_the_customer_cancels_only_before_the_work_starts() -> None:
    for status, allowed in [
        (RequestStatus.RECEIVED, True),
        (RequestStatus.PLANNED, True),
        (RequestStatus.IN_PROGRESS, False),
        (RequestStatus.DONE, False),
        (RequestStatus.CANCELLED, False),
    ]:
        request, _ = _open(_fields(), [_machine("eq-1")])
        request.status = status
        if allowed:
            assert request.cancel_by_customer("plus besoin", NOW).status is RequestStatus.CANCELLED
        else:
            with pytest.raises(FailedPrecondition) as refused:
                request.cancel_by_customer("", NOW)
            assert refused.value.reason == "NOT_CANCELLABLE"


def test_closed_requests_take_no_attachments() -> None:
    request, _ = _open(_fields(), [_machine("eq-1")])
    request.require_open_for_attachments()
    request.status = RequestStatus.DONE
    with pytest.raises(FailedPrecondition) as refused:
        request.require_open_for_attachments()
    assert refused.value.reason == "SERVICE_REQUEST_CLOSED"


@pytest.mark.parametrize(
    ("kind", "previous", "status", "effect"),
    [
        (RequestKind.INTERVENTION, RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS,
         MachineEffect.START_MAINTENANCE),
        (RequestKind.INTERVENTION, RequestStatus.PLANNED, RequestStatus.IN_PROGRESS,
         MachineEffect.START_MAINTENANCE),
        (RequestKind.INTERVENTION, RequestStatus.IN_PROGRESS, RequestStatus.DONE,
         MachineEffect.END_MAINTENANCE),
        (RequestKind.INTERVENTION, RequestStatus.IN_PROGRESS, RequestStatus.CANCELLED,
         MachineEffect.END_MAINTENANCE),
        (RequestKind.INTERVENTION, RequestStatus.PLANNED, RequestStatus.CANCELLED, None),
        (RequestKind.REMOVAL, RequestStatus.IN_PROGRESS, RequestStatus.DONE, MachineEffect.REMOVE),
        (RequestKind.REMOVAL, RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS, None),
        (RequestKind.EXPERTISE, RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS, None),
        (RequestKind.PARTS, RequestStatus.IN_PROGRESS, RequestStatus.DONE, None),
    ],
)  # fmt: skip
def test_what_a_move_does_to_the_machines(kind, previous, status, effect) -> None:
    assert machine_effect(kind, previous, status) is effect
