"""The background processing of requests: each line is sent to the operator's
provisioning system and its outcome recorded; the request completes when every
line is done or failed.

- **Claims.** A pass claims due lines (`RequestsRepository.claim_due`: up to
  `per_request` lines of each of up to `requests_at_once` requests, so requests
  progress side by side) with a lease renewed while they are being sent; a
  replica that dies stops renewing and another one (or its restart) takes the
  lines over.
- **Exactly once.** Every line is an operation with a fixed key. A line taken
  over from a dead worker may have reached the provisioning system: its outcome
  is asked first (`lookup`) and it is sent only when the system never got it;
  the system itself applies a key once.
- **Bounded concurrency.** At most `concurrency` calls in flight; outcomes are
  written in chunks, each in one transaction with the line's new state, its
  history and the events.
- **Outages.** A line whose call could not be made (`ProvisioningUnavailable`)
  waits with a doubling backoff (`RetryPolicy`), still SENT since the call may
  have got through (its next attempt looks the outcome up first), and is failed,
  with the reason, only after `give_up_after`; a refusal by the system fails the
  line at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.outbox import add_event
from services.fleet import events
from services.fleet.domain.catalogue import Catalogue
from services.fleet.domain.history import HistoryEntry
from services.fleet.domain.lines import Line
from services.fleet.domain.requests import (
    MAX_LISTED_OUTCOMES,
    FleetRequest,
    ItemState,
    RequestKind,
    SimSwapped,
    StatusChanged,
    apply_change,
    change_of,
    describe,
    release_line,
    with_state,
)
from services.fleet.provisioning.base import (
    Operation,
    Outcome,
    Provisioning,
    ProvisioningUnavailable,
)
from services.fleet.store.requests import ClaimedItem
from services.fleet.usecases.common import Deps, requests_waiting

log = logging.getLogger(__name__)

UNREACHABLE = "the provisioning system could not be reached"


@dataclass(frozen=True)
class Result:
    claimed: ClaimedItem
    # None: the call could not be made (retry later); `error` says why.
    outcome: Outcome | None
    error: str = ""
    tried: bool = True


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 16
    per_request: int = 64
    requests_at_once: int = 8
    lease: timedelta = timedelta(seconds=15)
    poll_seconds: float = 2.0
    # Outcomes written per transaction.
    chunk: int = 64


def operation_for(request: FleetRequest, claimed: ClaimedItem, line: Line) -> Operation:
    return Operation(
        key=claimed.item.operation_key,
        kind=request.kind.value,
        number=line.number.e164,
        iccid=line.iccid,
        activate=request.activate,
        deactivate=request.deactivate,
        plan=request.plan,
        reason=request.suspension_reason.value if request.suspension_reason else "",
        new_iccid=request.iccid,
    )


class RequestWorker:
    def __init__(
        self, deps: Deps, provisioning: Provisioning, settings: WorkerSettings | None = None
    ) -> None:
        self.deps = deps
        self.provisioning = provisioning
        self.settings = settings or WorkerSettings()
        self._wake = asyncio.Event()
        deps.db.on_commit(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if requests_waiting(session):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """The background task (`app.add_task(worker.run)`)."""
        log.info("request processing started (%d calls at once)", self.settings.concurrency)
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    handled = await self.process_due(stop)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a database hiccup: the next pass tries again
                    log.exception("request processing pass failed")
                    handled = 0
                if handled:
                    continue
                await self._sleep(stop, await self._seconds_to_next())
        finally:
            with contextlib.suppress(Exception):
                await self.provisioning.aclose()

    async def _seconds_to_next(self) -> float:
        try:
            async with self.deps.db.transaction() as s:
                due = await self.deps.repo.requests.next_due_at(s)
        except Exception:
            return self.settings.poll_seconds
        if due is None:
            return self.settings.poll_seconds
        wait = (due - self.deps.clock()).total_seconds()
        return min(max(wait, 0.05), self.settings.poll_seconds)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        waking = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait(
                {stopping, waking}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()
            waking.cancel()

    # ---- one pass ---------------------------------------------------------------

    async def process_due(self, stop: asyncio.Event | None = None) -> int:
        """Claims due lines, sends them, records their outcomes; returns how
        many lines were claimed."""
        deps, settings = self.deps, self.settings
        claim = uuid.uuid4().hex
        now = deps.clock()
        async with deps.db.transaction() as s:
            claimed = await deps.repo.requests.claim_due(
                s,
                claim=claim,
                now=now,
                lease_until=now + settings.lease,
                requests_at_once=settings.requests_at_once,
                per_request=settings.per_request,
            )
            if not claimed:
                return 0
            requests, lines = await self._context(s, claimed)
        renewing = asyncio.create_task(self._renew(claim), name="fleet-lease")
        try:
            await self._send_all(claim, claimed, requests, lines, stop)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        return len(claimed)

    async def _context(
        self, s: AsyncSession, claimed: Sequence[ClaimedItem]
    ) -> tuple[dict[str, FleetRequest], dict[str, Line]]:
        """The claimed lines' requests and lines (what their operations say)."""
        requests: dict[str, FleetRequest] = {}
        by_entity: dict[str, list[str]] = defaultdict(list)
        for c in claimed:
            if c.item.request_id not in requests:
                found = await self.deps.repo.requests.get(
                    s, c.item.request_id, None, with_items=False
                )
                assert found is not None  # items are written with their request
                requests[c.item.request_id] = found
            by_entity[c.entity_id].append(c.item.line_id)
        lines: dict[str, Line] = {}
        for entity_id, line_ids in by_entity.items():
            lines.update(await self.deps.repo.lines.by_ids(s, entity_id, line_ids))
        return requests, lines

    async def _send_all(
        self,
        claim: str,
        claimed: Sequence[ClaimedItem],
        requests: dict[str, FleetRequest],
        lines: dict[str, Line],
        stop: asyncio.Event | None,
    ) -> None:
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(c: ClaimedItem) -> Result:
            async with gate:
                if stop is not None and stop.is_set():
                    return Result(c, None, tried=False)
                request = requests[c.item.request_id]
                return await self._call(c, operation_for(request, c, lines[c.item.line_id]))

        pending: list[Result] = []
        for finished in asyncio.as_completed([one(c) for c in claimed]):
            pending.append(await finished)
            if len(pending) >= self.settings.chunk:
                await self._record(claim, pending)
                pending = []
        if pending:
            await self._record(claim, pending)

    async def _call(self, claimed: ClaimedItem, operation: Operation) -> Result:
        try:
            if claimed.recovered:
                known = await self.provisioning.lookup(operation.key)
                if known is not None:
                    return Result(claimed, known)
            return Result(claimed, await self.provisioning.apply(operation))
        except asyncio.CancelledError:
            raise
        except ProvisioningUnavailable as exc:
            return Result(claimed, None, error=str(exc) or UNREACHABLE)
        except Exception as exc:  # an adapter bug must not lose the line: retried
            log.exception("provisioning call for %s failed", operation.key)
            return Result(claimed, None, error=f"{type(exc).__name__}: {exc}")

    async def _renew(self, claim: str) -> None:
        lease = self.settings.lease
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                async with self.deps.db.transaction() as s:
                    await self.deps.repo.requests.renew(s, claim, self.deps.clock() + lease)
            except Exception:  # the next renewal (or the lease's expiry) decides
                log.warning("could not renew the lease of claim %s", claim, exc_info=True)

    # ---- outcomes -----------------------------------------------------------------

    async def _record(self, claim: str, results: Sequence[Result]) -> None:
        deps = self.deps
        now = deps.clock()
        untried = [r.claimed for r in results if not r.tried]
        by_request: dict[str, list[Result]] = defaultdict(list)
        for result in results:
            if result.tried:
                by_request[result.claimed.item.request_id].append(result)
        async with deps.db.transaction() as s:
            if untried:
                await deps.repo.requests.release(s, claim, untried, now)
            catalogue = await deps.repo.catalogue.load(s) if by_request else Catalogue()
            for request_id, request_results in by_request.items():
                await self._record_request(s, claim, request_id, request_results, catalogue, now)

    async def _record_request(
        self,
        s: AsyncSession,
        claim: str,
        request_id: str,
        results: Sequence[Result],
        catalogue: Catalogue,
        now: datetime,
    ) -> None:
        deps = self.deps
        request = await deps.repo.requests.get(
            s, request_id, None, with_items=False, for_update=True
        )
        assert request is not None
        keys = [r.claimed.item.line_id for r in results]
        owned = await deps.repo.requests.owned(s, claim, request_id, keys)
        lines = await deps.repo.lines.by_ids(s, request.entity_id, list(owned), for_update=True)
        change = change_of(request)
        items, changed, history = [], [], []
        done = failed = 0
        for result in results:
            item = result.claimed.item
            line = lines.get(item.line_id)
            if item.line_id not in owned or line is None:
                log.warning(
                    "line %s of request %s: lease lost, not recorded", item.line_id, request_id
                )
                continue
            outcome = result.outcome
            if outcome is None and not deps.retry.gives_up(request.created_at, now):
                # The call may have reached the system (a timeout): the line
                # stays SENT, and its next attempt asks for its outcome first.
                items.append(
                    with_state(
                        item,
                        ItemState.SENT,
                        now,
                        failure_reason=result.error,
                        next_attempt_at=deps.retry.next_attempt(item.attempts, now),
                    )
                )
                continue
            if outcome is not None and outcome.applied:
                before = replace(line)
                for fact in apply_change(line, change, request_id, now):
                    await add_event(s, _event(fact))
                items.append(with_state(item, ItemState.DONE, now, failure_reason=""))
                history.append(
                    HistoryEntry(
                        item.line_id,
                        now,
                        request.kind.value,
                        describe(change, before),
                        True,
                        "",
                        request_id,
                    )
                )
                done += 1
            else:
                reason = outcome.reason if outcome is not None else f"{UNREACHABLE}: {result.error}"
                reason = reason or "refused by the provisioning system"
                release_line(line, now)
                if request.kind is RequestKind.ACTIVATE_SIM:
                    await deps.repo.sims.set_card_line(s, request.iccid, "")
                items.append(with_state(item, ItemState.FAILED, now, failure_reason=reason))
                history.append(
                    HistoryEntry(
                        item.line_id,
                        now,
                        request.kind.value,
                        describe(change, line),
                        False,
                        reason,
                        request_id,
                    )
                )
                failed += 1
            changed.append(line)
        await deps.repo.lines.save_all(s, changed)
        await deps.repo.requests.save_items(s, items)
        await deps.repo.history.add_all(s, request.entity_id, history)
        if request.record(done, failed, now):
            listed = await deps.repo.requests.items(
                s, request_id, failed_first_limit=MAX_LISTED_OUTCOMES
            )
            await add_event(s, events.change_completed(request, listed, catalogue))
            log.info(
                "request %s completed: %d done, %d failed",
                request_id,
                request.lines_done,
                request.lines_failed,
            )
        await deps.repo.requests.save_progress(s, request)


def _event(fact: StatusChanged | SimSwapped):
    if isinstance(fact, SimSwapped):
        return events.sim_activated(fact)
    return events.line_status_changed(fact)
