"""Customers ask for changes on lines (options, suspension, reactivation,
prepaid, plan, SIM activation) and follow them. A request is checked whole
(every line's problem named) and accepted at once; its lines are processed in
the background (`usecases/processing.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portal_runtime.auth import authenticated, customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import NotFound, require_field
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.fleet import events
from services.fleet.domain.catalogue import Catalogue, normalise_code, require_plan, unknown_codes
from services.fleet.domain.lines import Line
from services.fleet.domain.requests import (
    Change,
    FleetRequest,
    RequestKind,
    RequestState,
    check_lines,
    check_not_busy,
    check_same_group,
    new_request,
    one_off_prices,
    parse_reason,
    require_found,
    require_line_ids,
)
from services.fleet.domain.sims import check_activatable, require_iccid
from services.fleet.usecases.common import Deps, wake_after_commit


@dataclass(frozen=True)
class LinePreview:
    line: Line
    activate: tuple[str, ...]
    deactivate: tuple[str, ...]
    monthly_difference_cents: int
    one_off_cents: int


@dataclass(frozen=True)
class Preview:
    lines: list[LinePreview]
    changes: int
    monthly_difference_cents: int
    one_off_total_cents: int


def _option_change(activate: Sequence[str], deactivate: Sequence[str]) -> Change:
    return Change(
        RequestKind.OPTIONS,
        activate=tuple(dict.fromkeys(normalise_code(c) for c in activate)),
        deactivate=tuple(dict.fromkeys(normalise_code(c) for c in deactivate)),
    )


async def _checked_lines(
    deps: Deps, s, catalogue: Catalogue, entity_id: str, line_ids: list[str], change: Change
) -> list[Line]:
    """The lines, locked, once every rule holds; the first broken rule raises
    with every line it concerns."""
    if change.kind is RequestKind.OPTIONS:
        unknown_codes(catalogue, change.activate, change.deactivate)
    if change.kind is RequestKind.CHANGE_PLAN:
        require_plan(catalogue, change.plan)
    found = await deps.repo.lines.by_ids(s, entity_id, line_ids, for_update=True)
    lines = require_found(line_ids, found)
    check_same_group(lines)
    check_not_busy(lines)
    check_lines(catalogue, lines, change)
    return lines


async def preview_option_change(
    deps: Deps,
    principal: Principal | None,
    line_ids: Sequence[str],
    activate: Sequence[str],
    deactivate: Sequence[str],
) -> Preview:
    """What confirming would do, refused exactly as confirming would be."""
    entity_id = customer_entity(principal)
    ids = require_line_ids(line_ids)
    change = _option_change(activate, deactivate)
    async with deps.db.transaction() as s:
        catalogue = await deps.repo.catalogue.load(s)
        lines = await _checked_lines(deps, s, catalogue, entity_id, ids, change)
    monthly = sum(catalogue.options[c].monthly_cents for c in change.activate) - sum(
        catalogue.options[c].monthly_cents for c in change.deactivate
    )
    one_off = sum(catalogue.options[c].one_off_cents for c in change.activate)
    previews = [
        LinePreview(line, change.activate, change.deactivate, monthly, one_off) for line in lines
    ]
    return Preview(
        lines=previews,
        changes=len(lines) * (len(change.activate) + len(change.deactivate)),
        monthly_difference_cents=monthly * len(lines),
        one_off_total_cents=one_off * len(lines),
    )


async def _submit(
    deps: Deps, principal: Principal | None, line_ids: Sequence[str], change: Change
) -> FleetRequest:
    entity_id = customer_entity(principal)
    user_id = authenticated(principal).user_id
    ids = require_line_ids(line_ids)
    now = deps.clock()
    async with deps.db.transaction() as s:
        catalogue = await deps.repo.catalogue.load(s)
        lines = await _checked_lines(deps, s, catalogue, entity_id, ids, change)
        if change.kind is RequestKind.ACTIVATE_SIM:
            order = await deps.repo.sims.order_of_card(s, entity_id, change.iccid)
            check_activatable(order, change.iccid)
            # Reserved for this line: a second activation of the card is refused.
            await deps.repo.sims.set_card_line(s, change.iccid, lines[0].id)
        request = new_request(
            new_id(), entity_id, user_id, change, lines, now, one_off_prices(catalogue, change)
        )
        await deps.repo.requests.add(s, request)
        await deps.repo.lines.save_all(s, lines)
        await add_event(s, events.change_requested(request))
        wake_after_commit(s)
    return request


async def create_option_change(
    deps: Deps,
    principal: Principal | None,
    line_ids: Sequence[str],
    activate: Sequence[str],
    deactivate: Sequence[str],
) -> FleetRequest:
    return await _submit(deps, principal, line_ids, _option_change(activate, deactivate))


async def suspend_lines(
    deps: Deps, principal: Principal | None, line_ids: Sequence[str], reason: str
) -> FleetRequest:
    change = Change(RequestKind.SUSPEND, suspension_reason=parse_reason(reason))
    return await _submit(deps, principal, line_ids, change)


async def reactivate_lines(
    deps: Deps, principal: Principal | None, line_ids: Sequence[str]
) -> FleetRequest:
    return await _submit(deps, principal, line_ids, Change(RequestKind.REACTIVATE))


async def switch_to_prepaid(
    deps: Deps, principal: Principal | None, line_ids: Sequence[str]
) -> FleetRequest:
    return await _submit(deps, principal, line_ids, Change(RequestKind.SWITCH_TO_PREPAID))


async def change_plan(
    deps: Deps, principal: Principal | None, line_ids: Sequence[str], plan: str
) -> FleetRequest:
    code = normalise_code(require_field(plan, "plan"))
    return await _submit(deps, principal, line_ids, Change(RequestKind.CHANGE_PLAN, plan=code))


async def activate_sim(
    deps: Deps, principal: Principal | None, line_id: str, iccid: str
) -> FleetRequest:
    line_id = require_field(line_id, "lineId")
    change = Change(RequestKind.ACTIVATE_SIM, iccid=require_iccid(iccid))
    return await _submit(deps, principal, [line_id], change)


async def get_request(deps: Deps, principal: Principal | None, request_id: str) -> FleetRequest:
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "id")
    async with deps.db.read() as s:
        request = await deps.repo.requests.get(s, request_id, entity_id)
    if request is None:
        raise NotFound("FLEET_REQUEST_NOT_FOUND", "no such request")
    return request


async def list_requests(
    deps: Deps,
    principal: Principal | None,
    *,
    kind: RequestKind | None = None,
    state: RequestState | None = None,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[FleetRequest], str]:
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.requests.list(s, entity_id, kind, state, page)
    return found, page.next_token(more)
