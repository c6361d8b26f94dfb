"""Beneficiaries and delivery points of the caller's entity: CRUD and search."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.errors import AlreadyExists, NotFound, require_field
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.ordering.domain import beneficiaries as rules
from services.ordering.domain import delivery_points as point_rules
from services.ordering.usecases.common import Deps


@dataclass(frozen=True)
class BeneficiaryInput:
    employee_number: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    birth_date: str = ""
    hire_date: str = ""
    default_delivery_point_id: str = ""


def _not_found() -> NotFound:
    return NotFound("BENEFICIARY_NOT_FOUND", "no such beneficiary for this account")


def point_not_found(field: str = "") -> NotFound:
    metadata = {"field": field} if field else {}
    return NotFound(
        "DELIVERY_POINT_NOT_FOUND", "no such delivery point for this account", metadata=metadata
    )


async def _checked(
    deps: Deps, s: AsyncSession, entity_id: str, given: BeneficiaryInput, other_than: str = ""
) -> dict:
    fields = rules.validate_beneficiary(
        employee_number=given.employee_number,
        first_name=given.first_name,
        last_name=given.last_name,
        email=given.email,
        birth_date=given.birth_date,
        hire_date=given.hire_date,
        today=deps.clock().date(),
    )
    point_id = given.default_delivery_point_id.strip()
    if point_id and await deps.repo.delivery_point(s, entity_id, point_id) is None:
        raise point_not_found("defaultDeliveryPointId")
    if await deps.repo.beneficiary_number_taken(
        s, entity_id, fields.employee_number, other_than=other_than
    ):
        raise AlreadyExists(
            "EMPLOYEE_NUMBER_TAKEN",
            f"another beneficiary already has the employee number {fields.employee_number!r}",
        )
    return {**asdict(fields), "default_delivery_point_id": point_id}


async def create_beneficiary(
    deps: Deps, principal: Principal | None, given: BeneficiaryInput
) -> Row:
    entity_id = customer_entity(principal)
    now = deps.clock()
    async with deps.db.transaction() as s:
        values = await _checked(deps, s, entity_id, given)
        beneficiary_id = await deps.repo.add_beneficiary(
            s, entity_id=entity_id, created_at=now, updated_at=now, has_card=False, **values
        )
        return await deps.repo.beneficiary(s, entity_id, beneficiary_id)


async def get_beneficiary(deps: Deps, principal: Principal | None, beneficiary_id: str) -> Row:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.beneficiary(s, entity_id, beneficiary_id)
    if row is None:
        raise _not_found()
    return row


async def list_beneficiaries(
    deps: Deps, principal: Principal | None, q: str, page_size: int, page_token: str
) -> tuple[list[Row], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_beneficiaries(
            s, entity_id, q=q, offset=page.offset, limit=page.limit + 1
        )
    return list(rows[: page.limit]), page.next_token(len(rows) > page.limit)


async def update_beneficiary(
    deps: Deps, principal: Principal | None, beneficiary_id: str, given: BeneficiaryInput
) -> Row:
    """Fields left empty keep their value."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.beneficiary(s, entity_id, beneficiary_id)
        if row is None:
            raise _not_found()
        current = BeneficiaryInput(**{name: getattr(row, name) for name in asdict(given)})
        merged = replace(current, **{k: v for k, v in asdict(given).items() if v.strip()})
        values = await _checked(deps, s, entity_id, merged, other_than=row.id)
        await deps.repo.update_beneficiary(s, row.id, updated_at=deps.clock(), **values)
        return await deps.repo.beneficiary(s, entity_id, row.id)


async def delete_beneficiary(deps: Deps, principal: Principal | None, beneficiary_id: str) -> None:
    """Soft delete: past orders keep their lines. Refused while a card of theirs
    is in production."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.beneficiary(s, entity_id, beneficiary_id)
        if row is None:
            raise _not_found()
        rules.ensure_deletable(card_in_production=await deps.repo.card_in_production(s, row.id))
        await deps.repo.update_beneficiary(s, row.id, deleted_at=deps.clock())


# ---- delivery points --------------------------------------------------------------


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


async def _checked_point(
    deps: Deps, s: AsyncSession, entity_id: str, given: DeliveryPointInput, other_than: str = ""
) -> dict:
    fields = point_rules.validate_delivery_point(
        name=given.name,
        code=given.code,
        address=point_rules.Address(
            line1=given.line1,
            line2=given.line2,
            postal_code=given.postal_code,
            city=given.city,
            country=given.country,
        ),
        contact_name=given.contact_name,
        contact_phone=given.contact_phone,
    )
    taken = await deps.repo.point_code_taken(s, entity_id, fields.code, other_than=other_than)
    point_rules.ensure_code_unique(fields.code, taken=taken)
    return {
        "name": fields.name,
        "code": fields.code,
        "contact_name": fields.contact_name,
        "contact_phone": fields.contact_phone,
        **asdict(fields.address),
    }


async def create_delivery_point(
    deps: Deps, principal: Principal | None, given: DeliveryPointInput
) -> Row:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        values = await _checked_point(deps, s, entity_id, given)
        point_id = await deps.repo.add_delivery_point(
            s, entity_id=entity_id, created_at=deps.clock(), **values
        )
        return await deps.repo.delivery_point(s, entity_id, point_id)


async def list_delivery_points(
    deps: Deps, principal: Principal | None, page_size: int, page_token: str
) -> tuple[list[Row], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        rows = await deps.repo.list_delivery_points(
            s, entity_id, offset=page.offset, limit=page.limit + 1
        )
    return list(rows[: page.limit]), page.next_token(len(rows) > page.limit)


async def update_delivery_point(
    deps: Deps, principal: Principal | None, point_id: str, given: DeliveryPointInput
) -> Row:
    """Fields left empty keep their value."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.delivery_point(s, entity_id, require_field(point_id, "id"))
        if row is None:
            raise point_not_found()
        current = DeliveryPointInput(**{name: getattr(row, name) for name in asdict(given)})
        merged = replace(current, **{k: v for k, v in asdict(given).items() if v.strip()})
        values = await _checked_point(deps, s, entity_id, merged, other_than=row.id)
        await deps.repo.update_delivery_point(s, row.id, **values)
        return await deps.repo.delivery_point(s, entity_id, row.id)


async def delete_delivery_point(deps: Deps, principal: Principal | None, point_id: str) -> None:
    """Soft delete, refused while an open order goes to the point."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.delivery_point(s, entity_id, point_id)
        if row is None:
            raise point_not_found()
        used = await deps.repo.point_used_by_open_order(s, row.id)
        point_rules.ensure_deletable(used_by_open_order=used)
        await deps.repo.update_delivery_point(s, row.id, deleted_at=deps.clock())
