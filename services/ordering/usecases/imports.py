"""File mode: the filled template becomes a DRAFT order (source FILE) with the
beneficiaries it introduces, all in one transaction, or every bad line is listed
and nothing is created.

Files up to `sync_import_max_lines` order lines are imported during the call;
larger ones become an `order_imports` row (RUNNING, with the bytes) that
`run_imports` processes in the background, recording progress, resumable after
a restart (a RUNNING import is simply processed again: creation and the
SUCCEEDED mark share one transaction). A finished import keeps its file for
`Deps.import_file_retention` (0: deleted as it finishes), a FAILED one every
problem (shown: the first `MAX_LISTED_VIOLATIONS`, as error statuses list)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.auth import customer_entity
from portal_runtime.db import new_id
from portal_runtime.error_mapping import MAX_LISTED_VIOLATIONS
from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from portal_runtime.passes import collect
from portal_runtime.tokens import Principal
from services.ordering.domain import order_file
from services.ordering.domain.imports import (
    ImportState,
    OrderImport,
    files_expire_before,
    new_import,
)
from services.ordering.domain.orders import Order, OrderSource
from services.ordering.usecases.common import Deps, collector_paused, sorted_ids
from services.ordering.usecases.order_files import known_codes, parse, require_file
from services.ordering.usecases.orders import add_draft, draft_line

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
# A background import records its progress at most this often.
PROGRESS_SECONDS = 0.5


async def create_from_file(
    deps: Deps,
    s: AsyncSession,
    entity_id: str,
    parsed: order_file.OrderFile,
    now: datetime,
    order_id: str,
) -> Order:
    """Creates the missing beneficiaries (bulk) and the draft `order_id` (the
    caller chooses it: a background import records it when it claims the job).
    Existing beneficiaries (by employee number) keep their stored data."""
    codes = await deps.repo.delivery_points.ids_by_code(s, entity_id)
    point_id = codes.get(parsed.delivery_point_code)
    if point_id is None:
        raise FailedPrecondition(
            "DELIVERY_POINT_DELETED",
            f"the delivery point {parsed.delivery_point_code!r} was deleted meanwhile",
        )
    # Each pass below goes over up to 100,000 lines on the loop's thread: a
    # chunk at a time, other calls get the loop in between.
    with collector_paused():
        refs = await deps.repo.beneficiaries.refs_by_number(s, entity_id)
        missing = await collect(line for line in parsed.lines if line.employee_number not in refs)
        beneficiary_ids = await sorted_ids(len(missing))
        created = await collect(
            line.new_beneficiary(
                id=beneficiary_id, entity_id=entity_id, default_delivery_point_id=point_id, now=now
            )
            for line, beneficiary_id in zip(missing, beneficiary_ids, strict=True)
        )
        refs.update(await collect((person.employee_number, person.ref) for person in created))
        line_ids = await sorted_ids(len(parsed.lines))
        lines = await collect(
            draft_line(refs[line.employee_number], line.new_card, line.load_amount_cents, line_id)
            for line, line_id in zip(parsed.lines, line_ids, strict=True)
        )
        await deps.repo.beneficiaries.add_all(s, created)
        return await add_draft(
            deps,
            s,
            order_id=order_id,
            entity_id=entity_id,
            delivery_point_id=point_id,
            source=OrderSource.FILE,
            lines=lines,
            now=now,
        )


async def import_order(
    deps: Deps, principal: Principal | None, data: bytes
) -> tuple[Order | None, OrderImport | None]:
    """(the draft, None) for a file imported at once, (None, the job) for a
    large one; InvalidArgument with every bad line otherwise."""
    entity_id = customer_entity(principal)
    now = deps.clock()
    # A pass over the whole file: off the loop's thread, as the parse.
    count = await asyncio.to_thread(order_file.count_order_lines, require_file(data))
    codes = await known_codes(deps, entity_id)
    too_big = len(data) > order_file.DEFAULT_MAX_BYTES or count > order_file.DEFAULT_MAX_LINES
    if count > deps.sync_import_max_lines and not too_big:
        job = new_import(
            id=new_id(),
            entity_id=entity_id,
            user_id=principal.user_id if principal else "",
            file=data,
            lines_total=count,
            now=now,
        )
        async with deps.db.transaction() as s:
            await deps.repo.imports.add(s, job)
        deps.imports_waiting.set()
        return None, job
    with collector_paused():  # the parser's lines, in its thread
        parsed = await asyncio.to_thread(parse, deps, data, codes, now.date())
    async with deps.db.transaction() as s:
        order = await create_from_file(deps, s, entity_id, parsed, now, new_id())
    return order, None


async def get_import(
    deps: Deps,
    principal: Principal | None,
    import_id: str,
    *,
    errors_limit: int | None = MAX_LISTED_VIOLATIONS,
) -> OrderImport:
    """The import with its first `errors_limit` problems (None: all of them);
    `errors_total` counts them all."""
    entity_id = customer_entity(principal)
    async with deps.db.read() as s:
        job = (
            await deps.repo.imports.get(s, import_id, entity_id, errors_limit=errors_limit)
            if import_id
            else None
        )
    if job is None:
        raise NotFound("ORDER_IMPORT_NOT_FOUND", "no such import for this account")
    return job


# ---- background --------------------------------------------------------------------


async def _record_progress(deps: Deps, job: OrderImport, done: int) -> OrderImport:
    job = job.with_progress(done)
    async with deps.db.transaction() as s:
        await deps.repo.imports.save_progress(s, job)
    return job


async def _check(
    deps: Deps, job: OrderImport, codes: dict[str, str], today: date
) -> order_file.OrderFile:
    """Parses the file in one pass, off the event loop; meanwhile the lines
    checked so far are recorded (every `Deps.import_chunk_lines` lines, at most
    every `PROGRESS_SECONDS`)."""
    checked = 0

    def progress(done: int) -> None:  # in the parser's thread
        nonlocal checked
        checked = done

    with collector_paused():  # the parser's lines, in its thread
        parsing = asyncio.ensure_future(
            asyncio.to_thread(parse, deps, job.file, codes, today, progress)
        )
        while True:
            finished, _ = await asyncio.wait({parsing}, timeout=PROGRESS_SECONDS)
            if finished:
                return parsing.result()
            if checked > job.lines_done:
                job = await _record_progress(deps, job, checked)


async def process_import(deps: Deps, import_id: str) -> None:
    """Checks the file (progress), then creates everything in one transaction
    that also marks the import SUCCEEDED: readers (its progress, the orders)
    never wait for it, and it holds the write lock only for the inserts (the
    file is parsed and checked before)."""
    async with deps.db.read() as s:
        job = await deps.repo.imports.get(s, import_id, None, with_file=True)
    if job is None or job.state is not ImportState.RUNNING:
        return
    codes = await known_codes(deps, job.entity_id)
    try:
        parsed = await _check(deps, job, codes, deps.clock().date())
        now = deps.clock()
        order_id = new_id()
        async with deps.db.transaction() as s:
            # Claim first: the import must not make two orders (two replicas).
            if not await _finish(deps, s, job.succeeded(order_id, now), now):
                return
            await create_from_file(deps, s, job.entity_id, parsed, now, order_id)
    except (InvalidArgument, FailedPrecondition) as error:
        now = deps.clock()
        # The parser went through every line to list every problem.
        failed = job.with_progress(job.lines_total).failed(error, now)
        async with deps.db.transaction() as s:
            await _finish(deps, s, failed, now)
        log.info("order import %s failed: %d problems", import_id, failed.errors_total)


async def _finish(deps: Deps, s: AsyncSession, job: OrderImport, now: datetime) -> bool:
    keep_file = job.keeps_file(now, deps.import_file_retention)
    return await deps.repo.imports.finish(s, job, keep_file=keep_file)


async def drop_expired_files(deps: Deps) -> int:
    """Deletes the files finished imports keep no longer; how many."""
    before = files_expire_before(deps.clock(), deps.import_file_retention)
    async with deps.db.transaction() as s:
        return await deps.repo.imports.drop_files(s, finished_before=before)


async def process_pending_imports(deps: Deps) -> int:
    """Processes every RUNNING import (those left by a restart too); how many."""
    async with deps.db.read() as s:
        ids = await deps.repo.imports.running_ids(s)
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
            await drop_expired_files(deps)
        except Exception:
            log.exception("background order import failed; retrying later")
        waits = [
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(deps.imports_waiting.wait()),
        ]
        await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
