"""Delivery points of the caller's entity: create, list, update, delete."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import NotFound, require_field
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.ordering.domain import delivery_points as rules
from services.ordering.domain.delivery_points import DeliveryPoint, DeliveryPointFields
from services.ordering.usecases.common import Deps, given_over


@dataclass(frozen=True)
class DeliveryPointInput:
    name: str = ""
    code: str = ""
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def point_not_found(field: str = "") -> NotFound:
    metadata = {"field": field} if field else {}
    return NotFound(
        "DELIVERY_POINT_NOT_FOUND", "no such delivery point for this account", metadata=metadata
    )


async def _load(deps: Deps, s: AsyncSession, point_id: str, entity_id: str) -> DeliveryPoint:
    point = await deps.repo.delivery_points.get(s, point_id, entity_id)
    if point is None:
        raise point_not_found()
    return point


async def _checked(
    deps: Deps, s: AsyncSession, entity_id: str, given: DeliveryPointInput, other_than: str = ""
) -> DeliveryPointFields:
    fields = rules.validate_delivery_point(
        name=given.name,
        code=given.code,
        address=rules.Address(
            line1=given.line1,
            line2=given.line2,
            postal_code=given.postal_code,
            city=given.city,
            country=given.country,
        ),
        contact_name=given.contact_name,
        contact_phone=given.contact_phone,
    )
    taken = await deps.repo.delivery_points.code_taken(
        s, entity_id, fields.code, other_than=other_than
    )
    rules.ensure_code_unique(fields.code, taken=taken)
    return fields


def _as_input(point: DeliveryPoint) -> DeliveryPointInput:
    return DeliveryPointInput(
        name=point.name,
        code=point.code,
        contact_name=point.contact_name,
        contact_phone=point.contact_phone,
        **asdict(point.address),
    )


async def create_delivery_point(
    deps: Deps, principal: Principal | None, given: DeliveryPointInput
) -> DeliveryPoint:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        fields = await _checked(deps, s, entity_id, given)
        point = rules.new_delivery_point(
            id=new_id(), entity_id=entity_id, fields=fields, now=deps.clock()
        )
        await deps.repo.delivery_points.add(s, point)
    return point


async def list_delivery_points(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[DeliveryPoint], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.delivery_points.list(s, entity_id, page=page)
    return found, page.next_token(more)


async def update_delivery_point(
    deps: Deps, principal: Principal | None, point_id: str, given: DeliveryPointInput
) -> DeliveryPoint:
    """Fields left empty keep their value."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        point = await _load(deps, s, require_field(point_id, "id"), entity_id)
        merged = given_over(_as_input(point), given)
        point.change(await _checked(deps, s, entity_id, merged, other_than=point.id))
        await deps.repo.delivery_points.save(s, point)
    return point


async def delete_delivery_point(deps: Deps, principal: Principal | None, point_id: str) -> None:
    """Refused while an open order goes to the point."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        point = await _load(deps, s, point_id, entity_id)
        used = await deps.repo.delivery_points.used_by_open_order(s, point.id)
        point.delete(deps.clock(), used_by_open_order=used)
        await deps.repo.delivery_points.save(s, point)
