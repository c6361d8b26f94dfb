"""Login identifiers: a user logs in with their e-mail, and the holder of an
account (its first manager, `Entity.manager_user_id`) also with the account's
client number (the parking guide: "votre identifiant (votre n° de client)").

What a welcome letter prints, and what the forgotten-identifier e-mail tells."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .accounts import Entity
from .users import Recipient, User, UserStatus


@dataclass(frozen=True)
class AccountLogin:
    """A client number that logs the user in, and the account it opens."""

    client_number: str
    name: str


def holds(user: User, entity: Entity) -> bool:
    return entity.manager_user_id == user.id


def login_identifier(user: User, entity: Entity | None) -> str:
    """What the user types as identifier for `entity`: its client number when
    they hold it, else their e-mail."""
    if entity is not None and holds(user, entity):
        return entity.client_number
    return user.email


@dataclass(frozen=True)
class IdentifierReminderRequested:
    """Someone asked for the identifiers of an address. `recipient` is None
    when no customer has that address: the request is stated all the same
    (without the address), so that answering costs the same work either way."""

    user_id: str
    recipient: Recipient | None
    accounts: tuple[AccountLogin, ...]


def remind_identifiers(user: User | None, held: Iterable[Entity]) -> IdentifierReminderRequested:
    """The reminder for a known customer address, else the same fact with no
    one to tell. `held`: the accounts they hold and may still act for."""
    if user is None or user.operator or user.status == UserStatus.DISABLED:
        return IdentifierReminderRequested("", None, ())
    accounts = tuple(AccountLogin(e.client_number, e.name) for e in held if holds(user, e))
    return IdentifierReminderRequested(user.id, user.recipient(), accounts)


@dataclass(frozen=True)
class WelcomeLetter:
    """A printed letter handing over a temporary password, once: the password
    lives nowhere else (only its hash is stored)."""

    portal_url: str
    identifier: str
    temporary_password: str
    recipient_name: str
    account_name: str
    client_number: str
    language: str


def welcome_letter(
    user: User, entity: Entity | None, temporary_password: str, portal_url: str
) -> WelcomeLetter:
    language = user.language or (entity.language if entity else "")
    return WelcomeLetter(
        portal_url=portal_url.rstrip("/"),
        identifier=login_identifier(user, entity),
        temporary_password=temporary_password,
        recipient_name=user.display_name,
        account_name=entity.name if entity else "",
        client_number=entity.client_number if entity else "",
        language=language or "fr",
    )
