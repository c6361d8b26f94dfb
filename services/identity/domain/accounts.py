"""Customer accounts: the entity (the company) and its contracts; client and
contract numbers, language, contacts, the delegation lock and its unlock rule,
paperless consent (and whether it is a condition), and the facts their changes
produce (AccountCreated, AccountUpdated, DelegationUnlocked)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations

from .contracts import Contract, ensure_new_number, find_contract
from .emails import email_problem, normalise_email
from .users import Recipient, User

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

CLIENT_NUMBER_PREFIX = "C"
CLIENT_NUMBER_DIGITS = 8
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
MAX_NAME_LENGTH = 200
MAX_CONTACT_NAME_LENGTH = 200

CONTACT_KINDS = ("billing", "delivery", "manager")

DELEGATION_LOCKED = "DELEGATION_LOCKED"
UNLOCKED_BY_FIRST_ORDER = "FIRST_ORDER"
UNLOCKED_BY_SETTING = "ACCOUNT_SETTING"
UNLOCKED_BY_OPERATOR = "OPERATOR"
PAPERLESS_CONSENT_REQUIRED = "PAPERLESS_CONSENT_REQUIRED"


class UnlockRule(StrEnum):
    """What unlocks manager delegation and custom profiles: the account's first
    order (submitted, paid or not: the meal-card guide), or nothing (customers
    of other verticals order no cards)."""

    FIRST_ORDER = "FIRST_ORDER"
    UNLOCKED = "UNLOCKED"


def parse_unlock_rule(raw: str, field: str = "unlockRule") -> UnlockRule:
    try:
        return UnlockRule(raw.strip().upper())
    except ValueError:
        raise InvalidArgument.for_field(field, "must be FIRST_ORDER or UNLOCKED") from None


def parse_language(raw: str, field: str = "language") -> str:
    value = raw.strip().lower() or DEFAULT_LANGUAGE
    if value not in LANGUAGES:
        raise InvalidArgument.for_field(field, "must be 'fr' or 'en'")
    return value


def normalise_number(raw: str) -> str:
    return raw.strip().upper()


def parse_number(raw: str, field: str) -> str:
    """A client or contract number: 1 to 32 of A-Z, 0-9 and '-' (upper-cased)."""
    value = normalise_number(raw)
    if not value:
        raise InvalidArgument.for_field(field, "is required", reason="REQUIRED_FIELD")
    if not _NUMBER.match(value):
        raise InvalidArgument.for_field(field, "must be 1 to 32 letters, digits or '-'")
    return value


def generate_client_number() -> str:
    """A fresh candidate; the store retries on the (rare) collision."""
    digits = "".join(secrets.choice("0123456789") for _ in range(CLIENT_NUMBER_DIGITS))
    return f"{CLIENT_NUMBER_PREFIX}{digits}"


def parse_account_name(raw: str, field: str = "name") -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidArgument.for_field(field, "is required", reason="REQUIRED_FIELD")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return name


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "phone": self.phone}

    @staticmethod
    def from_dict(raw: dict[str, str] | None) -> Contact:
        raw = raw or {}
        return Contact(raw.get("name", ""), raw.get("email", ""), raw.get("phone", ""))

    def recipient(self, language: str) -> Recipient | None:
        """Whom to e-mail at this contact; None without an e-mail."""
        if not self.email:
            return None
        return Recipient(self.email, self.name, language)


def validate_contact(
    prefix: str,
    contact: Contact,
    violations: Violations,
    normalise_phone: Callable[[str], str | None],
) -> Contact:
    """The contact normalised (e-mail lower-cased, phone in E.164); problems go
    to `violations` as `<prefix>.email`, `<prefix>.phone`, `<prefix>.name`."""
    name = " ".join(contact.name.split())
    if len(name) > MAX_CONTACT_NAME_LENGTH:
        violations.add(f"{prefix}.name", f"must be at most {MAX_CONTACT_NAME_LENGTH} characters")
    email = normalise_email(contact.email)
    if email:
        problem = email_problem(email)
        if problem:
            violations.add(f"{prefix}.email", problem)
    phone = contact.phone.strip()
    if phone:
        normalised = normalise_phone(phone)
        if normalised is None:
            violations.add(
                f"{prefix}.phone", "is not a valid phone number (E.164, e.g. +33612345678)"
            )
        else:
            phone = normalised
    return Contact(name, email, phone)


def ensure_delegation_unlocked(unlocked: bool) -> None:
    if not unlocked:
        raise FailedPrecondition(
            DELEGATION_LOCKED,
            "manager delegation and custom profiles become available after the account's "
            "first order",
        )


@dataclass(frozen=True)
class AccountCreated:
    entity_id: str
    client_number: str
    name: str
    manager_user_id: str


@dataclass(frozen=True)
class DelegationUnlocked:
    entity_id: str
    reason: str


@dataclass(frozen=True)
class AccountUpdated:
    """The snapshot of an account that other services keep as their own
    projection: a full snapshot, never a diff."""

    entity_id: str
    name: str
    client_number: str
    language: str
    paperless_consent: bool
    manager: Recipient | None
    billing: Recipient | None
    delivery: Recipient | None
    contract_numbers: tuple[str, ...]
    paperless_consent_required: bool = False
    secondary: Recipient | None = None


@dataclass
class Entity:
    """The customer company: what the `entities` table holds."""

    id: str
    name: str
    client_number: str
    language: str
    created_at: datetime
    paperless_consent: bool = False
    delegation_unlocked: bool = False
    delegation_unlocked_reason: str | None = None
    delegation_unlocked_at: datetime | None = None
    # The first manager (activation, and login by client number).
    manager_user_id: str | None = None
    # {kind: Contact.as_dict()} for the CONTACT_KINDS given so far.
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    unlock_rule: UnlockRule = UnlockRule.FIRST_ORDER
    # The operator made paperless consent a condition of online payment and of
    # the contract pages (the parking guide).
    paperless_consent_required: bool = False

    def contact(self, kind: str) -> Contact:
        return Contact.from_dict(self.contacts.get(kind))

    def replace_contacts(self, given: dict[str, Contact]) -> None:
        """Replaces only the contacts present in `given`."""
        self.contacts = {**self.contacts, **{kind: c.as_dict() for kind, c in given.items()}}

    def record_paperless_consent(self, consent: bool) -> None:
        self.paperless_consent = consent

    def require_paperless_consent(self, required: bool) -> None:
        self.paperless_consent_required = required

    @property
    def contracts_visible(self) -> bool:
        return self.paperless_consent or not self.paperless_consent_required

    def ensure_contracts_visible(self) -> None:
        if not self.contracts_visible:
            raise FailedPrecondition(
                PAPERLESS_CONSENT_REQUIRED,
                "your contracts are shown once you accept to receive your documents by e-mail "
                "(paperless): accept it on your account page "
                '(PATCH /v1/account/paperless-consent {"paperlessConsent": true})',
            )

    def set_unlock_rule(self, rule: UnlockRule, now: datetime) -> DelegationUnlocked | None:
        """UNLOCKED unlocks at once; an unlocked account stays unlocked whatever
        the rule becomes."""
        self.unlock_rule = rule
        if rule is UnlockRule.UNLOCKED:
            return self.unlock_delegation(UNLOCKED_BY_SETTING, now)
        return None

    def unlock_by_order(self, now: datetime) -> DelegationUnlocked | None:
        """An order of the account was submitted (or paid)."""
        if self.unlock_rule is not UnlockRule.FIRST_ORDER:
            return None
        return self.unlock_delegation(UNLOCKED_BY_FIRST_ORDER, now)

    def ensure_delegation_unlocked(self) -> None:
        ensure_delegation_unlocked(self.delegation_unlocked)

    def unlock_delegation(self, reason: str, now: datetime) -> DelegationUnlocked | None:
        """Idempotent: the fact only the first time."""
        if self.delegation_unlocked:
            return None
        self.delegation_unlocked = True
        self.delegation_unlocked_reason = reason
        self.delegation_unlocked_at = now
        return DelegationUnlocked(self.id, reason)


@dataclass
class Account:
    """A customer account: the entity and its contracts, oldest first."""

    entity: Entity
    contracts: list[Contract]

    @property
    def id(self) -> str:
        return self.entity.id

    def has_contract(self, number: str) -> bool:
        return any(contract.number == number for contract in self.contracts)

    def add_contract(self, contract: Contract) -> None:
        ensure_new_number(self.contracts, contract.number)
        self.contracts.append(contract)

    def end_contract(self, number: str, now: datetime) -> Contract:
        ended = find_contract(self.contracts, number).ended(now)
        self.contracts = [ended if c.number == number else c for c in self.contracts]
        return ended

    def visible_contracts(self) -> list[Contract]:
        """What the customer's account page lists: nothing while a required
        paperless consent is missing."""
        return list(self.contracts) if self.entity.contracts_visible else []

    def updated(self, first_manager: User | None) -> AccountUpdated:
        """The account as it now stands. The manager is the manager contact when
        it has an e-mail, else the account's first manager (`first_manager`),
        whose secondary e-mail gets the billing e-mails in copy."""
        entity = self.entity
        manager = entity.contact("manager").recipient(entity.language)
        if manager is None and first_manager is not None:
            manager = first_manager.recipient(entity.language)
        secondary = first_manager.secondary_recipient(entity.language) if first_manager else None
        return AccountUpdated(
            entity_id=entity.id,
            name=entity.name,
            client_number=entity.client_number,
            language=entity.language,
            paperless_consent=entity.paperless_consent,
            manager=manager,
            billing=entity.contact("billing").recipient(entity.language),
            delivery=entity.contact("delivery").recipient(entity.language),
            contract_numbers=tuple(c.number for c in self.contracts if c.in_force),
            paperless_consent_required=entity.paperless_consent_required,
            secondary=secondary,
        )


def open_account(
    entity_id: str,
    *,
    name: str,
    client_number: str,
    language: str,
    contract: Contract,
    manager_user_id: str,
    now: datetime,
    paperless_consent_required: bool = False,
) -> tuple[Account, AccountCreated]:
    """A new account with its first contract and first manager (its unlock
    rule is set next: `Entity.set_unlock_rule`)."""
    entity = Entity(
        id=entity_id,
        name=name,
        client_number=client_number,
        language=language,
        created_at=now,
        manager_user_id=manager_user_id,
        paperless_consent_required=paperless_consent_required,
    )
    fact = AccountCreated(entity_id, client_number, name, manager_user_id)
    return Account(entity, [contract]), fact
