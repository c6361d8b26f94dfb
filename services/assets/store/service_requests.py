"""Service requests with their machines, parts and status history. Customers'
queries filter on the entity (another entity's ids are not found); operators'
(`entity_id` None) see every entity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from services.assets.domain.service_requests import (
    OPEN_STATUSES,
    InterventionType,
    PartLine,
    RequestKind,
    RequestStatus,
    ServiceRequest,
    StatusChange,
    Urgency,
)
from services.assets.store.request_tables import (
    service_request_equipment,
    service_request_history,
    service_request_parts,
    service_requests,
)

r = service_requests.c
re_ = service_request_equipment.c
rp = service_request_parts.c
rh = service_request_history.c
_PER_QUERY = 1_000
_OPEN = [status.value for status in OPEN_STATUSES]


def _request_row(request: ServiceRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "entity_id": request.entity_id,
        "user_id": request.user_id,
        "reference": request.reference,
        "kind": request.kind.value,
        "status": request.status.value,
        "message": request.message,
        "intervention_type": request.intervention_type.value if request.intervention_type else "",
        "urgency": request.urgency.value if request.urgency else "",
        "wished_dates": "|".join(day.isoformat() for day in request.wished_dates),
        "comment": request.comment,
        "planned_for": request.planned_for,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
    }


def _history_rows(request: ServiceRequest, start: int) -> list[dict[str, Any]]:
    return [
        {
            "request_id": request.id,
            "position": position,
            "status": change.status.value,
            "at": change.at,
            "comment": change.comment,
            "planned_for": change.planned_for,
        }
        for position, change in enumerate(request.history)
        if position >= start
    ]


def _request(row: Row) -> ServiceRequest:
    return ServiceRequest(
        id=row.id,
        entity_id=row.entity_id,
        user_id=row.user_id,
        reference=row.reference,
        kind=RequestKind(row.kind),
        status=RequestStatus(row.status),
        equipment_ids=(),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        message=row.message,
        intervention_type=InterventionType(row.intervention_type)
        if row.intervention_type
        else None,
        urgency=Urgency(row.urgency) if row.urgency else None,
        wished_dates=tuple(date.fromisoformat(d) for d in row.wished_dates.split("|") if d),
        comment=row.comment,
        planned_for=row.planned_for,
    )


class ServiceRequestsRepository:
    async def add(self, s: AsyncSession, request: ServiceRequest) -> None:
        await s.execute(insert(service_requests).values(_request_row(request)))
        await s.execute(
            insert(service_request_equipment),
            [
                {
                    "request_id": request.id,
                    "equipment_id": equipment_id,
                    "entity_id": request.entity_id,
                    "position": position,
                }
                for position, equipment_id in enumerate(request.equipment_ids)
            ],
        )
        if request.parts:
            await s.execute(
                insert(service_request_parts),
                [
                    {
                        "request_id": request.id,
                        "position": position,
                        "equipment_id": part.equipment_id,
                        "part_code": part.part_code,
                        "label": part.label,
                        "quantity": part.quantity,
                    }
                    for position, part in enumerate(request.parts)
                ],
            )
        await s.execute(insert(service_request_history), _history_rows(request, 0))

    async def save(self, s: AsyncSession, request: ServiceRequest) -> None:
        """Its status, latest comment and date, and the history entries added
        since it was read (the history only grows)."""
        row = _request_row(request)
        await s.execute(
            update(service_requests)
            .where(r.id == request.id)
            .values({k: row[k] for k in ("status", "comment", "planned_for", "updated_at")})
        )
        stored = await s.scalar(
            select(func.count())
            .select_from(service_request_history)
            .where(rh.request_id == request.id)
        )
        rows = _history_rows(request, int(stored or 0))
        if rows:
            await s.execute(insert(service_request_history), rows)

    async def get(
        self,
        s: AsyncSession,
        request_id: str,
        entity_id: str | None,
        *,
        for_update: bool = False,
    ) -> ServiceRequest | None:
        """The request (None: another entity's or unknown); `entity_id` None for operators."""
        query = select(service_requests).where(r.id == request_id)
        if entity_id is not None:
            query = query.where(r.entity_id == entity_id)
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        if row is None:
            return None
        return (await self._complete(s, [row]))[0]

    async def list(
        self,
        s: AsyncSession,
        entity_id: str,
        page: Page,
        *,
        status: RequestStatus | None = None,
        kind: RequestKind | None = None,
        equipment_id: str = "",
    ) -> tuple[list[ServiceRequest], bool]:
        """The entity's requests, newest first; whether more follow."""
        query = select(service_requests).where(r.entity_id == entity_id)
        query = _filtered(query, status, kind)
        if equipment_id:
            query = query.where(
                r.id.in_(select(re_.request_id).where(re_.equipment_id == equipment_id))
            )
        query = query.order_by(r.created_at.desc(), r.id.desc())
        return await self._page(s, query, page)

    async def list_all(
        self,
        s: AsyncSession,
        page: Page,
        *,
        status: RequestStatus | None = None,
        kind: RequestKind | None = None,
        entity_id: str = "",
    ) -> tuple[list[ServiceRequest], bool]:
        """Every entity's requests for the operators: the open ones first, oldest
        first (the longest waiting), then the closed ones, latest closed first."""
        query = _filtered(select(service_requests), status, kind)
        if entity_id:
            query = query.where(r.entity_id == entity_id)
        is_open = r.status.in_(_OPEN)
        query = query.order_by(
            case((is_open, 0), else_=1),
            case((is_open, r.created_at), else_=None),
            r.updated_at.desc(),
            r.id,
        )
        return await self._page(s, query, page)

    async def of_equipment(
        self, s: AsyncSession, entity_id: str, equipment_id: str
    ) -> list[ServiceRequest]:
        """The machine's requests, newest first."""
        query = (
            select(service_requests)
            .where(
                r.entity_id == entity_id,
                r.id.in_(select(re_.request_id).where(re_.equipment_id == equipment_id)),
            )
            .order_by(r.created_at.desc(), r.id.desc())
        )
        return await self._complete(s, (await s.execute(query)).all())

    async def open_removals(
        self, s: AsyncSession, entity_id: str, equipment_ids: Sequence[str]
    ) -> dict[str, str]:
        """Machine id -> the reference of its open removal request."""
        query = (
            select(re_.equipment_id, r.reference)
            .select_from(service_request_equipment.join(service_requests, r.id == re_.request_id))
            .where(
                re_.entity_id == entity_id,
                re_.equipment_id.in_(list(equipment_ids)),
                r.kind == RequestKind.REMOVAL.value,
                r.status.in_(_OPEN),
            )
        )
        return {row.equipment_id: row.reference for row in await s.execute(query)}

    async def machines_in_intervention(
        self, s: AsyncSession, equipment_ids: Sequence[str], *, besides: str
    ) -> set[str]:
        """Those machines another intervention (not `besides`) is in progress on."""
        query = (
            select(re_.equipment_id)
            .select_from(service_request_equipment.join(service_requests, r.id == re_.request_id))
            .where(
                re_.equipment_id.in_(list(equipment_ids)),
                r.id != besides,
                r.kind == RequestKind.INTERVENTION.value,
                r.status == RequestStatus.IN_PROGRESS.value,
            )
        )
        return {row.equipment_id for row in await s.execute(query)}

    async def _page(self, s: AsyncSession, query, page: Page) -> tuple[list[ServiceRequest], bool]:
        rows = (await s.execute(query.offset(page.offset).limit(page.limit + 1))).all()
        return await self._complete(s, rows[: page.limit]), len(rows) > page.limit

    async def _complete(self, s: AsyncSession, rows: Sequence[Row]) -> list[ServiceRequest]:
        """The requests of these rows with their machines, parts and history."""
        requests = [_request(row) for row in rows]
        by_id = {request.id: request for request in requests}
        machines: dict[str, list[str]] = {request_id: [] for request_id in by_id}
        parts: dict[str, list[PartLine]] = {request_id: [] for request_id in by_id}
        ids = list(by_id)
        for start in range(0, len(ids), _PER_QUERY):
            chunk = ids[start : start + _PER_QUERY]
            query = (
                select(service_request_equipment)
                .where(re_.request_id.in_(chunk))
                .order_by(re_.request_id, re_.position)
            )
            for row in await s.execute(query):
                machines[row.request_id].append(row.equipment_id)
            query = (
                select(service_request_parts)
                .where(rp.request_id.in_(chunk))
                .order_by(rp.request_id, rp.position)
            )
            for row in await s.execute(query):
                parts[row.request_id].append(
                    PartLine(row.part_code, row.quantity, row.label, row.equipment_id)
                )
            query = (
                select(service_request_history)
                .where(rh.request_id.in_(chunk))
                .order_by(rh.request_id, rh.position)
            )
            for row in await s.execute(query):
                by_id[row.request_id].history.append(
                    StatusChange(
                        RequestStatus(row.status), aware(row.at), row.comment, row.planned_for
                    )
                )
        for request in requests:
            request.equipment_ids = tuple(machines[request.id])
            request.parts = tuple(parts[request.id])
        return requests


def _filtered(query, status: RequestStatus | None, kind: RequestKind | None):
    if status is not None:
        query = query.where(r.status == status.value)
    if kind is not None:
        query = query.where(r.kind == kind.value)
    return query
