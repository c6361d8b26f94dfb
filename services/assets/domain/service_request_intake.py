"""A customer's new service request: what it asks checked on its own (every
field's problem named), then against the machines it names (still in the park,
no second removal, parts from their models' lists)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import FailedPrecondition, NotFound, Violations

from .equipment import Equipment, EquipmentModel, normalise_code
from .service_requests import (
    MAX_MESSAGE,
    InterventionType,
    PartLine,
    RequestKind,
    RequestStatus,
    ServiceRequest,
    StatusChange,
    Urgency,
)

MAX_MACHINES = 50
MAX_PART_LINES = 200
MAX_QUANTITY = 999
MAX_WISHED_DATES = 5


@dataclass(frozen=True)
class RequestFields:
    """What the customer asks, checked on its own (before the machines are read)."""

    kind: RequestKind
    equipment_ids: tuple[str, ...]
    message: str = ""
    intervention_type: InterventionType | None = None
    urgency: Urgency | None = None
    wished_dates: tuple[date, ...] = ()
    parts: tuple[PartLine, ...] = ()


@dataclass(frozen=True)
class RequestOpened:
    """A request reached the department in charge; machines and parts in words."""

    request: ServiceRequest
    equipment: tuple[str, ...]
    parts: tuple[str, ...]


# ---- checking what the customer asks -----------------------------------------------------


def check_request_fields(
    *,
    kind: RequestKind | None,
    equipment_ids: Sequence[str],
    message: str = "",
    intervention_type: InterventionType | None = None,
    urgency: Urgency | None = None,
    wished_dates: Sequence[str] = (),
    parts: Sequence[tuple[str, int, str]] = (),
    today: date,
) -> RequestFields:
    """Every problem of the request itself, named by its JSON field; `parts`
    are (part code, quantity, equipment id)."""
    violations = Violations()
    ids = _equipment_ids(equipment_ids, violations)
    if kind is None:
        violations.add("kind", "is required: PARTS, INTERVENTION, EXPERTISE or REMOVAL")
    message = message.strip()
    if len(message) > MAX_MESSAGE:
        violations.add("message", f"must be at most {MAX_MESSAGE} characters")
    if kind is RequestKind.INTERVENTION:
        if intervention_type is None:
            violations.add("interventionType", "is required: BREAKDOWN or PREVENTIVE")
        if intervention_type is InterventionType.BREAKDOWN and urgency is None:
            violations.add("urgency", "is required for a breakdown: NORMAL, HIGH or CRITICAL")
        if intervention_type is not InterventionType.BREAKDOWN and urgency is not None:
            violations.add("urgency", "is only for a breakdown")
    elif kind is not None:
        if intervention_type is not None:
            violations.add("interventionType", "is only for an intervention request")
        if urgency is not None:
            violations.add("urgency", "is only for a breakdown")
    preventive = (
        kind is RequestKind.INTERVENTION and intervention_type is InterventionType.PREVENTIVE
    )
    dates = _wished_dates(wished_dates, preventive, today, violations) if kind else ()
    lines = _part_lines(parts, kind is RequestKind.PARTS, violations) if kind else ()
    violations.raise_if_any("INVALID_SERVICE_REQUEST")
    assert kind is not None
    return RequestFields(
        kind=kind,
        equipment_ids=ids,
        message=message,
        intervention_type=intervention_type if kind is RequestKind.INTERVENTION else None,
        urgency=urgency,
        wished_dates=dates,
        parts=lines,
    )


def _equipment_ids(equipment_ids: Sequence[str], violations: Violations) -> tuple[str, ...]:
    ids = [i.strip() for i in equipment_ids]
    if not ids:
        violations.add("equipmentIds", "select at least one machine")
    if len(ids) > MAX_MACHINES:
        violations.add("equipmentIds", f"at most {MAX_MACHINES} machines per request")
    first_at: dict[str, int] = {}
    for index, equipment_id in enumerate(ids):
        if not equipment_id:
            violations.add(f"equipmentIds[{index}]", "is empty")
        elif first_at.setdefault(equipment_id, index) != index:
            violations.add(
                f"equipmentIds[{index}]",
                f"is already selected (equipmentIds[{first_at[equipment_id]}])",
            )
    return tuple(ids)


def _wished_dates(
    raw: Sequence[str], wanted: bool, today: date, violations: Violations
) -> tuple[date, ...]:
    if not wanted:
        if raw:
            violations.add("wishedDates", "are only for a preventive intervention")
        return ()
    if not raw:
        violations.add("wishedDates", f"give 1 to {MAX_WISHED_DATES} dates for the visit")
        return ()
    if len(raw) > MAX_WISHED_DATES:
        violations.add("wishedDates", f"give at most {MAX_WISHED_DATES} dates")
    found: list[date] = []
    for index, text in enumerate(raw):
        day = parse_iso_date(text.strip())
        if day is None:
            violations.add(f"wishedDates[{index}]", "must be a date YYYY-MM-DD")
        elif day <= today:
            violations.add(f"wishedDates[{index}]", "must be in the future")
        elif day in found:
            violations.add(f"wishedDates[{index}]", "is given twice")
        else:
            found.append(day)
    return tuple(found)


def _part_lines(
    raw: Sequence[tuple[str, int, str]], wanted: bool, violations: Violations
) -> tuple[PartLine, ...]:
    if not wanted:
        if raw:
            violations.add("parts", "are only for a spare parts request")
        return ()
    if not raw:
        violations.add("parts", "select at least one part")
    if len(raw) > MAX_PART_LINES:
        violations.add("parts", f"at most {MAX_PART_LINES} lines per request")
    lines: list[PartLine] = []
    for index, (code, quantity, equipment_id) in enumerate(raw):
        if not normalise_code(code):
            violations.add(f"parts[{index}].partCode", "is required")
        if not 1 <= quantity <= MAX_QUANTITY:
            violations.add(f"parts[{index}].quantity", f"must be 1 to {MAX_QUANTITY}")
        lines.append(PartLine(normalise_code(code), quantity, "", equipment_id.strip()))
    return tuple(lines)


# ---- with the machines read ----------------------------------------------------------------


def require_machines(
    equipment_ids: Sequence[str], found: Mapping[str, Equipment]
) -> list[Equipment]:
    """The machines in the order asked; NotFound naming those the entity lacks
    (another entity's machines are not found either)."""
    missing = [equipment_id for equipment_id in equipment_ids if equipment_id not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise NotFound("EQUIPMENT_NOT_FOUND", f"no such machine: {shown}")
    return [found[equipment_id] for equipment_id in equipment_ids]


def open_request(
    request_id: str,
    entity_id: str,
    user_id: str,
    reference: str,
    fields: RequestFields,
    machines: Sequence[Equipment],
    models: Mapping[str, EquipmentModel],
    open_removals: Mapping[str, str],
    now: datetime,
) -> tuple[ServiceRequest, RequestOpened]:
    """The new request, RECEIVED, once the machines allow it: every one still in
    the park, none with a removal already open for a removal, and parts from
    the lists of the machines' models. `open_removals`: machine id -> the
    reference of its open removal request."""
    violations = Violations()
    for index, machine in enumerate(machines):
        if not machine.in_park:
            violations.add(
                f"equipmentIds[{index}]", f"{machine.name} ({machine.reference}) is not in the park"
            )
    if violations:
        raise FailedPrecondition(
            "EQUIPMENT_REMOVED",
            "a request is only for machines still in the park",
            violations=violations.items,
        )
    if fields.kind is RequestKind.REMOVAL:
        for index, machine in enumerate(machines):
            if machine.id in open_removals:
                violations.add(
                    f"equipmentIds[{index}]",
                    f"{machine.name} ({machine.reference}) already has removal request "
                    f"{open_removals[machine.id]} open",
                )
        if violations:
            raise FailedPrecondition(
                "REMOVAL_ALREADY_OPEN",
                "a machine's removal is already asked",
                violations=violations.items,
            )
    parts = _resolve_parts(fields.parts, machines, models)
    request = ServiceRequest(
        id=request_id,
        entity_id=entity_id,
        user_id=user_id,
        reference=reference,
        kind=fields.kind,
        status=RequestStatus.RECEIVED,
        equipment_ids=tuple(m.id for m in machines),
        created_at=now,
        updated_at=now,
        message=fields.message,
        intervention_type=fields.intervention_type,
        urgency=fields.urgency,
        wished_dates=fields.wished_dates,
        parts=parts,
        history=[StatusChange(RequestStatus.RECEIVED, now)],
    )
    opened = RequestOpened(
        request,
        equipment=tuple(m.describe() for m in machines),
        parts=tuple(p.describe() for p in parts),
    )
    return request, opened


def _resolve_parts(
    parts: Sequence[PartLine], machines: Sequence[Equipment], models: Mapping[str, EquipmentModel]
) -> tuple[PartLine, ...]:
    """Each part on its machine (the only one, or the one named), its code in
    that machine's model's parts list, its label copied from there."""
    violations = Violations()
    by_id = {m.id: m for m in machines}
    resolved: list[PartLine] = []
    first_at: dict[tuple[str, str], int] = {}
    for index, line in enumerate(parts):
        machine_id = line.equipment_id
        if not machine_id and len(machines) == 1:
            machine_id = machines[0].id
        machine = by_id.get(machine_id)
        if machine is None:
            violations.add(
                f"parts[{index}].equipmentId",
                "is required: which of the selected machines the part is for"
                if not machine_id
                else "is not one of the selected machines (equipmentIds)",
            )
            continue
        model = models.get(machine.model_code)
        part = model.part(line.part_code) if model else None
        if part is None:
            violations.add(
                f"parts[{index}].partCode",
                f"no part {line.part_code!r} in the parts list of {machine.describe()}",
            )
            continue
        key = (machine.id, part.code)
        if first_at.setdefault(key, index) != index:
            violations.add(
                f"parts[{index}].partCode", f"is already asked in parts[{first_at[key]}]"
            )
            continue
        resolved.append(PartLine(part.code, line.quantity, part.label, machine.id))
    violations.raise_if_any("INVALID_PARTS")
    return tuple(resolved)
