"""The operations API every service exposes to operators: the dead letters of
its consumers, and retrying one once its cause is fixed. Each service declares
`<Domain>OperationsService` in its proto (routes under /v1/admin/<domain>/);
this servicer implements it for all of them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import delete, select

from portal.common.v1 import operations_pb2
from portal_runtime.consumer import EventConsumer
from portal_runtime.db import Database, dead_letters_table
from portal_runtime.errors import FailedPrecondition, NotFound
from portal_runtime.pagination import parse_page

log = logging.getLogger(__name__)


class OperationsServicer:
    def __init__(self, db: Database, consumers: Sequence[EventConsumer]) -> None:
        self.db = db
        self.consumers = consumers

    async def ListDeadLetters(
        self, request: operations_pb2.ListDeadLettersRequest, context: Any
    ) -> operations_pb2.ListDeadLettersResponse:
        page = parse_page(request.page_size, request.page_token)
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(dead_letters_table)
                    .order_by(dead_letters_table.c.created_at.desc(), dead_letters_table.c.id)
                    .offset(page.offset)
                    .limit(page.limit + 1)
                )
            ).all()
        return operations_pb2.ListDeadLettersResponse(
            dead_letters=[_to_proto(row) for row in rows[: page.limit]],
            next_page_token=page.next_token(len(rows) > page.limit),
        )

    async def RetryDeadLetter(
        self, request: operations_pb2.RetryDeadLetterRequest, context: Any
    ) -> operations_pb2.RetryDeadLetterResponse:
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(dead_letters_table).where(dead_letters_table.c.id == request.id)
                )
            ).first()
        if row is None:
            raise NotFound("DEAD_LETTER_NOT_FOUND", "no such dead letter")
        consumer = next((c for c in self.consumers if c.durable == row.consumer), None)
        if consumer is None:
            raise FailedPrecondition(
                "CONSUMER_GONE", f"this service no longer consumes {row.subject}"
            )
        try:
            event = consumer.event_type.FromString(row.payload)
        except DecodeError as exc:
            raise FailedPrecondition(
                "UNDECODABLE_EVENT", f"this payload is not a {consumer.event_type.__name__}"
            ) from exc
        try:
            applied = await consumer.apply(row.event_id or getattr(event, "event_id", ""), event)
        except Exception as exc:
            log.warning("retry of dead letter %s failed: %s", row.id, exc)
            raise FailedPrecondition(
                "RETRY_FAILED", f"the handler failed again: {exc}"[:500]
            ) from exc
        async with self.db.transaction() as session:
            await session.execute(
                delete(dead_letters_table).where(dead_letters_table.c.id == row.id)
            )
        return operations_pb2.RetryDeadLetterResponse(applied=applied)


def _to_proto(row: Any) -> operations_pb2.DeadLetter:
    created = Timestamp()
    created.FromDatetime(row.created_at)
    return operations_pb2.DeadLetter(
        id=row.id,
        consumer=row.consumer,
        subject=row.subject,
        event_id=row.event_id,
        error=row.error,
        deliveries=row.deliveries,
        created_at=created,
    )
