"""The entity_contacts projection's repository: one `EntityContacts` per
account, the newest snapshot winning."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.contacts import Contact, EntityContacts
from services.notifications.domain.times import utc
from services.notifications.store.tables import entity_contacts_table as table


def _to_row(contacts: EntityContacts) -> dict:
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
        "secondary_email": contacts.secondary.email,
        "secondary_name": contacts.secondary.name,
        "updated_at": contacts.updated_at,
    }


def _from_row(row: RowMapping) -> EntityContacts:
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
        secondary=Contact(row["secondary_email"], row["secondary_name"]),
    )


class ContactsRepository:
    """The entity_contacts projection, in the caller's transaction `s`."""

    async def get(self, s: AsyncSession, entity_id: str) -> EntityContacts | None:
        query = select(table).where(table.c.entity_id == entity_id)
        row = (await s.execute(query)).mappings().first()
        return _from_row(row) if row is not None else None

    async def save(self, s: AsyncSession, contacts: EntityContacts) -> bool:
        """Stores the snapshot unless the stored one is as new or newer; True
        when stored. The UPDATE re-checks the age, so a concurrent newer write
        is never overwritten (a concurrent first INSERT fails and is retried)."""
        if await self.get(s, contacts.entity_id) is None:
            await s.execute(insert(table).values(entity_id=contacts.entity_id, **_to_row(contacts)))
            return True
        result = await s.execute(
            update(table)
            .where(
                table.c.entity_id == contacts.entity_id, table.c.updated_at < contacts.updated_at
            )
            .values(**_to_row(contacts))
        )
        return bool(result.rowcount)
