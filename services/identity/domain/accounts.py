"""Customer accounts (entities): client and contract numbers, language,
contacts, and the delegation lock."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from portal_runtime.errors import FailedPrecondition, InvalidArgument, Violations

from .emails import email_problem, normalise_email

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

CLIENT_NUMBER_PREFIX = "C"
CLIENT_NUMBER_DIGITS = 8
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
MAX_NAME_LENGTH = 200
MAX_CONTACT_NAME_LENGTH = 200

CONTACT_KINDS = ("billing", "delivery", "manager")

DELEGATION_LOCKED = "DELEGATION_LOCKED"
UNLOCKED_BY_FIRST_PAID_ORDER = "FIRST_PAID_ORDER"
UNLOCKED_BY_OPERATOR = "OPERATOR"


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
            "manager delegation and custom profiles become available after the first paid order",
        )
