"""Idempotency keys: a replay with the same key and body returns the first
answer and does nothing twice; the same key with another body is refused; a
replay while the first call is still running is a conflict (ABORTED).

The answer is recorded in its own transaction right after the call's: a crash
between the two leaves the key IN_FLIGHT, and a replay after the lease runs the
call again. Closing that window would mean writing the answer inside each use
case's transaction; the lease keeps it to a crash at that exact point."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from portal_runtime.clock import aware
from portal_runtime.db import Database, idempotency_table
from portal_runtime.errors import Aborted, InvalidArgument

RETENTION = timedelta(hours=48)
IN_FLIGHT_LEASE = timedelta(seconds=60)
MAX_KEY_LENGTH = 200


def request_hash(request: Message) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


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
    digest = request_hash(request)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(idempotency_table).where(
                    idempotency_table.c.scope == scope, idempotency_table.c.key == key
                )
            )
        ).first()
        if row is not None and aware(row.created_at) < now - RETENTION:
            await session.execute(
                delete(idempotency_table).where(
                    idempotency_table.c.scope == scope, idempotency_table.c.key == key
                )
            )
            row = None
        if row is not None:
            if row.request_hash != digest:
                raise InvalidArgument(
                    "IDEMPOTENCY_KEY_REUSED",
                    "this Idempotency-Key was used with another request body",
                )
            if row.state == "DONE":
                return response_type.FromString(row.response)
            if row.locked_until and aware(row.locked_until) > now:
                raise Aborted(
                    "IDEMPOTENCY_KEY_IN_FLIGHT", "a request with this Idempotency-Key is running"
                )
            # The first attempt died mid-flight: take it over.
            await session.execute(
                update(idempotency_table)
                .where(idempotency_table.c.scope == scope, idempotency_table.c.key == key)
                .values(locked_until=now + IN_FLIGHT_LEASE)
            )
        else:
            try:
                await session.execute(
                    insert(idempotency_table).values(
                        scope=scope,
                        key=key,
                        request_hash=digest,
                        state="IN_FLIGHT",
                        locked_until=now + IN_FLIGHT_LEASE,
                        created_at=now,
                    )
                )
            except IntegrityError as exc:
                raise Aborted(
                    "IDEMPOTENCY_KEY_IN_FLIGHT", "a request with this Idempotency-Key is running"
                ) from exc
    try:
        response = await call()
    except BaseException:
        # A failed call leaves nothing behind: the client may retry with the key.
        async with db.transaction() as session:
            await session.execute(
                delete(idempotency_table).where(
                    idempotency_table.c.scope == scope, idempotency_table.c.key == key
                )
            )
        raise
    async with db.transaction() as session:
        await session.execute(
            update(idempotency_table)
            .where(idempotency_table.c.scope == scope, idempotency_table.c.key == key)
            .values(state="DONE", response=response.SerializeToString(), locked_until=None)
        )
    return response


async def purge_expired(db: Database) -> int:
    async with db.transaction() as session:
        result = await session.execute(
            delete(idempotency_table).where(
                idempotency_table.c.created_at < datetime.now(UTC) - RETENTION
            )
        )
        return result.rowcount or 0
