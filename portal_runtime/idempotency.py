"""Idempotency keys: a replay with the same key and body returns the first
answer and does nothing twice; the same key with another body is refused; a
replay while the first call is still running is a conflict (ABORTED).

`run_idempotent` claims the key, runs the call, then completes the key with the
answer (or releases it when the call failed, so the client may retry). The
answer is recorded in its own transaction right after the call's: a crash
between the two leaves the key IN_FLIGHT, and a replay after the lease runs the
call again. Closing that window would mean writing the answer inside each use
case's transaction; the lease keeps it to a crash at that exact point."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from google.protobuf.message import Message
from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.clock import aware, utcnow
from portal_runtime.db import Database, idempotency_table
from portal_runtime.errors import Aborted, InvalidArgument

RETENTION = timedelta(hours=48)
IN_FLIGHT_LEASE = timedelta(seconds=60)
MAX_KEY_LENGTH = 200

_keys = idempotency_table.c


def request_hash(request: Message) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


def _in_flight() -> Aborted:
    return Aborted("IDEMPOTENCY_KEY_IN_FLIGHT", "a request with this Idempotency-Key is running")


class IdempotencyKeys:
    """The stored keys of one service: claim before the call, then complete with
    its answer or release after a failure."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def claim(self, scope: str, key: str, digest: str) -> bytes | None:
        """The stored answer of a completed first call, or None once this call
        holds the key (new, or taken over from an attempt whose lease ran out).
        Refuses a key used with another body, and one whose call is running."""
        now = self._clock()
        async with self._db.transaction() as s:
            row = await self._live_row(s, scope, key, now)
            if row is None:
                await self._insert(s, scope, key, digest, now)
                return None
            if row.request_hash != digest:
                raise InvalidArgument(
                    "IDEMPOTENCY_KEY_REUSED",
                    "this Idempotency-Key was used with another request body",
                )
            if row.state == "DONE":
                return row.response
            if row.locked_until and aware(row.locked_until) > now:
                raise _in_flight()
            # The first attempt died mid-flight: take it over.
            await s.execute(
                update(idempotency_table)
                .where(_keys.scope == scope, _keys.key == key)
                .values(locked_until=now + IN_FLIGHT_LEASE)
            )
            return None

    async def complete(self, scope: str, key: str, response: bytes) -> None:
        async with self._db.transaction() as s:
            await s.execute(
                update(idempotency_table)
                .where(_keys.scope == scope, _keys.key == key)
                .values(state="DONE", response=response, locked_until=None)
            )

    async def release(self, scope: str, key: str) -> None:
        """Forgets a key whose call failed: a failed call leaves nothing behind."""
        async with self._db.transaction() as s:
            await s.execute(delete(idempotency_table).where(_keys.scope == scope, _keys.key == key))

    async def purge_expired(self) -> int:
        async with self._db.transaction() as s:
            result = await s.execute(
                delete(idempotency_table).where(_keys.created_at < self._clock() - RETENTION)
            )
            return result.rowcount or 0

    @staticmethod
    async def _live_row(s: AsyncSession, scope: str, key: str, now: datetime) -> Row | None:
        """The key's row, unless it outlived the retention (then it is deleted)."""
        where = (_keys.scope == scope, _keys.key == key)
        row = (await s.execute(select(idempotency_table).where(*where))).first()
        if row is not None and aware(row.created_at) < now - RETENTION:
            await s.execute(delete(idempotency_table).where(*where))
            return None
        return row

    @staticmethod
    async def _insert(s: AsyncSession, scope: str, key: str, digest: str, now: datetime) -> None:
        try:
            await s.execute(
                insert(idempotency_table).values(
                    scope=scope,
                    key=key,
                    request_hash=digest,
                    state="IN_FLIGHT",
                    locked_until=now + IN_FLIGHT_LEASE,
                    created_at=now,
                )
            )
        except IntegrityError as exc:  # another replica inserted it first
            raise _in_flight() from exc


async def run_idempotent(
    db: Database,
    *,
    scope: str,
    key: str,
    request: Message,
    response_type: type[Message],
    call: Callable[[], Awaitable[Message]],
) -> Message:
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument.for_field("Idempotency-Key", f"at most {MAX_KEY_LENGTH} characters")
    keys = IdempotencyKeys(db)
    stored = await keys.claim(scope, key, request_hash(request))
    if stored is not None:
        return response_type.FromString(stored)
    try:
        response = await call()
    except BaseException:
        await keys.release(scope, key)
        raise
    await keys.complete(scope, key, response.SerializeToString())
    return response


async def purge_expired(db: Database) -> int:
    return await IdempotencyKeys(db).purge_expired()
