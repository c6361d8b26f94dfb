"""Requests and their lines (items), and the claims the background processing
takes on items.

A claim moves due items to SENT with a claim token and a lease in one
conditional UPDATE, so two workers (replicas) never hold the same item: on
PostgreSQL the second UPDATE re-reads a row the first committed and no longer
matches; SQLite transactions are serialised. An item SENT whose lease expired
belongs to a worker that died: it is claimed again, flagged `recovered`, and
its outcome is asked of the provisioning system before anything is re-sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware
from portal_runtime.pagination import Page
from services.fleet.domain.requests import (
    FleetRequest,
    ItemState,
    OneOffPrice,
    RequestItem,
    RequestKind,
    RequestState,
    SuspensionReason,
)
from services.fleet.store.tables import request_items, requests

r = requests.c
i = request_items.c
_PER_QUERY = 5_000


@dataclass(frozen=True)
class ClaimedItem:
    item: RequestItem
    entity_id: str
    # It was SENT by a worker that died: ask the provisioning system first.
    recovered: bool


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code for code in text.split("|") if code)


def _request(row: Row) -> FleetRequest:
    return FleetRequest(
        id=row.id,
        entity_id=row.entity_id,
        user_id=row.user_id,
        kind=RequestKind(row.kind),
        created_at=aware(row.created_at),
        activate=_codes(row.activate),
        deactivate=_codes(row.deactivate),
        suspension_reason=SuspensionReason(row.suspension_reason)
        if row.suspension_reason
        else None,
        plan=row.plan,
        iccid=row.iccid,
        lines_total=row.lines_total,
        lines_done=row.lines_done,
        lines_failed=row.lines_failed,
        state=RequestState(row.state),
        completed_at=aware(row.completed_at),
        one_off_prices=tuple(OneOffPrice(*price) for price in json.loads(row.one_off_prices)),
    )


def _item(row: Row) -> RequestItem:
    return RequestItem(
        request_id=row.request_id,
        line_id=row.line_id,
        position=row.position,
        number=row.number,
        national_number=row.national_number,
        user_name=row.user_name,
        state=ItemState(row.state),
        attempts=row.attempts,
        failure_reason=row.failure_reason,
        next_attempt_at=aware(row.next_attempt_at),
        updated_at=aware(row.updated_at),
    )


def _due(now: datetime) -> Any:
    return or_(
        and_(i.state == ItemState.PENDING.value, i.next_attempt_at <= now),
        and_(i.state == ItemState.SENT.value, i.lease_until <= now),
    )


class RequestsRepository:
    async def add(self, s: AsyncSession, request: FleetRequest) -> None:
        await s.execute(
            insert(requests).values(
                id=request.id,
                entity_id=request.entity_id,
                user_id=request.user_id,
                kind=request.kind.value,
                activate="|".join(request.activate),
                deactivate="|".join(request.deactivate),
                suspension_reason=request.suspension_reason.value
                if request.suspension_reason
                else "",
                plan=request.plan,
                iccid=request.iccid,
                one_off_prices=json.dumps([astuple(p) for p in request.one_off_prices]),
                lines_total=request.lines_total,
                lines_done=request.lines_done,
                lines_failed=request.lines_failed,
                state=request.state.value,
                created_at=request.created_at,
                completed_at=request.completed_at,
            )
        )
        rows = [
            {
                "request_id": item.request_id,
                "line_id": item.line_id,
                "entity_id": request.entity_id,
                "position": item.position,
                "number": item.number,
                "national_number": item.national_number,
                "user_name": item.user_name,
                "state": item.state.value,
                "attempts": item.attempts,
                "failure_reason": item.failure_reason,
                "next_attempt_at": item.next_attempt_at,
                "claim": None,
                "lease_until": None,
                "updated_at": item.updated_at,
            }
            for item in request.items
        ]
        for start in range(0, len(rows), _PER_QUERY):
            await s.execute(insert(request_items), rows[start : start + _PER_QUERY])

    async def get(
        self,
        s: AsyncSession,
        request_id: str,
        entity_id: str | None,
        *,
        with_items: bool = True,
        for_update: bool = False,
    ) -> FleetRequest | None:
        """`entity_id` None: any entity's (the background processing)."""
        query = select(requests).where(r.id == request_id)
        if entity_id is not None:
            query = query.where(r.entity_id == entity_id)
        if for_update:
            query = query.with_for_update()
        row = (await s.execute(query)).first()
        if row is None:
            return None
        request = _request(row)
        if with_items:
            request.items = await self.items(s, request_id)
        return request

    async def items(
        self, s: AsyncSession, request_id: str, *, failed_first_limit: int | None = None
    ) -> list[RequestItem]:
        """By position; with `failed_first_limit`, the failed ones first and at most that many."""
        query = select(request_items).where(i.request_id == request_id)
        if failed_first_limit is None:
            query = query.order_by(i.position)
        else:
            failed_last = (i.state != ItemState.FAILED.value).label("failed_last")
            query = query.order_by(failed_last, i.position).limit(failed_first_limit)
        return [_item(row) for row in await s.execute(query)]

    async def list(
        self,
        s: AsyncSession,
        entity_id: str,
        kind: RequestKind | None,
        state: RequestState | None,
        page: Page,
    ) -> tuple[list[FleetRequest], bool]:
        query = select(requests).where(r.entity_id == entity_id)
        if kind is not None:
            query = query.where(r.kind == kind.value)
        if state is not None:
            query = query.where(r.state == state.value)
        query = query.order_by(r.created_at.desc(), r.id.desc())
        rows = (await s.execute(query.offset(page.offset).limit(page.limit + 1))).all()
        return [_request(row) for row in rows[: page.limit]], len(rows) > page.limit

    async def save_progress(self, s: AsyncSession, request: FleetRequest) -> None:
        await s.execute(
            update(requests)
            .where(r.id == request.id)
            .values(
                lines_done=request.lines_done,
                lines_failed=request.lines_failed,
                state=request.state.value,
                completed_at=request.completed_at,
            )
        )

    # ---- the background processing's claims ---------------------------------------

    async def claim_due(
        self,
        s: AsyncSession,
        *,
        claim: str,
        now: datetime,
        lease_until: datetime,
        requests_at_once: int,
        per_request: int,
    ) -> list[ClaimedItem]:
        """Up to `per_request` due items of each of up to `requests_at_once`
        requests (the oldest first), so that one large request does not hold
        the small ones back."""
        due = _due(now)
        request_ids = [
            row.request_id
            for row in await s.execute(
                select(i.request_id)
                .where(due)
                .group_by(i.request_id)
                .order_by(func.min(i.updated_at))
                .limit(requests_at_once)
            )
        ]
        claimed: list[ClaimedItem] = []
        for request_id in request_ids:
            rows = (
                await s.execute(
                    select(i.line_id, i.state)
                    .where(i.request_id == request_id, due)
                    .order_by(i.position)
                    .limit(per_request)
                )
            ).all()
            if not rows:
                continue
            recovered = {row.line_id for row in rows if row.state == ItemState.SENT.value}
            await s.execute(
                update(request_items)
                .where(
                    i.request_id == request_id, i.line_id.in_([row.line_id for row in rows]), due
                )
                .values(
                    state=ItemState.SENT.value,
                    claim=claim,
                    lease_until=lease_until,
                    attempts=i.attempts + 1,
                    updated_at=now,
                )
            )
            taken = await s.execute(
                select(request_items).where(i.request_id == request_id, i.claim == claim)
            )
            for row in taken:
                claimed.append(ClaimedItem(_item(row), row.entity_id, row.line_id in recovered))
        return claimed

    async def renew(self, s: AsyncSession, claim: str, lease_until: datetime) -> None:
        await s.execute(
            update(request_items)
            .where(i.claim == claim, i.state == ItemState.SENT.value)
            .values(lease_until=lease_until)
        )

    async def owned(
        self, s: AsyncSession, claim: str, request_id: str, line_ids: Sequence[str]
    ) -> set[str]:
        """Which of these items `claim` still holds (a lease lost to another
        worker is not written over)."""
        query = select(i.line_id).where(
            i.request_id == request_id,
            i.claim == claim,
            i.state == ItemState.SENT.value,
            i.line_id.in_(list(line_ids)),
        )
        return {row.line_id for row in await s.execute(query.with_for_update())}

    async def save_items(self, s: AsyncSession, items: Sequence[RequestItem]) -> None:
        """Each item's outcome; the claim is let go. An item left SENT (its call's
        outcome unknown) comes due again at its `next_attempt_at`."""
        if not items:
            return
        await s.execute(
            update(request_items)
            .where(i.request_id == bindparam("b_request_id"), i.line_id == bindparam("b_line_id"))
            .values(
                state=bindparam("b_state"),
                attempts=bindparam("b_attempts"),
                failure_reason=bindparam("b_failure_reason"),
                next_attempt_at=bindparam("b_next_attempt_at"),
                updated_at=bindparam("b_updated_at"),
                claim=None,
                lease_until=bindparam("b_lease_until"),
            ),
            [
                {
                    "b_request_id": item.request_id,
                    "b_line_id": item.line_id,
                    "b_state": item.state.value,
                    "b_attempts": item.attempts,
                    "b_failure_reason": item.failure_reason,
                    "b_next_attempt_at": item.next_attempt_at,
                    "b_updated_at": item.updated_at,
                    # A SENT line waiting for a retry comes due (and is looked up) then.
                    "b_lease_until": item.next_attempt_at if item.state is ItemState.SENT else None,
                }
                for item in items
            ],
            execution_options={"synchronize_session": False},
        )

    async def release(
        self, s: AsyncSession, claim: str, items: Sequence[ClaimedItem], now: datetime
    ) -> None:
        """Items claimed but not tried (the worker is stopping) are due again,
        the attempt not counted; a recovered item stays SENT (lease over), so
        that its outcome is still asked before it is sent."""
        for claimed in items:
            item = claimed.item
            await s.execute(
                update(request_items)
                .where(
                    i.request_id == item.request_id,
                    i.line_id == item.line_id,
                    i.claim == claim,
                )
                .values(
                    state=(ItemState.SENT if claimed.recovered else ItemState.PENDING).value,
                    claim=None,
                    lease_until=now if claimed.recovered else None,
                    attempts=i.attempts - 1,
                )
            )

    async def next_due_at(self, s: AsyncSession) -> datetime | None:
        """When the next waiting item (or lease) comes due."""
        pending = await s.scalar(
            select(func.min(i.next_attempt_at)).where(i.state == ItemState.PENDING.value)
        )
        # SENT items waiting for a retry or a dead worker's lease: due at lease_until.
        leased = await s.scalar(
            select(func.min(i.lease_until)).where(i.state == ItemState.SENT.value)
        )
        times = [aware(t) for t in (pending, leased) if t is not None]
        return min(times) if times else None
