"""Each account's contacts: kept from identity's snapshots, read by the
order and billing e-mails."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.contacts import EntityContacts, contacts_unknown
from services.notifications.usecases.common import Deps


async def record_contacts(deps: Deps, s: AsyncSession, snapshot: EntityContacts) -> bool:
    """Keeps the snapshot if it is the newest seen (events may arrive in any
    order); True when stored."""
    stored = await deps.repo.contacts.get(s, snapshot.entity_id)
    return snapshot.supersedes(stored) and await deps.repo.contacts.save(s, snapshot)


async def contacts_of(deps: Deps, s: AsyncSession, entity_id: str) -> EntityContacts:
    """The entity's contacts, or a domain error.

    Raising is right here: identity's AccountUpdated travels on another
    stream than ordering's and billing's events, so such an event may arrive
    before the account's first snapshot (or while identity's outbox waits for
    NATS). The runtime then naks the event and redelivers it with backoff
    (2, 4, 8, 16 s), by which time the snapshot is usually here; if it never
    comes, the event lands in the dead letters after 5 tries, visible to
    operators (/v1/admin/notifications/dead-letters) instead of lost."""
    contacts = await deps.repo.contacts.get(s, entity_id)
    if contacts is None:
        raise contacts_unknown(entity_id)
    return contacts
