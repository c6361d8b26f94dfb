"""AccountUpdated: the snapshot of an account's name, language and contacts
that other services (notifications) keep as their own projection.

Published in the caller's transaction after any change to what it carries, so
the snapshot and the change commit together. A full snapshot, never a diff:
a consumer keeps the one with the newest `occurred_at` and needs nothing else."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal.identity.v1 import events_pb2
from portal_runtime.outbox import add_event, new_event
from services.identity.domain.accounts import Contact
from services.identity.domain.users import display_name
from services.identity.usecases.common import Deps


def _contact(raw: dict[str, str] | None, language: str) -> events_pb2.Recipient | None:
    contact = Contact.from_dict(raw)
    if not contact.email:
        return None
    return events_pb2.Recipient(email=contact.email, name=contact.name, language=language)


async def publish_account_updated(deps: Deps, s: AsyncSession, entity_id: str) -> None:
    """Adds an AccountUpdated for the entity as it now stands in `s` (nothing
    when the entity does not exist)."""
    entity = await deps.repo.entity(s, entity_id) if entity_id else None
    if entity is None:
        return
    contacts = entity.contacts or {}
    # The manager contact when the customer gave one with an e-mail, else the
    # account's first manager (the user created with the account).
    manager = _contact(contacts.get("manager"), entity.language)
    if manager is None and entity.manager_user_id:
        user = await deps.repo.user(s, entity.manager_user_id)
        if user is not None:
            manager = events_pb2.Recipient(
                email=user.email,
                name=display_name(user.first_name, user.last_name, user.email),
                language=user.language or entity.language,
            )
    event = new_event(
        events_pb2.AccountUpdated,
        entity_id=entity.id,
        name=entity.name,
        client_number=entity.client_number,
        language=entity.language,
        paperless_consent=bool(entity.paperless_consent),
    )
    contracts = (await deps.repo.contracts_of(s, [entity.id])).get(entity.id, [])
    event.contract_numbers.extend(contract.number for contract in contracts)
    for field_name, recipient in (
        ("manager", manager),
        ("billing", _contact(contacts.get("billing"), entity.language)),
        ("delivery", _contact(contacts.get("delivery"), entity.language)),
    ):
        if recipient is not None:
            getattr(event, field_name).CopyFrom(recipient)
    await add_event(s, event)
