"""Notifications' database: tables (`tables.metadata`) and the repositories,
which take the caller's session and speak `Message` and `EntityContacts`."""

from dataclasses import dataclass, field

from services.notifications.store.contacts import ContactsRepository
from services.notifications.store.messages import MessageRepository
from services.notifications.store.tables import metadata


@dataclass(frozen=True)
class Repository:
    """Every repository of the service, for `Deps.repo`."""

    messages: MessageRepository = field(default_factory=MessageRepository)
    contacts: ContactsRepository = field(default_factory=ContactsRepository)


__all__ = ["ContactsRepository", "MessageRepository", "Repository", "metadata"]
