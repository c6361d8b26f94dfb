"""File mode: the filled template becomes a DRAFT order (source FILE) with the
beneficiaries it introduces, all in one transaction, or every bad line is listed
and nothing is created.

Files up to `sync_import_max_lines` order lines are imported during the call;
larger ones become an `order_imports` row (RUNNING, with the bytes) that
`run_imports` processes in the background, recording progress, resumable after
a restart (a RUNNING import is simply processed again: creation and the
SUCCEEDED mark share one transaction)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from portal_runtime.tokens import Principal
from services.ordering.domain import order_file
from services.ordering.usecases.common import Deps
from services.ordering.usecases.orders import (
    DraftLine,
    OrderData,
    full_name,
    insert_draft,
    load_order,
)

log = logging.getLogger(__name__)

RUNNING, SUCCEEDED, FAILED = "RUNNING", "SUCCEEDED", "FAILED"
POLL_SECONDS = 2.0


def _parse(deps: Deps, data: bytes, codes: dict[str, str], today) -> order_file.OrderFile:
    return order_file.parse_order_file(
        data, known_codes=codes.keys(), today=today, bounds=deps.bounds
    )


async def _known_codes(deps: Deps, entity_id: str) -> dict[str, str]:
    async with deps.db.transaction() as s:
        return await deps.repo.point_ids_by_code(s, entity_id)


async def create_from_file(
    deps: Deps, s: AsyncSession, entity_id: str, parsed: order_file.OrderFile, now: datetime
) -> str:
    """Creates the missing beneficiaries (bulk) and the draft; the order id.
    Existing beneficiaries (by employee number) keep their stored data."""
    codes = await deps.repo.point_ids_by_code(s, entity_id)
    point_id = codes.get(parsed.delivery_point_code)
    if point_id is None:
        raise FailedPrecondition(
            "DELIVERY_POINT_DELETED",
            f"the delivery point {parsed.delivery_point_code!r} was deleted meanwhile",
        )
    existing = await deps.repo.beneficiaries_by_number(s, entity_id)
    created: list[dict] = []
    drafts: list[DraftLine] = []
    for line in parsed.lines:
        found = existing.get(line.employee_number)
        if found is None:
            beneficiary_id = new_id()
            name = full_name(line.first_name, line.last_name)
            created.append(
                {
                    "id": beneficiary_id,
                    "entity_id": entity_id,
                    "employee_number": line.employee_number,
                    "first_name": line.first_name,
                    "last_name": line.last_name,
                    "email": line.email,
                    "birth_date": line.birth_date,
                    "hire_date": "",
                    "default_delivery_point_id": point_id,
                    "has_card": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            beneficiary_id, name = found.id, full_name(found.first_name, found.last_name)
        drafts.append(
            DraftLine(
                beneficiary_id, line.employee_number, name, line.new_card, line.load_amount_cents
            )
        )
    await deps.repo.add_beneficiaries(s, created)
    return await insert_draft(
        deps,
        s,
        entity_id=entity_id,
        delivery_point_id=point_id,
        lines=drafts,
        source="FILE",
        now=now,
    )


async def import_order(
    deps: Deps, principal: Principal | None, data: bytes
) -> tuple[OrderData | None, Row | None]:
    """(the draft, None) for a file imported at once, (None, the job) for a
    large one; InvalidArgument with every bad line otherwise."""
    entity_id = customer_entity(principal)
    now = deps.clock()
    if not data:
        raise InvalidArgument.for_field("file", "is required", reason="REQUIRED_FIELD")
    count = order_file.count_order_lines(data)
    codes = await _known_codes(deps, entity_id)
    too_big = len(data) > order_file.DEFAULT_MAX_BYTES or count > order_file.DEFAULT_MAX_LINES
    if count > deps.sync_import_max_lines and not too_big:
        job_id = new_id()
        async with deps.db.transaction() as s:
            await deps.repo.add_import(
                s,
                id=job_id,
                entity_id=entity_id,
                user_id=principal.user_id if principal else "",
                state=RUNNING,
                file=data,
                lines_total=count,
                lines_done=0,
                errors=[],
                order_id="",
                created_at=now,
            )
            job = await deps.repo.order_import(s, job_id, entity_id)
        deps.imports_waiting.set()
        return None, job
    parsed = await asyncio.to_thread(_parse, deps, data, codes, now.date())
    async with deps.db.transaction() as s:
        order_id = await create_from_file(deps, s, entity_id, parsed, now)
        return await load_order(deps, s, order_id, entity_id), None


async def get_import(deps: Deps, principal: Principal | None, import_id: str) -> Row:
    entity_id = customer_entity(principal)
    async with deps.db.transaction() as s:
        row = await deps.repo.order_import(s, import_id, entity_id) if import_id else None
    if row is None:
        raise NotFound("ORDER_IMPORT_NOT_FOUND", "no such import for this account")
    return row


# ---- background --------------------------------------------------------------------


def _chunk(lines: list[str], start: int, size: int) -> bytes:
    """The header, then blank lines so that the chunk's rows keep their line
    numbers (the parser skips blank lines), then rows [start, start + size)."""
    body = lines[1 + start : 1 + start + size]
    return (lines[0] + "\n" * start + "".join(body)).encode()


async def _record_progress(deps: Deps, import_id: str, done: int) -> None:
    async with deps.db.transaction() as s:
        await deps.repo.update_import(s, import_id, lines_done=done)


async def process_import(deps: Deps, import_id: str) -> None:
    """Checks the file chunk by chunk (progress), then parses it whole (the
    authority on every rule, cross-line ones included) and creates everything
    in one transaction that also marks the import SUCCEEDED."""
    async with deps.db.transaction() as s:
        job = await deps.repo.order_import(s, import_id, None, with_file=True)
    if job is None or job.state != RUNNING:
        return
    codes = await _known_codes(deps, job.entity_id)
    today = deps.clock().date()
    chunk = max(deps.import_chunk_lines, 1)
    lines = order_file.decode(job.file)[0].splitlines(keepends=True)
    for start in range(0, max(len(lines) - 1, 0), chunk):
        part = _chunk(lines, start, chunk)
        with contextlib.suppress(InvalidArgument):  # every problem is reported below
            await asyncio.to_thread(_parse, deps, part, codes, today)
        await _record_progress(deps, import_id, min(start + chunk, job.lines_total))
    now = deps.clock()
    try:
        parsed = await asyncio.to_thread(_parse, deps, job.file, codes, today)
        async with deps.db.transaction() as s:
            # Claim first: the import must not make two orders (two replicas).
            if not await deps.repo.finish_import(
                s, import_id, state=SUCCEEDED, lines_done=job.lines_total, finished_at=now
            ):
                return
            order_id = await create_from_file(deps, s, job.entity_id, parsed, now)
            await deps.repo.update_import(s, import_id, order_id=order_id)
    except (InvalidArgument, FailedPrecondition) as error:
        violations = [{"field": v.field, "description": v.description} for v in error.violations]
        if not violations:
            violations = [{"field": "file", "description": error.message}]
        async with deps.db.transaction() as s:
            await deps.repo.finish_import(
                s, import_id, state=FAILED, errors=violations, finished_at=deps.clock()
            )
        log.info("order import %s failed: %d problems", import_id, len(violations))


async def process_pending_imports(deps: Deps) -> int:
    """Processes every RUNNING import (those left by a restart too); how many."""
    async with deps.db.transaction() as s:
        ids = await deps.repo.running_import_ids(s)
    for import_id in ids:
        await process_import(deps, import_id)
    return len(ids)


async def run_imports(deps: Deps, stop: asyncio.Event, poll_seconds: float = POLL_SECONDS) -> None:
    """The background task: processes RUNNING imports when one is stored (and
    every `poll_seconds`, for other replicas' and a restart's) until `stop`."""
    while not stop.is_set():
        # Cleared before the pass: an import stored meanwhile wakes the next wait.
        deps.imports_waiting.clear()
        try:
            await process_pending_imports(deps)
        except Exception:
            log.exception("background order import failed; retrying later")
        waits = [
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(deps.imports_waiting.wait()),
        ]
        await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
