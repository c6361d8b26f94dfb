"""Operators keep plans and the options catalogue; customers read them, and
for a line, which options it may take now and why not."""

from __future__ import annotations

from dataclasses import dataclass

from portal_runtime.auth import customer_entity
from portal_runtime.errors import NotFound, require_field
from portal_runtime.tokens import Principal
from services.fleet.domain.catalogue import (
    CatalogueOption,
    OptionType,
    Plan,
    PriceKind,
    new_option,
    new_plan,
)
from services.fleet.domain.requests import REQUIRED_STATUSES, RequestKind
from services.fleet.usecases.common import Deps, require_operator


@dataclass(frozen=True)
class OptionForLine:
    """A catalogue option, and (with a line) whether that line may take it now."""

    option: CatalogueOption
    available: bool = True
    unavailable_reason: str = ""
    active_on_line: bool = False


async def put_plan(
    deps: Deps,
    principal: Principal | None,
    code: str,
    *,
    name: str,
    product: str,
    monthly_cents: int,
    vat_bp: int,
) -> Plan:
    require_operator(principal)
    plan = new_plan(code, name, product, monthly_cents, vat_bp)
    async with deps.db.transaction() as s:
        await deps.repo.catalogue.put_plan(s, plan, deps.clock())
    return plan


async def put_option(
    deps: Deps,
    principal: Principal | None,
    code: str,
    *,
    type: OptionType | None,
    name: str,
    description: str,
    price_cents: int,
    price_kind: PriceKind | None,
    vat_bp: int,
    plans: list[str],
    excludes: list[str],
    requires_one_of: list[str],
) -> CatalogueOption:
    require_operator(principal)
    async with deps.db.transaction() as s:
        catalogue = await deps.repo.catalogue.load(s)
        option = new_option(
            code=code,
            type=type,
            name=name,
            description=description,
            price_cents=price_cents,
            price_kind=price_kind,
            vat_bp=vat_bp,
            plans=plans,
            excludes=excludes,
            requires_one_of=requires_one_of,
            known_plans=catalogue.plans,
            known_options=catalogue.options,
        )
        await deps.repo.catalogue.put_option(s, option, deps.clock())
    return option


async def list_plans(deps: Deps, principal: Principal | None, product: str = "") -> list[Plan]:
    customer_entity(principal)
    async with deps.db.read() as s:
        catalogue = await deps.repo.catalogue.load(s)
    product = product.strip()
    return [p for p in catalogue.plans.values() if not product or p.product == product]


async def list_options(
    deps: Deps,
    principal: Principal | None,
    option_type: OptionType | None = None,
    line_id: str = "",
) -> list[OptionForLine]:
    """The catalogue by type then code; with a line, what it may take now."""
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        catalogue = await deps.repo.catalogue.load(s)
        line = None
        if line_id.strip():
            line = await deps.repo.lines.get(s, require_field(line_id, "lineId"), entity_id)
            if line is None:
                raise NotFound("LINE_NOT_FOUND", "no such line")
    order = list(OptionType)
    chosen = sorted(
        (o for o in catalogue.options.values() if option_type is None or o.type is option_type),
        key=lambda o: (order.index(o.type), o.code),
    )
    if line is None:
        return [OptionForLine(option) for option in chosen]
    status_ok = line.status in REQUIRED_STATUSES[RequestKind.OPTIONS]
    answers = []
    for option in chosen:
        active = option.code in line.options
        reason = (
            "a change is in progress on this line"
            if line.pending_request_id
            else catalogue.option_refusal(
                line.plan, status_ok, line.status.value, line.options, option.code
            )
        )
        answers.append(OptionForLine(option, reason is None, reason or "", active))
    return answers
