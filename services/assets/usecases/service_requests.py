"""Customers ask for parts, interventions, expertises and removals on their
machines, attach photos, follow and withdraw their requests; operators list
every entity's requests and move them through their statuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import authenticated, customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import NotFound, require_field
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.assets.domain.attachments import Attachment, ParentKind
from services.assets.domain.equipment import Equipment
from services.assets.domain.service_request_intake import (
    check_request_fields,
    open_request,
    require_machines,
)
from services.assets.domain.service_requests import (
    InterventionType,
    MachineEffect,
    RequestKind,
    RequestStatus,
    ServiceRequest,
    StatusMoved,
    Urgency,
    check_cancel_reason,
    check_move,
    reference_of,
)
from services.assets.events import service_requests as events
from services.assets.usecases import attachments
from services.assets.usecases.common import Deps, require_operator


@dataclass(frozen=True)
class RequestView:
    request: ServiceRequest
    attachments: list[Attachment] = field(default_factory=list)


def _not_found() -> NotFound:
    return NotFound("SERVICE_REQUEST_NOT_FOUND", "no such service request")


async def _load(
    deps: Deps, s: AsyncSession, request_id: str, entity_id: str | None, *, for_update: bool = False
) -> ServiceRequest:
    request = await deps.repo.service_requests.get(s, request_id, entity_id, for_update=for_update)
    if request is None:
        raise _not_found()
    return request


async def _views(deps: Deps, s: AsyncSession, requests: list[ServiceRequest]) -> list[RequestView]:
    found = await deps.repo.attachments.of_parents(
        s, ParentKind.SERVICE_REQUEST, [request.id for request in requests]
    )
    return [RequestView(request, found[request.id]) for request in requests]


# ---- customers -----------------------------------------------------------------------------


async def create_service_request(
    deps: Deps,
    principal: Principal | None,
    *,
    equipment_ids: Sequence[str],
    kind: RequestKind | None,
    message: str = "",
    intervention_type: InterventionType | None = None,
    urgency: Urgency | None = None,
    wished_dates: Sequence[str] = (),
    parts: Sequence[tuple[str, int, str]] = (),
) -> RequestView:
    """The request, RECEIVED, sent to the department in charge of its kind;
    `parts` are (part code, quantity, equipment id)."""
    entity_id = customer_entity(principal)
    user_id = authenticated(principal).user_id
    fields = check_request_fields(
        kind=kind,
        equipment_ids=equipment_ids,
        message=message,
        intervention_type=intervention_type,
        urgency=urgency,
        wished_dates=wished_dates,
        parts=parts,
        today=deps.clock().date(),
    )
    now = deps.clock()
    async with deps.db.transaction() as s:
        # Locked: a removal asked twice at once is seen open by the second.
        found = await deps.repo.equipment.by_ids(
            s, entity_id, fields.equipment_ids, for_update=True
        )
        machines = require_machines(fields.equipment_ids, found)
        models = {}
        if fields.kind is RequestKind.PARTS:
            models = await deps.repo.models.by_codes(s, [m.model_code for m in machines])
        removals = {}
        if fields.kind is RequestKind.REMOVAL:
            removals = await deps.repo.service_requests.open_removals(
                s, entity_id, fields.equipment_ids
            )
        number = await deps.repo.counters.next(s, f"service_request:{now.year}")
        request, opened = open_request(
            new_id(),
            entity_id,
            user_id,
            reference_of(now.year, number),
            fields,
            machines,
            models,
            removals,
            now,
        )
        await deps.repo.service_requests.add(s, request)
        await add_event(
            s, events.service_request_created(opened, deps.mailboxes[request.kind.value])
        )
    return RequestView(request)


async def list_service_requests(
    deps: Deps,
    principal: Principal | None,
    *,
    status: RequestStatus | None = None,
    kind: RequestKind | None = None,
    equipment_id: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[RequestView], str]:
    """The entity's requests, newest first."""
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.service_requests.list(
            s, entity_id, page, status=status, kind=kind, equipment_id=equipment_id.strip()
        )
        views = await _views(deps, s, found)
    return views, page.next_token(more)


async def get_service_request(
    deps: Deps, principal: Principal | None, request_id: str
) -> RequestView:
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "id")
    async with deps.db.read() as s:
        request = await _load(deps, s, request_id, entity_id)
        return (await _views(deps, s, [request]))[0]


async def add_service_request_attachment(
    deps: Deps, principal: Principal | None, request_id: str, data: bytes, filename: str = ""
) -> Attachment:
    """A photo or PDF on one of the entity's open requests."""
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "parentId")
    async with deps.db.transaction() as s:
        # Locked: two uploads at once count each other against the limit.
        request = await _load(deps, s, request_id, entity_id, for_update=True)
        request.require_open_for_attachments()
        return await attachments.add_attachment(
            deps,
            s,
            entity_id=entity_id,
            parent_kind=ParentKind.SERVICE_REQUEST,
            parent_id=request.id,
            data=data,
            filename=filename,
        )


async def get_service_request_attachment(
    deps: Deps, principal: Principal | None, request_id: str, attachment_id: str
) -> tuple[Attachment, bytes]:
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "parentId")
    attachment_id = require_field(attachment_id, "id")
    async with deps.db.read() as s:
        await _load(deps, s, request_id, entity_id)
        return await attachments.read_attachment(
            deps,
            s,
            entity_id=entity_id,
            parent_kind=ParentKind.SERVICE_REQUEST,
            parent_id=request_id,
            attachment_id=attachment_id,
        )


async def cancel_service_request(
    deps: Deps, principal: Principal | None, request_id: str, reason: str = ""
) -> RequestView:
    """The customer withdraws a request the operator has not started."""
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "id")
    reason = check_cancel_reason(reason)
    async with deps.db.transaction() as s:
        request = await _load(deps, s, request_id, entity_id, for_update=True)
        now = deps.clock()
        moved = request.cancel_by_customer(reason, now)
        await _record(deps, s, request, moved, now)
        return (await _views(deps, s, [request]))[0]


# ---- operators -------------------------------------------------------------------------------


async def admin_list_service_requests(
    deps: Deps,
    principal: Principal | None,
    *,
    status: RequestStatus | None = None,
    kind: RequestKind | None = None,
    entity_id: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[RequestView], str]:
    """Every entity's requests, the open ones first, oldest first."""
    require_operator(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        found, more = await deps.repo.service_requests.list_all(
            s, page, status=status, kind=kind, entity_id=entity_id.strip()
        )
        views = await _views(deps, s, found)
    return views, page.next_token(more)


async def update_service_request(
    deps: Deps,
    principal: Principal | None,
    request_id: str,
    *,
    status: RequestStatus | None,
    comment: str = "",
    planned_for: str = "",
) -> RequestView:
    """The operator moves the request (with a comment for the customer); its
    machines follow (under maintenance, back in service, out of the park)."""
    require_operator(principal)
    request_id = require_field(request_id, "id")
    target, comment, day = check_move(status, comment, planned_for, deps.clock().date())
    async with deps.db.transaction() as s:
        request = await _load(deps, s, request_id, None, for_update=True)
        now = deps.clock()
        moved = request.move(target, comment, day, now)
        await _record(deps, s, request, moved, now)
        return (await _views(deps, s, [request]))[0]


async def _record(
    deps: Deps, s: AsyncSession, request: ServiceRequest, moved: StatusMoved, now: datetime
) -> None:
    await deps.repo.service_requests.save(s, request)
    await _apply_to_machines(deps, s, request, moved, now)
    await add_event(s, events.service_request_status_changed(moved))


async def _apply_to_machines(
    deps: Deps, s: AsyncSession, request: ServiceRequest, moved: StatusMoved, now: datetime
) -> None:
    if moved.effect is None:
        return
    found = await deps.repo.equipment.by_ids(
        s, request.entity_id, request.equipment_ids, for_update=True
    )
    machines = list(found.values())
    changed: list[Equipment] = []
    if moved.effect is MachineEffect.START_MAINTENANCE:
        changed = [m for m in machines if m.start_maintenance(now)]
    elif moved.effect is MachineEffect.END_MAINTENANCE:
        # A machine another intervention is still working on stays under maintenance.
        busy = await deps.repo.service_requests.machines_in_intervention(
            s, list(found), besides=request.id
        )
        changed = [m for m in machines if m.id not in busy and m.end_maintenance(now)]
    elif moved.effect is MachineEffect.REMOVE:
        changed = [m for m in machines if m.remove(now)]
    await deps.repo.equipment.save_all(s, changed)
