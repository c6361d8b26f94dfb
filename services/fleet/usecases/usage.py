"""Operators import a month's consumption per line; customers read it."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass

from portal_runtime.auth import customer_entity
from portal_runtime.errors import InvalidArgument, Violations, require_field
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.fleet.domain.usage import Usage, UsageFilter
from services.fleet.domain.usage_file import parse_usage_file, usage_of_lines
from services.fleet.usecases.common import Deps, require_operator

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class UsageImportResult:
    lines: int
    replaced: int


async def import_usage(
    deps: Deps, principal: Principal | None, data: bytes, entity_id: str
) -> UsageImportResult:
    """The file whole or nothing; a line's month imported again has its figures
    replaced."""
    require_operator(principal)
    entity_id = require_field(entity_id, "entityId")
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    now = deps.clock()
    file_lines = await asyncio.to_thread(
        parse_usage_file, data, deps.parse_number, this_month=now.strftime("%Y-%m")
    )
    numbers = sorted({line.number for line in file_lines})
    async with deps.db.transaction() as s:
        # Locking the lines serialises two imports for the same lines, which
        # would otherwise both insert a line-month neither saw.
        known = await deps.repo.lines.by_numbers(s, entity_id, numbers, for_update=True)
        usage = usage_of_lines(
            entity_id, file_lines, {number: line.id for number, line in known.items()}
        )
        replaced = await deps.repo.usage.replace_all(s, entity_id, usage, now)
    return UsageImportResult(len(usage), replaced)


async def list_usage(
    deps: Deps,
    principal: Principal | None,
    criteria: UsageFilter,
    *,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[Usage], str]:
    entity_id = customer_entity(principal)
    month = criteria.month.strip()
    problems = Violations()
    if month and not _MONTH.match(month):
        problems.add("month", "must be a month YYYY-MM")
    for name, value in (
        ("minOutOfBundleCents", criteria.min_out_of_bundle_cents),
        ("minDataMb", criteria.min_data_mb),
        ("minVoiceMinutes", criteria.min_voice_minutes),
    ):
        if value < 0:
            problems.add(name, "must not be negative")
    problems.raise_if_any()
    page = parse_page(page_size, page_token)
    criteria = dataclasses.replace(criteria, month=month, line_id=criteria.line_id.strip())
    async with deps.db.transaction() as s:
        found, more = await deps.repo.usage.list(s, entity_id, criteria, page)
    return found, page.next_token(more)
