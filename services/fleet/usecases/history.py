"""A line's history, newest first."""

from __future__ import annotations

from portal_runtime.auth import customer_entity
from portal_runtime.errors import NotFound, require_field
from portal_runtime.pagination import parse_page
from portal_runtime.tokens import Principal
from services.fleet.domain.history import HistoryEntry
from services.fleet.usecases.common import Deps


async def line_history(
    deps: Deps, principal: Principal | None, line_id: str, page_size: int = 0, page_token: str = ""
) -> tuple[list[HistoryEntry], str]:
    entity_id = customer_entity(principal)
    line_id = require_field(line_id, "lineId")
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        if await deps.repo.lines.get(s, line_id, entity_id) is None:
            raise NotFound("LINE_NOT_FOUND", "no such line")
        entries, more = await deps.repo.history.list(s, entity_id, line_id, page)
    return entries, page.next_token(more)
