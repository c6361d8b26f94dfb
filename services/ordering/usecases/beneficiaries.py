"""Beneficiaries of the caller's entity: create, read, search, update, delete."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import AlreadyExists, NotFound
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.ordering.domain import beneficiaries as rules
from services.ordering.domain.beneficiaries import Beneficiary, BeneficiaryFields
from services.ordering.usecases.common import Deps, given_over
from services.ordering.usecases.delivery_points import point_not_found


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


async def _load(deps: Deps, s: AsyncSession, beneficiary_id: str, entity_id: str) -> Beneficiary:
    person = await deps.repo.beneficiaries.get(s, beneficiary_id, entity_id)
    if person is None:
        raise _not_found()
    return person


async def _checked(
    deps: Deps, s: AsyncSession, entity_id: str, given: BeneficiaryInput, other_than: str = ""
) -> tuple[BeneficiaryFields, str]:
    """The checked fields and default delivery point (the entity's own, and
    the employee number free)."""
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
    if point_id and await deps.repo.delivery_points.get(s, point_id, entity_id) is None:
        raise point_not_found("defaultDeliveryPointId")
    if await deps.repo.beneficiaries.number_taken(
        s, entity_id, fields.employee_number, other_than=other_than
    ):
        raise AlreadyExists(
            "EMPLOYEE_NUMBER_TAKEN",
            f"another beneficiary already has the employee number {fields.employee_number!r}",
        )
    return fields, point_id


async def create_beneficiary(
    deps: Deps, principal: Principal | None, given: BeneficiaryInput
) -> Beneficiary:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        fields, point_id = await _checked(deps, s, entity_id, given)
        person = rules.new_beneficiary(
            id=new_id(),
            entity_id=entity_id,
            fields=fields,
            default_delivery_point_id=point_id,
            now=deps.clock(),
        )
        await deps.repo.beneficiaries.add(s, person)
    return person


async def get_beneficiary(
    deps: Deps, principal: Principal | None, beneficiary_id: str
) -> Beneficiary:
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        return await _load(deps, s, beneficiary_id, entity_id)


async def list_beneficiaries(
    deps: Deps, principal: Principal | None, q: str, page_size: int, page_token: str
) -> tuple[list[Beneficiary], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.beneficiaries.list(s, entity_id, q=q, page=page)
    return found, page.next_token(more)


async def update_beneficiary(
    deps: Deps, principal: Principal | None, beneficiary_id: str, given: BeneficiaryInput
) -> Beneficiary:
    """Fields left empty keep their value."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        person = await _load(deps, s, beneficiary_id, entity_id)
        current = BeneficiaryInput(**{name: getattr(person, name) for name in asdict(given)})
        merged = given_over(current, given)
        fields, point_id = await _checked(deps, s, entity_id, merged, other_than=person.id)
        person.change(fields, point_id, deps.clock())
        await deps.repo.beneficiaries.save(s, person)
    return person


async def delete_beneficiary(deps: Deps, principal: Principal | None, beneficiary_id: str) -> None:
    """Refused while a card of theirs is in production."""
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        person = await _load(deps, s, beneficiary_id, entity_id)
        in_production = await deps.repo.beneficiaries.card_in_production(s, person.id)
        person.delete(deps.clock(), card_in_production=in_production)
        await deps.repo.beneficiaries.save(s, person)
