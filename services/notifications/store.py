"""The notifications database: the messages table and its repository."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from portal_runtime.db import add_runtime_tables
from services.notifications.domain import Contact, EntityContacts, Message, Status, utc

metadata = MetaData()

messages_table = Table(
    "messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("recipient_name", String(200), nullable=False, default=""),
    Column("template", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("links", Text, nullable=False),  # JSON array of URLs
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),  # the event's time
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # Delivery lease: the claim (one per batch) sending it, and until when.
    Column("claimed_by", String(32), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    UniqueConstraint("event_id", "template", name="uq_messages_event_template"),
    Index("ix_messages_due", "status", "next_attempt_at"),
    Index("ix_messages_recipient_occurred", "recipient", "occurred_at"),
)

# notifications' projection of identity's AccountUpdated snapshots: who each
# entity's e-mails go to. One row per entity, the newest snapshot wins.
entity_contacts_table = Table(
    "entity_contacts",
    metadata,
    Column("entity_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False, default=""),
    Column("client_number", String(32), nullable=False, default=""),
    Column("language", String(8), nullable=False),
    Column("paperless_consent", Boolean, nullable=False, default=False),
    Column("manager_email", String(320), nullable=False, default=""),
    Column("manager_name", String(200), nullable=False, default=""),
    Column("billing_email", String(320), nullable=False, default=""),
    Column("billing_name", String(200), nullable=False, default=""),
    Column("delivery_email", String(320), nullable=False, default=""),
    Column("delivery_name", String(200), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),  # the event's occurred_at
)

add_runtime_tables(metadata)

# Set on a session that stored a message: the delivery loop wakes after commit.
MESSAGES_DIRTY = "portal_notifications_dirty"


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
    """Reads and writes messages in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: Message) -> bool:
        """Stores a new message; False (and nothing stored) when this event
        already produced a message from this template."""
        existing = await self.session.execute(
            select(messages_table.c.id).where(
                messages_table.c.event_id == message.event_id,
                messages_table.c.template == message.template,
            )
        )
        if existing.first() is not None:
            return False
        await self.session.execute(insert(messages_table).values(**_to_row(message)))
        self.session.info[MESSAGES_DIRTY] = True
        return True

    async def get(self, message_id: str) -> Message | None:
        row = (
            (
                await self.session.execute(
                    select(messages_table).where(messages_table.c.id == message_id)
                )
            )
            .mappings()
            .first()
        )
        return _from_row(row) if row else None

    async def for_event(self, event_id: str) -> list[Message]:
        rows = await self.session.execute(
            select(messages_table).where(messages_table.c.event_id == event_id)
        )
        return [_from_row(r) for r in rows.mappings()]

    async def list_for_recipient(self, recipient: str, *, offset: int, limit: int) -> list[Message]:
        """Newest event first."""
        rows = await self.session.execute(
            select(messages_table)
            .where(messages_table.c.recipient == recipient)
            .order_by(
                messages_table.c.occurred_at.desc(),
                messages_table.c.created_at.desc(),
                messages_table.c.id.desc(),
            )
            .offset(offset)
            .limit(limit)
        )
        return [_from_row(r) for r in rows.mappings()]

    async def claim_due(
        self, *, claim: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Message]:
        """Leases up to `limit` due PENDING messages under the fresh token
        `claim` and returns them.

        A portable claim: one UPDATE whose WHERE re-checks that the row is still
        PENDING and unleased, so two replicas never hold the same message (on
        PostgreSQL the second UPDATE re-evaluates the condition on the committed
        row; SQLite serialises writers). A crashed worker's lease just expires."""
        free = or_(messages_table.c.claimed_until.is_(None), messages_table.c.claimed_until < now)
        due = and_(
            messages_table.c.status == Status.PENDING.value,
            messages_table.c.next_attempt_at <= now,
            free,
        )
        candidates = (
            select(messages_table.c.id)
            .where(due)
            .order_by(messages_table.c.next_attempt_at)
            .limit(limit)
            .scalar_subquery()
        )
        await self.session.execute(
            update(messages_table)
            .where(messages_table.c.id.in_(candidates), due)
            .values(claimed_by=claim, claimed_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.execute(
            select(messages_table)
            .where(
                messages_table.c.claimed_by == claim,
                messages_table.c.status == Status.PENDING.value,
            )
            .order_by(messages_table.c.next_attempt_at)
        )
        return [_from_row(r) for r in rows.mappings()]

    async def save_delivery(self, message: Message, *, claim: str) -> bool:
        """Writes the outcome of an attempt and releases the lease; False when
        the lease was lost meanwhile (another worker took over)."""
        result = await self.session.execute(
            update(messages_table)
            .where(messages_table.c.id == message.id, messages_table.c.claimed_by == claim)
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

    async def release(self, claim: str) -> None:
        """Gives back the messages of a claim that were not tried."""
        await self.session.execute(
            update(messages_table)
            .where(messages_table.c.claimed_by == claim)
            .values(claimed_by=None, claimed_until=None)
        )

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(messages_table.c.status, func.count()).group_by(messages_table.c.status)
        )
        return {status: count for status, count in rows.all()}


def _contacts_row(contacts: EntityContacts) -> dict:
    return {
        "name": contacts.name,
        "client_number": contacts.client_number,
        "language": contacts.language,
        "paperless_consent": contacts.paperless_consent,
        "manager_email": contacts.manager.email,
        "manager_name": contacts.manager.name,
        "billing_email": contacts.billing.email,
        "billing_name": contacts.billing.name,
        "delivery_email": contacts.delivery.email,
        "delivery_name": contacts.delivery.name,
        "updated_at": contacts.updated_at,
    }


class ContactsRepository:
    """The entity_contacts projection, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, entity_id: str) -> EntityContacts | None:
        table = entity_contacts_table
        row = (
            (await self.session.execute(select(table).where(table.c.entity_id == entity_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return EntityContacts(
            entity_id=row["entity_id"],
            name=row["name"],
            client_number=row["client_number"],
            language=row["language"],
            paperless_consent=bool(row["paperless_consent"]),
            manager=Contact(row["manager_email"], row["manager_name"]),
            billing=Contact(row["billing_email"], row["billing_name"]),
            delivery=Contact(row["delivery_email"], row["delivery_name"]),
            updated_at=utc(row["updated_at"]) or row["updated_at"],
        )

    async def save(self, contacts: EntityContacts) -> bool:
        """Stores the snapshot unless the stored one is as new or newer; True
        when stored. The UPDATE re-checks the age, so a concurrent newer write
        is never overwritten (a concurrent first INSERT fails and is retried)."""
        table = entity_contacts_table
        if await self.get(contacts.entity_id) is None:
            await self.session.execute(
                insert(table).values(entity_id=contacts.entity_id, **_contacts_row(contacts))
            )
            return True
        result = await self.session.execute(
            update(table)
            .where(
                table.c.entity_id == contacts.entity_id, table.c.updated_at < contacts.updated_at
            )
            .values(**_contacts_row(contacts))
        )
        return bool(result.rowcount)
