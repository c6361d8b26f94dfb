"""The park: customers list, search, export and read their machines (with their
service history), add one, ask for one's removal; the catalogue of models and
the sites. Operators put models and import parks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from portal_runtime.auth import authenticated, customer_entity
from portal_runtime.csv_export import to_csv
from portal_runtime.db import new_id
from portal_runtime.errors import Aborted, InvalidArgument, NotFound, Violations, require_field
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.assets.domain.equipment import (
    Equipment,
    EquipmentModel,
    Site,
    check_model,
    commissioning_problem,
    name_problem,
    new_equipment,
    normalise_code,
    reference_key,
    reference_problem,
    reference_taken,
    require_text_filter,
    search_filter,
)
from services.assets.domain.equipment_file import (
    check_models,
    parse_equipment_file,
    plan_import,
)
from services.assets.domain.models_file import parse_models_file
from services.assets.domain.quotes import Quote
from services.assets.domain.service_requests import RequestKind, ServiceRequest, check_cancel_reason
from services.assets.usecases import service_requests
from services.assets.usecases.common import Deps, require_operator
from services.assets.usecases.service_requests import RequestView

CSV_TYPE = "text/csv; charset=utf-8"
EXPORT_HEADER = (
    "Name",
    "Reference",
    "Brand",
    "Model",
    "Model code",
    "Site",
    "Address",
    "Postal code",
    "City",
    "Commissioned on",
    "Contract",
    "Status",
)
T = TypeVar("T")


@dataclass(frozen=True)
class EquipmentDetail:
    equipment: Equipment
    # The machine's service requests and quotes, newest first.
    history: list[ServiceRequest]
    quotes: list[Quote] = field(default_factory=list)
    # The day quotes' statuses are read on (an unanswered quote expires).
    today: date | None = None


@dataclass(frozen=True)
class ImportResult:
    lines: int
    created: int
    updated: int


async def _settled(attempt: Callable[[], Awaitable[T]]) -> T:
    """Runs a write whose uniqueness the database guards; when a concurrent
    writer took the reference (or the site name) in between, once more, so that
    the second run sees it and answers as if it had come first."""
    try:
        return await attempt()
    except IntegrityError:
        try:
            return await attempt()
        except IntegrityError as exc:
            raise Aborted("CONCURRENT_CHANGE", "the park changed meanwhile: try again") from exc


def _filters(q: str, brand: str, model: str, site_id: str, include_removed: bool = False):
    for name, value in (("q", q), ("brand", brand), ("model", model)):
        require_text_filter(value, name)
    return search_filter(q, brand, model, site_id, include_removed)


# ---- customers -----------------------------------------------------------------------------


async def list_equipment(
    deps: Deps,
    principal: Principal | None,
    *,
    q: str = "",
    brand: str = "",
    model: str = "",
    site_id: str = "",
    include_removed: bool = False,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[Equipment], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    criteria = _filters(q, brand, model, site_id, include_removed)
    async with deps.db.read() as s:
        found, more = await deps.repo.equipment.list(s, entity_id, criteria, page)
    return found, page.next_token(more)


def _cells(machine: Equipment) -> list[str]:
    address = machine.site.address if machine.site else None
    return [
        machine.name,
        machine.reference,
        machine.brand,
        machine.model_name,
        machine.model_code,
        machine.site.name if machine.site else "",
        address.line1 if address else "",
        address.postal_code if address else "",
        address.city if address else "",
        machine.commissioned_on.isoformat() if machine.commissioned_on else "",
        machine.contract,
        machine.status.value,
    ]


async def export_equipment(
    deps: Deps,
    principal: Principal | None,
    *,
    q: str = "",
    brand: str = "",
    model: str = "",
    site_id: str = "",
) -> bytes:
    """The machines `list_equipment` shows with these criteria, every one, as CSV."""
    entity_id = customer_entity(principal)
    criteria = _filters(q, brand, model, site_id)
    async with deps.db.transaction() as s:
        rows = [
            _cells(machine)
            async for machine in deps.repo.equipment.all_matching(s, entity_id, criteria)
        ]
    return await asyncio.to_thread(to_csv, EXPORT_HEADER, rows)


async def get_equipment(
    deps: Deps, principal: Principal | None, equipment_id: str
) -> EquipmentDetail:
    """A machine, in the park or removed from it, with its service history."""
    entity_id = customer_entity(principal)
    equipment_id = require_field(equipment_id, "id")
    async with deps.db.read() as s:
        machine = await deps.repo.equipment.get(s, equipment_id, entity_id)
        if machine is None:
            raise NotFound("EQUIPMENT_NOT_FOUND", "no such machine")
        history = await deps.repo.service_requests.of_equipment(s, entity_id, equipment_id)
        quotes = await deps.repo.quotes.of_equipment(s, entity_id, equipment_id)
    return EquipmentDetail(machine, history, quotes, deps.clock().date())


async def create_equipment(
    deps: Deps,
    principal: Principal | None,
    *,
    model_id: str,
    reference: str,
    name: str = "",
    site_id: str = "",
    commissioned_on: str = "",
) -> Equipment:
    """A machine the customer adds: a model of the catalogue and its reference
    (refused, naming the machine, when the park has it already)."""
    entity_id = customer_entity(principal)
    violations = Violations()
    code = normalise_code(model_id)
    if not code:
        violations.add("modelId", "is required: a model of the catalogue")
    for field_name, problem in (
        ("reference", reference_problem(reference)),
        ("name", name_problem(name)),
    ):
        if problem:
            violations.add(field_name, problem)
    day = None
    if commissioned_on.strip():
        day, problem = commissioning_problem(commissioned_on, deps.clock().date())
        if problem:
            violations.add("commissionedOn", problem)
    violations.raise_if_any("INVALID_EQUIPMENT")

    async def attempt() -> Equipment:
        now = deps.clock()
        async with deps.db.transaction() as s:
            model = await deps.repo.models.get(s, code)
            site = (
                await deps.repo.sites.get(s, site_id.strip(), entity_id)
                if site_id.strip()
                else None
            )
            problems = Violations()
            if model is None:
                problems.add("modelId", f"no model {code!r} in the catalogue")
            if site_id.strip() and site is None:
                problems.add("siteId", "is not one of your sites")
            problems.raise_if_any("INVALID_EQUIPMENT")
            assert model is not None
            key = reference_key(reference)
            existing = await deps.repo.equipment.in_park_by_references(s, entity_id, [key])
            if key in existing:
                raise reference_taken(existing[key])
            machine = new_equipment(
                new_id(), entity_id, model, reference, name, now, site=site, commissioned_on=day
            )
            await deps.repo.equipment.add(s, machine)
            return machine

    return await _settled(attempt)


async def delete_equipment(
    deps: Deps, principal: Principal | None, equipment_id: str, reason: str = ""
) -> RequestView:
    """The customer asks for the machine's removal: a REMOVAL request (the
    machine leaves the park when the operator marks it done)."""
    equipment_id = require_field(equipment_id, "id")
    return await service_requests.create_service_request(
        deps,
        principal,
        equipment_ids=[equipment_id],
        kind=RequestKind.REMOVAL,
        message=check_cancel_reason(reason),
    )


async def list_models(
    deps: Deps, principal: Principal | None, *, brand: str = "", q: str = ""
) -> list[EquipmentModel]:
    authenticated(principal)
    require_text_filter(brand, "brand")
    require_text_filter(q, "q")
    async with deps.db.read() as s:
        return await deps.repo.models.list(s, " ".join(brand.split()), " ".join(q.split()))


async def get_model(deps: Deps, principal: Principal | None, code: str) -> EquipmentModel:
    authenticated(principal)
    code = require_field(code, "id")
    async with deps.db.read() as s:
        model = await deps.repo.models.get(s, code)
    if model is None:
        raise NotFound("MODEL_NOT_FOUND", "no such model in the catalogue")
    return model


async def list_sites(deps: Deps, principal: Principal | None) -> list[Site]:
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        return await deps.repo.sites.list(s, entity_id)


# ---- operators -------------------------------------------------------------------------------


async def put_model(
    deps: Deps,
    principal: Principal | None,
    code: str,
    *,
    brand: str,
    name: str,
    parts: Sequence[tuple[str, str]],
    given_id: str = "",
) -> EquipmentModel:
    """Creates or replaces a model of the catalogue with its parts list."""
    require_operator(principal)
    checked = check_model(code, brand, name, parts, given_id)
    model = EquipmentModel(checked.code, checked.brand, checked.name, checked.parts, deps.clock())
    async with deps.db.transaction() as s:
        await deps.repo.models.put(s, model)
    return model


async def import_models(deps: Deps, principal: Principal | None, data: bytes) -> ImportResult:
    """The catalogue file whole or nothing; a model of the file replaces the
    stored one, its parts list included."""
    require_operator(principal)
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    read = await asyncio.to_thread(parse_models_file, data)

    async def attempt() -> ImportResult:
        now = deps.clock()
        models = [replace(model, updated_at=now) for model in read.models]
        async with deps.db.transaction() as s:
            created = await deps.repo.models.put_all(s, models)
        return ImportResult(read.lines, created, len(models) - created)

    return await _settled(attempt)


async def import_equipment(
    deps: Deps, principal: Principal | None, data: bytes, entity_id: str
) -> ImportResult:
    """The file whole or nothing; a reference in the entity's park updates its machine."""
    require_operator(principal)
    entity_id = require_field(entity_id, "entityId")
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    lines = await asyncio.to_thread(parse_equipment_file, data, deps.clock().date())

    async def attempt() -> ImportResult:
        now = deps.clock()
        async with deps.db.transaction() as s:
            models = await deps.repo.models.by_codes(
                s, [line.model_code for line in lines], with_parts=False
            )
            check_models(lines, models)
            in_park = await deps.repo.equipment.in_park_by_references(
                s, entity_id, [reference_key(line.reference) for line in lines], for_update=True
            )
            sites = await deps.repo.sites.by_keys(s, entity_id, for_update=True)
            plan = plan_import(entity_id, lines, models, in_park, sites, new_id, now)
            await deps.repo.sites.add_all(s, plan.new_sites)
            await deps.repo.sites.save_addresses(s, plan.updated_sites)
            await deps.repo.equipment.save_all(s, plan.updated_machines)
            await deps.repo.equipment.add_all(s, plan.new_machines)
        return ImportResult(len(lines), len(plan.new_machines), len(plan.updated_machines))

    return await _settled(attempt)
