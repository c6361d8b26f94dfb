"""Customers list, search and read their lines; operators import them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import InvalidArgument, NotFound, require_field
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.fleet.domain.line_file import match_catalogue, parse_line_file
from services.fleet.domain.lines import Line, LineStatus, search_filter
from services.fleet.usecases.common import Deps, require_operator


@dataclass(frozen=True)
class ImportResult:
    lines: int
    created: int
    updated: int


@dataclass(frozen=True)
class LinePage:
    lines: list[Line]
    next_page_token: str
    # When the entity's fleet data last changed (None: no lines yet).
    data_updated_at: datetime | None


async def list_lines(
    deps: Deps,
    principal: Principal | None,
    *,
    q: str = "",
    status: LineStatus | None = None,
    plan: str = "",
    customer_number: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> LinePage:
    """A page of lines and when the fleet data last changed, read together."""
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    criteria = search_filter(q, status=status, plan=plan, customer_number=customer_number)
    async with deps.db.read() as s:
        found, more = await deps.repo.lines.list(s, entity_id, criteria, page)
        updated = await deps.repo.lines.last_updated(s, entity_id)
    return LinePage(found, page.next_token(more), updated)


async def get_line(deps: Deps, principal: Principal | None, line_id: str) -> Line:
    entity_id = customer_entity(principal)
    line_id = require_field(line_id, "id")
    async with deps.db.read() as s:
        line = await deps.repo.lines.get(s, line_id, entity_id)
    if line is None:
        raise NotFound("LINE_NOT_FOUND", "no such line")
    return line


async def import_lines(
    deps: Deps, principal: Principal | None, data: bytes, entity_id: str
) -> ImportResult:
    """The file whole or nothing; a number the entity already has updates its line."""
    require_operator(principal)
    entity_id = require_field(entity_id, "entityId")
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    file_lines = await asyncio.to_thread(parse_line_file, data, deps.parse_number)
    now = deps.clock()
    numbers = [line.fields.number.e164 for line in file_lines]
    async with deps.db.transaction() as s:
        file_lines = match_catalogue(file_lines, await deps.repo.catalogue.load(s))
        known = await deps.repo.lines.by_numbers(s, entity_id, numbers, for_update=True)
        new: list[Line] = []
        updated: list[Line] = []
        for file_line in file_lines:
            line = known.get(file_line.fields.number.e164)
            if line is None:
                new.append(Line.new(new_id(), entity_id, file_line.fields, now))
            else:
                line.update(file_line.fields, now)
                updated.append(line)
        await deps.repo.lines.save_all(s, updated)
        await deps.repo.lines.add_all(s, new)
    return ImportResult(len(file_lines), len(new), len(file_lines) - len(new))
