"""The messages repository: stores and reads `Message`s, and leases due ones
to the delivery loop."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.messages import Message, Status
from services.notifications.domain.times import utc
from services.notifications.store.tables import messages_table as table


def _to_row(message: Message) -> dict:
    return {
        "id": message.id,
        "event_id": message.event_id,
        "recipient": message.recipient,
        "recipient_name": message.recipient_name,
        "template": message.template,
        "language": message.language,
        "subject": message.subject,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "links": json.dumps(list(message.links)),
        "status": message.status.value,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "next_attempt_at": message.next_attempt_at,
        "created_at": message.created_at,
        "occurred_at": message.occurred_at or message.created_at,
        "sent_at": message.sent_at,
    }


def _from_row(row: RowMapping) -> Message:
    return Message(
        id=row["id"],
        event_id=row["event_id"],
        recipient=row["recipient"],
        recipient_name=row["recipient_name"] or "",
        template=row["template"],
        language=row["language"],
        subject=row["subject"],
        body_text=row["body_text"],
        body_html=row["body_html"],
        links=tuple(json.loads(row["links"] or "[]")),
        status=Status(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"] or "",
        next_attempt_at=utc(row["next_attempt_at"]),
        created_at=utc(row["created_at"]) or row["created_at"],
        sent_at=utc(row["sent_at"]),
        occurred_at=utc(row["occurred_at"]),
    )


class MessageRepository:
    """Reads and writes messages in the caller's transaction `s`."""

    async def add(self, s: AsyncSession, message: Message) -> bool:
        """Stores a new message; False (and nothing stored) when this event
        already produced a message from this template to this recipient."""
        existing = await s.execute(
            select(table.c.id).where(
                table.c.event_id == message.event_id,
                table.c.template == message.template,
                table.c.recipient == message.recipient,
            )
        )
        if existing.first() is not None:
            return False
        await s.execute(insert(table).values(**_to_row(message)))
        return True

    async def get(self, s: AsyncSession, message_id: str) -> Message | None:
        row = (await s.execute(select(table).where(table.c.id == message_id))).mappings().first()
        return _from_row(row) if row else None

    async def for_event(self, s: AsyncSession, event_id: str) -> list[Message]:
        rows = await s.execute(select(table).where(table.c.event_id == event_id))
        return [_from_row(r) for r in rows.mappings()]

    async def list_for_recipient(
        self, s: AsyncSession, recipient: str, *, offset: int, limit: int
    ) -> list[Message]:
        """Newest event first."""
        rows = await s.execute(
            select(table)
            .where(table.c.recipient == recipient)
            .order_by(table.c.occurred_at.desc(), table.c.created_at.desc(), table.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_from_row(r) for r in rows.mappings()]

    async def claim_due(
        self, s: AsyncSession, *, claim: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Message]:
        """Leases up to `limit` due PENDING messages under the fresh token
        `claim` and returns them.

        A portable claim: one UPDATE whose WHERE re-checks that the row is still
        PENDING and unleased, so two replicas never hold the same message (on
        PostgreSQL the second UPDATE re-evaluates the condition on the committed
        row; SQLite serialises writers). A crashed worker's lease just expires."""
        free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
        due = and_(table.c.status == Status.PENDING.value, table.c.next_attempt_at <= now, free)
        candidates = (
            select(table.c.id)
            .where(due)
            .order_by(table.c.next_attempt_at)
            .limit(limit)
            .scalar_subquery()
        )
        await s.execute(
            update(table)
            .where(table.c.id.in_(candidates), due)
            .values(claimed_by=claim, claimed_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        rows = await s.execute(
            select(table)
            .where(table.c.claimed_by == claim, table.c.status == Status.PENDING.value)
            .order_by(table.c.next_attempt_at)
        )
        return [_from_row(r) for r in rows.mappings()]

    async def save_delivery(self, s: AsyncSession, message: Message, *, claim: str) -> bool:
        """Writes the outcome of an attempt and releases the lease; False when
        the lease was lost meanwhile (another worker took over)."""
        result = await s.execute(
            update(table)
            .where(table.c.id == message.id, table.c.claimed_by == claim)
            .values(
                status=message.status.value,
                attempts=message.attempts,
                last_error=message.last_error,
                next_attempt_at=message.next_attempt_at,
                sent_at=message.sent_at,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return bool(result.rowcount)

    async def renew(self, s: AsyncSession, claim: str, lease_until: datetime) -> None:
        """Extends the lease of the claim's messages still pending."""
        await s.execute(
            update(table)
            .where(table.c.claimed_by == claim, table.c.status == Status.PENDING.value)
            .values(claimed_until=lease_until)
        )

    async def release(self, s: AsyncSession, claim: str) -> None:
        """Gives back the messages of a claim that were not tried."""
        await s.execute(
            update(table)
            .where(table.c.claimed_by == claim)
            .values(claimed_by=None, claimed_until=None)
        )

    async def count_by_status(self, s: AsyncSession) -> dict[str, int]:
        rows = await s.execute(select(table.c.status, func.count()).group_by(table.c.status))
        return {status: count for status, count in rows.all()}
