"""Who an account's e-mails go to: notifications' own copy of each account's
contacts, and the operators' support mailbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal_runtime.errors import FailedPrecondition

from .messages import normalise_email, require_email
from .times import utc

DEFAULT_SUPPORT_EMAIL = "support@portail.localhost"


@dataclass(frozen=True)
class Contact:
    email: str = ""
    name: str = ""

    @classmethod
    def normalised(cls, email: str, name: str) -> Contact:
        """As the projection keeps it: the address trimmed and lower-cased,
        the name on one line."""
        return cls(normalise_email(email), " ".join(name.split()))


def support_contact(email: str) -> Contact:
    """The operators' mailbox that hears about every new claim (in French);
    a bad address is a configuration error, refused at start-up."""
    return Contact(require_email(email, "PORTAL_SUPPORT_EMAIL"))


@dataclass(frozen=True)
class EntityContacts:
    """notifications' own copy of an account's contacts, fed by identity's
    AccountUpdated snapshots (never read from identity's tables or API)."""

    entity_id: str
    name: str
    client_number: str
    language: str
    paperless_consent: bool
    manager: Contact
    billing: Contact
    delivery: Contact
    updated_at: datetime  # the snapshot's occurred_at
    # The holder's secondary address: billing e-mails go there in copy.
    secondary: Contact = Contact()

    def supersedes(self, stored: EntityContacts | None) -> bool:
        """Newest occurred_at wins: an older (or same-time) snapshot is ignored."""
        if stored is None:
            return True
        return (utc(self.updated_at) or self.updated_at) > (
            utc(stored.updated_at) or stored.updated_at
        )

    def for_orders(self) -> Contact:
        return self._require(self.manager)

    def for_deliveries(self) -> Contact:
        """The delivery contact when the account has one, else the manager."""
        return self.delivery if self.delivery.email else self._require(self.manager)

    def for_billing(self) -> Contact:
        """The billing contact when the account has one, else the manager."""
        return self.billing if self.billing.email else self._require(self.manager)

    def copies_of(self, to: Contact) -> list[Contact]:
        """Who gets a billing e-mail sent to `to` in copy (the parking guide's
        secondary address), as a message of their own."""
        if not self.secondary.email or self.secondary.email == to.email:
            return []
        return [self.secondary]

    def _require(self, contact: Contact) -> Contact:
        if not contact.email:
            raise FailedPrecondition(
                "ENTITY_HAS_NO_MANAGER_EMAIL", f"account {self.entity_id} has no manager e-mail"
            )
        return contact


def contacts_unknown(entity_id: str) -> FailedPrecondition:
    """No AccountUpdated seen yet for this entity. Raised while handling an
    event so the runtime naks it and retries it later (see usecases/contacts.py)."""
    return FailedPrecondition(
        "ENTITY_CONTACTS_UNKNOWN", f"no contacts known yet for account {entity_id}"
    )
