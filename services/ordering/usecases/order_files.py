"""The order file outside any import: the blank template in the account's
language, and a check that lists every problem of a filled one, creating
nothing. Also what every use of a file shares: the entity's delivery point
codes and the parse with the contract's bounds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from portal_runtime.auth import customer_entity
from portal_runtime.errors import FieldViolation, InvalidArgument
from portal_runtime.tokens import Principal
from services.ordering.domain import order_file
from services.ordering.domain.order_template import DEFAULT_LANGUAGE, template, template_language
from services.ordering.usecases.common import Deps


def require_file(data: bytes) -> bytes:
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    return data


def parse(
    deps: Deps,
    data: bytes,
    codes: dict[str, str],
    today: date,
    progress: Callable[[int], object] | None = None,
) -> order_file.OrderFile:
    """`progress(lines checked)` every `Deps.import_chunk_lines` lines."""
    return order_file.parse_order_file(
        data,
        known_codes=codes.keys(),
        today=today,
        bounds=deps.bounds,
        progress=progress,
        progress_every=deps.import_chunk_lines,
    )


async def known_codes(deps: Deps, entity_id: str) -> dict[str, str]:
    async with deps.db.read() as s:
        return await deps.repo.delivery_points.ids_by_code(s, entity_id)


async def order_template(deps: Deps, principal: Principal | None, language: str) -> bytes:
    """The template in `language` (`fr`, `en`), else in the account's language
    (French while ordering has not heard of the account)."""
    entity_id = customer_entity(principal)
    if language:
        return template(template_language(language))
    async with deps.db.read() as s:
        account = await deps.repo.accounts.get(s, entity_id)
    return template(account.language if account else DEFAULT_LANGUAGE)


async def check_order_file(
    deps: Deps, principal: Principal | None, data: bytes
) -> list[FieldViolation]:
    """Every problem an import of `data` would meet, in the file's order; none:
    the file imports. Nothing is created."""
    entity_id = customer_entity(principal)
    require_file(data)
    codes = await known_codes(deps, entity_id)
    return await asyncio.to_thread(
        order_file.file_problems,
        data,
        known_codes=codes.keys(),
        today=deps.clock().date(),
        bounds=deps.bounds,
    )
